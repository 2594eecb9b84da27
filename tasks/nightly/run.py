"""Nightly dynamic adjustment: the run row, resumable chunks per stage, re-triage, alarms, snapshot.

A chunk's findings and its ``nightly_chunk`` marker commit in one transaction, so a run killed at any
point resumes from its last finished chunk with nothing lost and nothing doubled; re-running a finished
night returns its stored summary.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from config.catalogue import load_catalogue, load_catalogue_history
from config.nightly import load_nightly_rules
from models.alarms import escalate_before
from models.catalogue import triage
from models.clinical import Case, Condition
from models.common import age_on, utcnow
from models.enums import CaseState, Category
from models.events import Change, DomainEvent
from models.findings import FindingKind, NightlyChunk, NightlyRun, RunStatus
from models.nightly import chunk_bounds, cutoffs, retriage_move
from models.people import Household, Patient
from models.schemas import NightlySummary
from tasks.infra.bulkwrite import id_in
from tasks.infra.db import session_scope
from tasks.infra.events import record
from tasks.infra.retry import RETRY_ON_CONFLICT
from tasks.nightly.checks import (
    Scope,
    case_dates,
    expiring_contracts,
    overdue_follow_ups,
    status_mismatches,
    untreated_and_stuck,
)
from tasks.nightly.diff import clear_ended, escalate, open_new
from tasks.nightly.found import add_found, reset_found
from tasks.nightly.poverty import household_alarms
from tasks.nightly.replay import count_found, is_replay
from tasks.nightly.report import snapshot, summary
from tasks.nightly.stats import plan_for_key_lookups
from tasks.pathway.retriage import taken_diseases
from tasks.pathway.transitions import lock_cases, move_case

#: Stage → (table whose ids are chunked, its region column). Households read no case: their chunks run during the
#: catalogue re-triage and the cases' chunks queue behind them with no barrier; patients after cases (a re-triaged
#: case may change whether a patient is under long-term management).
STAGES: dict[str, tuple[Any, Any]] = {
    "households": (Household, Household.region_code),
    "cases": (Case, Case.region_code),
    "patients": (Patient, Patient.region_code),
}


#: Ids per chunk when ``DABING_NIGHTLY_CHUNK_SIZE`` is unset, by backend. 1M patients on 2 cores, runs alternated:
#: SQLite 18.7 / 18.9 / 19.5 s at 50,000 against 23.8 / 21.1 s at 25,000 (fewer chunks, fewer fixed costs);
#: PostgreSQL 26.4 / 27.1 s at 25,000 against 40.2 / 36.4 s at 50,000 (its server's plans for the larger chunks).
CHUNK_SIZES = {"sqlite": 50_000, "postgresql": 25_000}


def open_run(session: Session, night: date, region_code: str | None, flow_run_id: str | None) -> NightlyRun:
    scope = region_code or "*"
    run = session.execute(
        select(NightlyRun).where(col(NightlyRun.night) == night, col(NightlyRun.scope) == scope)
    ).scalar_one_or_none()
    if run is None:
        run = NightlyRun(night=night, scope=scope, flow_run_id=flow_run_id, replay=is_replay(session, night, scope))
        session.add(run)
        session.flush()
    return run


def pending_chunks(session: Session, run_id: int, stage: str, size: int, region_code: str | None) -> list[list[int]]:
    """Keyset chunks [first_id, last_id] of a stage not yet finished in this run: every ``size`` rows a chunk
    begins, found by hopping the id index (``… WHERE id >= first ORDER BY id LIMIT 1 OFFSET size`` per chunk:
    the engine skips the rows inside the index) — numbering every row with a window function cost a second of
    a 1M-patient night's serial part."""
    table, region = STAGES[stage]
    ident = col(table.id)
    hop = select(ident).order_by(ident).limit(1)
    if region_code:
        hop = hop.where(region == region_code)
    first = session.execute(hop).scalar_one_or_none()
    if first is None:
        return []
    firsts = [first]
    while (nxt := session.execute(hop.where(ident >= firsts[-1]).offset(size)).scalar_one_or_none()) is not None:
        firsts.append(nxt)
    last = session.execute(select(func.max(ident))).scalar_one()
    done = set(
        session.execute(
            select(col(NightlyChunk.first_id)).where(
                col(NightlyChunk.run_id) == run_id, col(NightlyChunk.stage) == stage
            )
        ).scalars()
    )
    return [[lo, hi] for lo, hi in chunk_bounds(firsts, last) if lo not in done]


def _scope(session: Session, run_id: int, actor: str = "nightly") -> Scope:
    run = session.get(NightlyRun, run_id)
    assert run is not None
    cut = cutoffs(run.night, load_nightly_rules(), load_catalogue())
    return Scope(run_id, cut, None if run.scope == "*" else run.scope, actor, run.replay)


def retriage(session: Session, sc: Scope, lo: int, hi: int, actor: str) -> tuple[int, list[int]]:
    """Cases triaged under an older catalogue, or whose diagnosis changed since triage, are triaged again
    (pure rule); a changed category is a finding, and a treated case moves to its new outcome state."""
    history = load_catalogue_history()  # the version in force that night; never re-triaged backwards
    catalogue = history.on(sc.cut.night) or history.latest
    rows = session.execute(
        select(col(Case.id), col(Case.patient_id), col(Case.state), col(Case.disease_code))
        .add_columns(col(Condition.icd10), col(Patient.birth_date))
        .join(Condition, col(Condition.id) == col(Case.condition_id))
        .join(Patient, col(Patient.id) == col(Case.patient_id))
        .where(
            *sc.cases(lo, hi),
            col(Case.category).is_not(None),
            col(Case.state) != CaseState.CLOSED.value,
            func.coalesce(col(Case.catalogue_version), "").not_in(history.not_older(catalogue.version))
            | (col(Condition.updated_at) > col(Case.triaged_at)),
        )
    ).all()
    found, moved, now, stamped = [], [], utcnow(), []
    taken = taken_diseases(session, sorted({r.patient_id for r in rows}))
    locked = lock_cases(session, [r.id for r in rows])
    for case_id, patient_id, state, old_code, icd10, born in rows:
        result = triage(icd10, catalogue, sc.cut.night, age_on(born, sc.cut.night))
        row = locked[case_id]
        if result.disease_code == old_code:
            stamped.append(case_id)  # only stamped (one UPDATE for them all, below)
            continue
        if result.category is None:
            stamped.append(case_id)
            reason = f"no longer a special disease ({result.reason.value})"
        elif (patient_id, result.disease_code) in taken:  # one case per patient and disease: a coordinator decides
            stamped.append(case_id)
            reason = f"re-triaged {old_code} -> {result.disease_code}: the patient has a case of it already"
        else:
            row.catalogue_version, row.triaged_at = catalogue.version, now
            taken.add((patient_id, str(result.disease_code)))
            reason = f"re-triaged {old_code} -> {result.disease_code} ({result.category.value})"
            row.disease_code, row.category = result.disease_code, result.category.value
            target = retriage_move(CaseState(state), Category(result.category))
            if target is not None:
                move_case(session, row, target, actor=actor, reason=reason, on=sc.cut.night)
                moved.append(case_id)
            session.add(row)
        found.append(
            {"kind": FindingKind.RETRIAGE.value, "subject": f"case:{case_id}", "reason": reason[:120],
             "region_code": row.region_code, "patient_id": row.patient_id, "household_id": None,
             "case_id": case_id, "amount": None, "subject_id": case_id, "rule": ""}
        )  # fmt: skip
    if stamped:  # their loaded rows stay unchanged: nothing of theirs is flushed after this
        stamp = update(Case).where(id_in(session, col(Case.id), stamped))
        session.execute(stamp.values(catalogue_version=catalogue.version, triaged_at=now),
                        execution_options={"synchronize_session": False})  # fmt: skip
    return add_found(session, found), moved


#: Kinds each stage judges (and may therefore clear).
STAGE_KINDS: dict[str, tuple[FindingKind, ...]] = {
    "cases": (FindingKind.RETRIAGE, FindingKind.OVERDUE_FOLLOW_UP, FindingKind.UNTREATED, FindingKind.STUCK),
    "households": (FindingKind.POVERTY_ALARM,),
    "patients": (FindingKind.EXPIRING_CONTRACT, FindingKind.STATUS_MISMATCH),
}  # fmt: skip


def write_phase(session: Session) -> None:
    """SQLite: end the read phase (it wrote only the connection's temporary table) and start the chunk's write
    transaction holding the write lock (BEGIN IMMEDIATE, waiting its turn): a transaction that read first
    could not take it once another chunk committed after its reads (SQLITE_BUSY_SNAPSHOT)."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return  # READ COMMITTED: a writer waits for the row lock, it never fails for having read
    driver: Any = conn.connection.driver_connection
    driver.commit()  # the same connection (its temporary table) stays with the session
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def assess(
    session: Session,
    run_id: int,
    stage: str,
    lo: int,
    hi: int,
    actor: str,
    before_commit: Callable[[str, int], None] | None = None,
) -> tuple[int, list[int]]:
    """One chunk of one stage: tonight's conditions, then the diff with the open alarms; returns (alarms
    opened, cases whose state changed). ``before_commit(stage, lo)`` runs after the chunk's work, before its
    commit (fault injection)."""
    sc = _scope(session, run_id, actor)
    plan_for_key_lookups(session)
    reset_found(session)
    moved: list[int] = []
    rules: list[tuple[str, str]] | None = None
    if stage == "cases":
        dates = case_dates(session, sc, sc.cases(lo, hi), (lo, hi))
        overdue_follow_ups(session, sc, lo, hi, dates)
        untreated_and_stuck(session, sc, lo, hi, dates)
    elif stage == "households":
        _, rules = household_alarms(session, sc, lo, hi)
    else:
        expiring_contracts(session, sc, lo, hi)
        status_mismatches(session, sc, lo, hi)
    write_phase(session)
    if sc.replay:  # 补查: counted, the alarms and cases left as a later night left them
        n = count_found(session, run_id, stage, lo)
        session.add(NightlyChunk(run_id=run_id, stage=stage, first_id=lo, last_id=hi, findings=n))
        return n, moved
    if stage == "cases":
        _, moved = retriage(session, sc, lo, hi, actor)
    now, night = utcnow(), sc.cut.night
    n = open_new(session, run_id, night, now, STAGE_KINDS[stage], (lo, hi))
    cleared = clear_ended(session, night, now, actor, STAGE_KINDS[stage], (lo, hi), sc.region_code, rules)
    if before_commit is not None:
        before_commit(stage, lo)
    session.add(NightlyChunk(run_id=run_id, stage=stage, first_id=lo, last_id=hi, findings=n))
    if n:  # a night with nothing new says nothing
        payload = {"night": night.isoformat(), "stage": stage, "first_id": lo, "last_id": hi, "opened": n,
                   "cleared": cleared}  # fmt: skip
        record(session, Change(DomainEvent.ALARM_RAISED, "nightly-run", (run_id,), payload))
    return n, moved


# --- Prefect tasks (thin: open a session, call the functions above) -------------------------------------


@task(cache_policy=NO_CACHE, **RETRY_ON_CONFLICT)
def start_run(night: date, region_code: str | None, flow_run_id: str | None) -> tuple[int, bool, bool]:
    """(run id, already finished?, a replay?) — the same night and scope always reuse one run row."""
    try:
        with session_scope() as s:
            run = open_run(s, night, region_code, flow_run_id)
            return run.id or 0, run.status == RunStatus.FINISHED, run.replay
    except IntegrityError:  # a concurrent start of the same night committed first: use its row
        with session_scope() as s:
            run = open_run(s, night, region_code, flow_run_id)
            return run.id or 0, run.status == RunStatus.FINISHED, run.replay


@task(cache_policy=NO_CACHE, **RETRY_ON_CONFLICT)
def plan_chunks(run_id: int, stage: str, size: int | None) -> list[list[int]]:
    """The stage's pending chunks of ``size`` ids (None: the backend's ``CHUNK_SIZES``)."""
    with session_scope() as s:
        run = s.get(NightlyRun, run_id)
        assert run is not None
        size = size or CHUNK_SIZES.get(s.connection().dialect.name, 25_000)
        return pending_chunks(s, run_id, stage, size, None if run.scope == "*" else run.scope)


@task(cache_policy=NO_CACHE, task_run_name="assess-{stage}-{bounds[0]}", **RETRY_ON_CONFLICT)
def assess_chunk(run_id: int, stage: str, bounds: list[int], actor: str) -> tuple[int, list[int]]:
    with session_scope() as s:
        done = s.get(NightlyChunk, (run_id, stage, bounds[0]))
        if done is not None:  # a retry after a commit whose acknowledgement was lost
            return done.findings, []
        return assess(s, run_id, stage, bounds[0], bounds[1], actor)


@task(cache_policy=NO_CACHE, **RETRY_ON_CONFLICT)
def finish_run(run_id: int) -> NightlySummary:
    with session_scope() as s:
        snapshot(s, run_id)
        run = s.get(NightlyRun, run_id)
        assert run is not None
        limit = escalate_before(run.night, load_nightly_rules().escalate_after_days)
        region = None if run.scope == "*" else run.scope
        raised = 0 if run.replay else escalate(s, run.night, utcnow(), "nightly", limit, region)
        if raised:  # to the prefecture's scope: the event names the run and how many
            payload = {"night": run.night.isoformat(), "escalated": raised, "opened_before": limit.isoformat()}
            record(s, Change(DomainEvent.ALARM_ESCALATED, "nightly-run", (run_id,), payload))
        run.status, run.finished_at = RunStatus.FINISHED, utcnow()
        s.add(run)
        s.flush()
        record(s, Change(DomainEvent.NIGHTLY_COMPLETED, "nightly-run", (run_id,), {"night": run.night.isoformat()}))
        return summary(s, run_id)


@task(cache_policy=NO_CACHE)
def load_summary(run_id: int) -> NightlySummary:
    with session_scope() as s:
        return summary(s, run_id)
