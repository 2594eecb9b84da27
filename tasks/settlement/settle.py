"""Persisted one-stop settlement of discharged cases, set-based per chunk and idempotent.

Each episode settles once: a case is priced only by the call whose UPDATE moved it out of DISCHARGED
(a concurrent attempt on the same case waits on the row and then moves nothing), and UNIQUE(episode_id)
in the database is the last line of defence. Settlements of one patient are serialised by a lock on the
patient row (taken in id order after the cases), so the annual ledgers they read are never stale.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import Row, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from config.policies import load_policies
from models.care import Hospital, TreatmentEpisode
from models.clinical import Case
from models.common import age_on, utcnow
from models.enums import CaseState
from models.events import Change, DomainEvent, only_date
from models.people import Patient
from models.referral import location_of
from models.schemas import CaseOutcome, StepResult
from models.settlement.bill import Bill, BillError, PatientFacts, PriorUse
from models.settlement.engine import settle
from models.settlement.ledger import apply_statement
from models.settlement.policy import PayerLayer, Policy
from models.settlement.stored import LINE_COLUMNS, LineRow, line_rows
from models.settlement.tables import PayerLedger, Settlement
from tasks.infra.access import authorize_case
from tasks.infra.bulkwrite import append_rows, gc_paused, id_in
from tasks.infra.db import session_scope
from tasks.infra.events import record
from tasks.infra.retry import RETRY_ON_CONFLICT
from tasks.pathway.transitions import advance_many, lock_case


def _pending(session: Session, case_ids: Sequence[int]) -> list[Row[Any]]:
    """The open discharges of the cases with what pricing them needs, as labelled rows (``row.total``)."""
    settled = aliased(Settlement)
    stmt = (
        select(
            col(Case.id).label("case_id"),  # a column's own name unless two tables share it
            col(TreatmentEpisode.id).label("episode_id"),
            col(Case.patient_id),
            col(Patient.poverty_status),
            col(Patient.birth_date),
            col(Patient.region_code).label("region"),
            col(Hospital.level).label("hospital_level"),
            col(Hospital.region_code).label("hospital_region"),
            col(TreatmentEpisode.setting),
            col(TreatmentEpisode.discharged_on),
            col(TreatmentEpisode.total_cost).label("total"),
            col(TreatmentEpisode.out_of_scope),
            col(TreatmentEpisode.sessions),
        )
        .join(TreatmentEpisode, col(TreatmentEpisode.case_id) == col(Case.id))
        .join(Patient, col(Patient.id) == col(Case.patient_id))
        .join(Hospital, col(Hospital.id) == col(TreatmentEpisode.hospital_id))
        .outerjoin(settled, col(settled.episode_id) == col(TreatmentEpisode.id))
        .where(
            id_in(session, col(Case.id), case_ids),
            col(Case.state) == CaseState.DISCHARGED,
            col(TreatmentEpisode.discharged_on).is_not(None),
            col(settled.id).is_(None),
        )
        .order_by(col(Case.patient_id), col(TreatmentEpisode.discharged_on), col(TreatmentEpisode.id))
    )
    return list(session.execute(stmt).all())


def _bill_of(row: Row[Any]) -> Bill:
    """The stored discharge as a bill: typed values, so ``Bill.from_record`` checks without re-parsing."""
    on = row.discharged_on
    return Bill.from_record(
        region=row.region,
        service_date=on,
        setting=row.setting,
        hospital_level=row.hospital_level,
        hospital_location=location_of(row.region, row.hospital_region),
        patient=PatientFacts.model_construct(
            poverty_status=row.poverty_status, age=age_on(row.birth_date, on), groups=frozenset()
        ),
        total=row.total,
        out_of_scope=row.out_of_scope,
        sessions=row.sessions,
        prior_paid={},
    )


class SettlementRow(NamedTuple):
    """One ``settlement`` row as ``append_rows`` writes it (fields in column order)."""

    episode_id: int
    case_id: int
    patient_id: int
    policy_id: str
    service_date: date
    total: Decimal
    in_scope: Decimal
    patient_pays: Decimal
    self_pay_ratio: Decimal
    flags: str
    settled_at: datetime
    actor: str


#: (patient id, year): that patient's annual ledger, layer by layer.
YearKey = tuple[int, int]
LedgerKey = tuple[int, int, PayerLayer]


def settle_many(session: Session, case_ids: Sequence[int], actor: str) -> tuple[list[int], dict[str, int]]:
    """DISCHARGED → SETTLED for every case whose open discharge can be settled; returns (moved, held)."""
    with gc_paused():
        return _settle_many(session, case_ids, actor)


def _settle_many(session: Session, case_ids: Sequence[int], actor: str) -> tuple[list[int], dict[str, int]]:
    """Validate every pending bill, move the valid cases (the UPDATE row-locks them: a concurrent attempt
    on the same case moves nothing), then lock the patients and price only the cases this call moved."""
    policies = load_policies()
    held: dict[str, int] = {}
    bills: dict[int, tuple[Row[Any], Bill, Policy]] = {}
    for row in _pending(session, case_ids):
        try:
            bills[row.case_id] = (row, _bill_of(row), policies.in_force(row.region, row.discharged_on))
        except BillError as exc:
            held[f"bill_error:{exc.field}"] = held.get(f"bill_error:{exc.field}", 0) + 1
            record(session, Change(DomainEvent.SETTLEMENT_HELD, "case", (row.case_id,), {"reason": str(exc)}))
    now = utcnow()
    moved = advance_many(
        session,
        list(bills),
        CaseState.DISCHARGED,
        CaseState.SETTLED,
        actor=actor,
        reason="one-stop settlement",
        now=now,
        on=only_date(row.discharged_on for row, _, _ in bills.values()),  # the service (discharge) date
    )
    moved_here = set(moved)  # priced in _pending's order: per patient, by discharge date
    todo = [bill for case_id, bill in bills.items() if case_id in moved_here]
    stored = _lock_ledgers(session, sorted({row.patient_id for row, _, _ in todo}))
    years: dict[YearKey, dict[PayerLayer, PriorUse]] = {}
    for (patient_id, year, layer), lg in stored.items():
        years.setdefault((patient_id, year), {})[layer] = PriorUse.model_construct(
            paid=lg.paid, deductible=lg.deductible_used
        )
    settlements: list[SettlementRow] = []
    lines_by_episode: dict[int, list[LineRow]] = {}
    for row, unpriced, policy in todo:
        key = (row.patient_id, row.discharged_on.year)
        prior = years.get(key, {})
        statement, deltas = settle(unpriced.model_copy(update={"prior_paid": prior}), policy)
        years[key] = apply_statement(prior, deltas)
        settlements.append(
            SettlementRow(
                row.episode_id,
                row.case_id,
                row.patient_id,
                statement.policy_id,
                row.discharged_on,
                statement.total,
                statement.in_scope,
                statement.patient_pays,
                statement.self_pay_ratio,
                ",".join(statement.flags),
                now,
                actor,
            )
        )
        lines_by_episode[row.episode_id] = line_rows(statement, deltas)
    _write(session, settlements, lines_by_episode, _carry(stored, years))
    return moved, held


def _carry(
    stored: dict[LedgerKey, PayerLedger], years: dict[YearKey, dict[PayerLayer, PriorUse]]
) -> list[tuple[Any, ...]]:
    """Carry the new ledgers over: a stored row that changed is updated (flushed by the session), a layer
    without a row yet becomes a new ``payer_ledger`` row (returned)."""
    fresh: list[tuple[Any, ...]] = []
    for (patient_id, year), layers in years.items():
        for layer, use in layers.items():
            lg = stored.get((patient_id, year, layer))
            if lg is None:
                fresh.append((patient_id, year, layer, use.paid, use.deductible))
            elif (lg.paid, lg.deductible_used) != (use.paid, use.deductible):
                lg.paid, lg.deductible_used = use.paid, use.deductible
    return fresh


def _lock_ledgers(session: Session, patients: list[int]) -> dict[LedgerKey, PayerLedger]:
    """Lock the patients (in id order, so concurrent chunks cannot deadlock), then read their ledgers.

    Locking the patient row, not only its ledger rows, serialises every settlement of one patient even
    before its first ledger row exists (two first bills would otherwise both start from zero). FOR NO KEY
    UPDATE does not block inserts that merely reference the patient. SQLite has no row locks: there the
    caller's UPDATE of the cases already holds the database's single write lock, so these reads see the
    latest committed ledger and no other settlement can commit before this one.
    """
    if not patients:
        return {}
    if session.connection().dialect.name == "postgresql":
        session.execute(
            select(col(Patient.id))
            .where(id_in(session, col(Patient.id), patients))
            .order_by(col(Patient.id))
            .with_for_update(key_share=True)
        ).all()
    return {
        (lg.patient_id, lg.year, PayerLayer(lg.layer)): lg
        for lg in session.execute(
            select(PayerLedger)
            .where(id_in(session, col(PayerLedger.patient_id), patients))
            .order_by(col(PayerLedger.id))
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalars()
    }


def _write(
    session: Session,
    settlements: list[SettlementRow],
    lines_by_episode: dict[int, list[LineRow]],
    new_ledgers: list[tuple[Any, ...]],
) -> None:
    """Append settlements, their lines and new ledger rows (updated ledgers are flushed by the session)."""
    if settlements:
        append_rows(session, "settlement", SettlementRow._fields, settlements)
        ids = session.execute(
            select(col(Settlement.id), col(Settlement.episode_id)).where(
                id_in(session, col(Settlement.episode_id), list(lines_by_episode)), col(Settlement.generation) == 0
            )
        ).tuples()
        append_rows(
            session,
            "settlement_line",
            LINE_COLUMNS,
            ((sid, *ln) for sid, eid in ids for ln in lines_by_episode[eid]),
        )
    if new_ledgers:
        append_rows(session, "payer_ledger", ("patient_id", "year", "layer", "paid", "deductible_used"), new_ledgers)


def settlement_of_case(session: Session, case_id: int) -> Settlement | None:
    """The case's latest settlement (not a reversal row: a re-settlement after a reversal is the latest)."""
    return (
        session.execute(
            select(Settlement)
            .where(col(Settlement.case_id) == case_id, col(Settlement.reverses_id).is_(None))
            .order_by(col(Settlement.id).desc())
        )
        .scalars()
        .first()
    )


@task(cache_policy=NO_CACHE, **RETRY_ON_CONFLICT)
def settle_chunk(case_ids: list[int], actor: str) -> StepResult:
    with session_scope() as s:
        moved, held = settle_many(s, case_ids, actor)
    return StepResult(step="settle", considered=len(case_ids), moved=len(moved), held=held)


@task(task_run_name="settle-case-{case_id}", **RETRY_ON_CONFLICT)
def settle_case(case_id: int, actor: str) -> CaseOutcome:
    """Settle the case's discharge; settling again returns the first settlement unchanged. An actor outside
    the patient's region gets AccessDenied before anything is read or written."""
    with session_scope() as s:
        case = lock_case(s, case_id)
        authorize_case(s, actor, case)
        moved, held = settle_many(s, [case_id], actor) if case.state == CaseState.DISCHARGED else ([], {})
        s.flush()
        s.refresh(case)
        done = settlement_of_case(s, case_id)
        reason = next(iter(held), None) or (None if done else f"not settled: case is {case.state}")
        return CaseOutcome(
            case_id=case_id,
            state=CaseState(case.state),
            changed=bool(moved),
            reason=reason,
            settlement_id=done.id if done else None,
        )
