"""Persisted one-stop settlement of every discharged stay, set-based per chunk and idempotent.

A stay that treats a special-disease case settles with its case (DISCHARGED → SETTLED, audited): only the call
whose UPDATE moved the case prices it (a concurrent attempt waits on the row, then moves nothing). A stay
without a case (a fracture, a delivery) is claimed under its patient's lock: settlements of one patient are
serialised by a lock on the patient row (taken in id order, after the cases), and the stays still unsettled
are read again once it is held, so the annual ledgers each settlement reads are never stale and no stay is
priced twice. UNIQUE(episode_id) in the database is the last line of defence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from config.policies import load_policies
from models.care import Hospital, TreatmentEpisode
from models.clinical import Case
from models.common import utcnow
from models.enums import CaseState
from models.events import Change, DomainEvent
from models.people import Patient
from models.schemas import CaseOutcome, StepResult
from models.settlement.bill import Bill, BillError
from models.settlement.policy import Policy
from models.settlement.stay_bill import bill_of
from models.settlement.tables import Settlement
from tasks.infra.access import authorize_case
from tasks.infra.bulkwrite import gc_paused, id_in
from tasks.infra.db import session_scope
from tasks.infra.events import record
from tasks.infra.retry import RETRY_ON_CONFLICT
from tasks.pathway.patient_facts import status_and_groups_on
from tasks.pathway.transitions import advance_many, lock_case
from tasks.settlement.store import Pending, Priced, lock_ledgers, price, unsettled, write

_tuple = tuple.__new__  # a Row as the named tuple of its columns, without a keyword call per row


def _pending(session: Session, key: Any, ids: Sequence[int]) -> list[Pending]:
    """The discharged, unsettled stays among ``ids`` (stay ids, or case ids with ``key`` = the stay's case_id)
    with what pricing them needs, as ``Pending`` tuples (``row.total``): a stay of a case only while its case is
    discharged. Per patient, by discharge date: the order the annual ledgers see them in."""
    settled = aliased(Settlement)
    stmt = (
        select(
            col(TreatmentEpisode.id).label("episode_id"),
            col(TreatmentEpisode.case_id),
            col(TreatmentEpisode.patient_id),
            col(Patient.poverty_status),
            col(Patient.birth_date),
            col(Patient.region_code).label("region"),
            col(Hospital.level).label("hospital_level"),
            col(Hospital.region_code).label("hospital_region"),
            col(TreatmentEpisode.setting),
            col(TreatmentEpisode.treatment_kind),
            col(TreatmentEpisode.discharged_on),
            col(TreatmentEpisode.total_cost).label("total"),
            col(TreatmentEpisode.out_of_scope),
            col(TreatmentEpisode.sessions),
        )
        .join(Patient, col(Patient.id) == col(TreatmentEpisode.patient_id))
        .join(Hospital, col(Hospital.id) == col(TreatmentEpisode.hospital_id))
        .outerjoin(Case, col(Case.id) == col(TreatmentEpisode.case_id))
        .outerjoin(settled, col(settled.episode_id) == col(TreatmentEpisode.id))
        .where(
            id_in(session, key, ids),
            col(TreatmentEpisode.discharged_on).is_not(None),
            col(settled.id).is_(None),
            (col(TreatmentEpisode.case_id).is_(None)) | (col(Case.state) == CaseState.DISCHARGED),
        )
        .order_by(col(TreatmentEpisode.patient_id), col(TreatmentEpisode.discharged_on), col(TreatmentEpisode.id))
    )
    assert tuple(stmt.selected_columns.keys()) == Pending._fields  # the tuples are built by position
    return [_tuple(Pending, r) for r in session.connection().execute(stmt)]  # Core: no ORM loading per row


def settle_many(session: Session, case_ids: Sequence[int], actor: str) -> tuple[list[int], dict[str, int]]:
    """DISCHARGED → SETTLED for every case whose discharged stay can be settled; returns (moved cases, held)."""
    with gc_paused():
        priced, held = _settle(session, _pending(session, col(TreatmentEpisode.case_id), case_ids), actor)
    return [p.row.case_id for p in priced if p.row.case_id is not None], held


def settle_stays(session: Session, stay_ids: Sequence[int], actor: str) -> tuple[list[int], dict[str, int]]:
    """Settle the listed discharged stays (with or without a case); returns (settled stay ids, held)."""
    with gc_paused():
        priced, held = _settle(session, _pending(session, col(TreatmentEpisode.id), stay_ids), actor)
    return [p.row.episode_id for p in priced], held


def _settle(session: Session, pending: list[Pending], actor: str) -> tuple[list[Priced], dict[str, int]]:
    """Validate every pending bill, move the valid stays' cases (the UPDATE row-locks them), lock the patients,
    claim the stays without a case that are still unsettled, then price what this call claimed."""
    policies = load_policies()
    held: dict[str, int] = {}
    bills: list[tuple[Pending, Bill, Policy]] = []
    facts = status_and_groups_on(
        session, [(r.patient_id, r.discharged_on) for r in pending], {r.patient_id: r.poverty_status for r in pending}
    )
    for row in pending:
        try:
            bill = bill_of(row, facts[(row.patient_id, row.discharged_on)])
            bills.append((row, bill, policies.in_force(row.region, row.discharged_on)))
        except BillError as exc:
            held[f"bill_error:{exc.field}"] = held.get(f"bill_error:{exc.field}", 0) + 1
            kind, subject = ("case", row.case_id) if row.case_id is not None else ("stay", row.episode_id)
            record(session, Change(DomainEvent.SETTLEMENT_HELD, kind, (subject,), {"reason": str(exc)}))
    now = utcnow()
    of_cases = [row.case_id for row, _, _ in bills if row.case_id is not None]
    moved = set(
        advance_many(
            session,
            of_cases,
            CaseState.DISCHARGED,
            CaseState.SETTLED,
            actor=actor,
            reason="one-stop settlement",
            now=now,
            on={row.case_id: row.discharged_on for row, _, _ in bills if row.case_id is not None},  # service date
        )
    )
    patients = sorted({row.patient_id for row, _, _ in bills if row.case_id is None or row.case_id in moved})
    stored = lock_ledgers(session, patients)
    caseless = [row.episode_id for row, _, _ in bills if row.case_id is None]
    still_open = unsettled(session, caseless)
    todo = [b for b in bills if (b[0].case_id in moved if b[0].case_id is not None else b[0].episode_id in still_open)]
    priced, years = price(todo, stored)
    write(session, priced, years, stored, now, actor)
    done = [p.row.episode_id for p in priced if p.row.case_id is None]
    if done:
        record(session, Change(DomainEvent.SETTLEMENT_COMPLETED, "stay", tuple(done), {"actor": actor}))
    return priced, held


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
    """One chunk in one transaction; the cyclic GC stays paused through the commit too (its outbox rows and
    the regions of a 5,000-case event otherwise pay for collections over the batch's survivors)."""
    with gc_paused(), session_scope() as s:
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
