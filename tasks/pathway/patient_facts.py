"""A patient's poverty status and groups over time (``patient_fact``): set-based reads for settlement, and the
audited writes of a correction. ``patient.poverty_status`` keeps answering "now": each write recomputes it from
the history in the same transaction (no row is dated after today, so "now" cannot go stale)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from models.common import utcnow
from models.corrections import BEGINNING, FactKind, FactRow, PatientFact, facts_on
from models.enums import PovertyStatus
from models.errors import PatientNotFound
from models.events import Change, DomainEvent
from models.people import Patient
from tasks.infra.bulkwrite import id_in
from tasks.infra.events import record

Facts = tuple[PovertyStatus, frozenset[str]]


def history_where(session: Session, which: Any) -> dict[int, list[FactRow]]:
    """Every history row of the patients ``which`` (a condition on ``patient_fact.patient_id``) selects, grouped
    by patient."""
    stmt = select(
        col(PatientFact.patient_id),
        col(PatientFact.kind),
        col(PatientFact.value),
        col(PatientFact.effective_from),
        col(PatientFact.id),
    ).where(which)
    found: dict[int, list[FactRow]] = {}
    for pid, kind, value, since, rid in session.execute(stmt).tuples():
        found.setdefault(pid, []).append(FactRow(FactKind(kind), value, since, rid))
    return found


def history_of(session: Session, patient_ids: Sequence[int]) -> dict[int, list[FactRow]]:
    """Every history row of the patients, grouped by patient."""
    if not patient_ids:
        return {}
    return history_where(session, id_in(session, col(PatientFact.patient_id), sorted(set(patient_ids))))


def status_and_groups_on(
    session: Session, asked: Sequence[tuple[int, date]], registered: dict[int, PovertyStatus] | None = None
) -> dict[tuple[int, date], Facts]:
    """(patient id, date) → the status and groups in force that day, one query for the whole list. A patient
    without a status row in force has the status they were registered with (``registered``, or read here)."""
    patients = sorted({pid for pid, _ in asked})
    history = history_of(session, patients)
    if registered is None:
        stmt = select(col(Patient.id), col(Patient.poverty_status)).where(id_in(session, col(Patient.id), patients))
        registered = {pid: PovertyStatus(s) for pid, s in session.execute(stmt).tuples()}
    out: dict[tuple[int, date], Facts] = {}
    for pid, on in asked:
        status, groups = facts_on(history.get(pid, ()), on, registered.get(pid))
        if status is not None:
            out[(pid, on)] = (status, groups)
    return out


def lock_patient(session: Session, patient_id: int) -> Patient:
    """The patient row, locked (FOR UPDATE on PostgreSQL): one writer of a patient's history at a time."""
    patient = session.execute(select(Patient).where(col(Patient.id) == patient_id).with_for_update()).scalars().first()
    if patient is None:
        raise PatientNotFound(patient_id)
    assert isinstance(patient, Patient)
    return patient


def append_facts(
    session: Session,
    patient_id: int,
    changes: Sequence[tuple[FactKind, str]],
    effective_from: date,
    actor: str,
    reason: str,
    today: date,
) -> Facts:
    """Append the rows (the patient row locked first: one writer of a patient's history at a time), refresh the
    cached status and return what is in force today. The first status row of a patient is preceded by one
    keeping the status they were registered with, from ``BEGINNING``, so earlier stays keep it."""
    patient = lock_patient(session, patient_id)
    rows = history_of(session, [patient_id]).get(patient_id, [])
    now = utcnow()
    new: list[PatientFact] = []
    if any(k == FactKind.STATUS for k, _ in changes) and not any(r.kind == FactKind.STATUS for r in rows):
        new.append(
            PatientFact(
                patient_id=patient_id,
                kind=FactKind.STATUS,
                value=patient.poverty_status,
                effective_from=BEGINNING,
                actor=actor,
                reason="status at registration",
                recorded_at=now,
            )
        )
    new += [
        PatientFact(
            patient_id=patient_id,
            kind=k,
            value=v,
            effective_from=effective_from,
            actor=actor,
            reason=reason,
            recorded_at=now,
        )
        for k, v in changes
    ]
    session.add_all(new)
    session.flush()
    rows += [FactRow(r.kind, r.value, r.effective_from, r.id or 0) for r in new]
    status, groups = facts_on(rows, today, PovertyStatus(patient.poverty_status))
    assert status is not None
    if status != patient.poverty_status:
        session.execute(update(Patient).where(col(Patient.id) == patient_id).values(poverty_status=status))
    payload = {
        "changes": [f"{k.value}:{v}" for k, v in changes],
        "effective_from": effective_from.isoformat(),
        "actor": actor,
        "on": effective_from.isoformat(),
    }
    record(session, Change(DomainEvent.PATIENT_CORRECTED, "patient", (patient_id,), payload))
    return status, groups
