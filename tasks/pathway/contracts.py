"""Family-doctor contracts (家庭医生签约): sign, renew and end, each appended with its ``contract_event`` (actor,
reason); the contract rate (签约率) of the ledger's population. No term is ever updated: an end is an event row,
a renewal a new term."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from prefect import task
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlmodel import Session, col

from models.care import FamilyDoctorContract, Hospital
from models.contracts import (
    ContractEvent,
    ContractEventKind,
    Term,
    current_term,
    last_day,
    overlapping,
    term_until,
)
from models.corrections import CorrectionRefused, reason_text
from models.errors import BadInput
from models.events import Change, DomainEvent
from models.people import Patient
from tasks.infra.access import authorize_patient
from tasks.infra.bulkwrite import id_in
from tasks.infra.db import session_scope
from tasks.infra.events import record
from tasks.infra.retry import RETRY
from tasks.pathway.correction_steps import not_future
from tasks.pathway.patient_facts import lock_patient

EVENTS = {
    ContractEventKind.SIGNED: DomainEvent.CONTRACT_SIGNED,
    ContractEventKind.RENEWED: DomainEvent.CONTRACT_RENEWED,
    ContractEventKind.ENDED: DomainEvent.CONTRACT_ENDED,
}


class ContractOutcome(BaseModel):
    """A contract term after a sign, renewal or end (ids and dates only)."""

    model_config = ConfigDict(frozen=True)

    patient_id: int
    contract_id: int
    event: ContractEventKind
    team: str
    institution: str | None
    signed_on: date
    expires_on: date
    ended_on: date | None = None


def terms_of(session: Session, patient_ids: Sequence[int]) -> dict[int, list[Term]]:
    """Every term of the patients with the earliest end recorded for it."""
    ends = (
        select(col(ContractEvent.contract_id), func.min(col(ContractEvent.on)).label("ended_on"))
        .where(col(ContractEvent.kind) == ContractEventKind.ENDED)
        .group_by(col(ContractEvent.contract_id))
        .subquery()
    )
    stmt = (
        select(
            col(FamilyDoctorContract.patient_id),
            col(FamilyDoctorContract.id),
            col(FamilyDoctorContract.signed_on),
            col(FamilyDoctorContract.expires_on),
            ends.c.ended_on,
        )
        .outerjoin(ends, ends.c.contract_id == col(FamilyDoctorContract.id))
        .where(id_in(session, col(FamilyDoctorContract.patient_id), sorted(set(patient_ids))))
    )
    found: dict[int, list[Term]] = {}
    for pid, tid, start, until, ended in session.execute(stmt).tuples():
        found.setdefault(pid, []).append(Term(tid, start, until, ended))
    return found


def _lock_patient(session: Session, patient_id: int, actor: str) -> Patient:
    authorize_patient(session, actor, patient_id)
    return lock_patient(session, patient_id)


def _institution(session: Session, code: str | None, patient: Patient) -> int | None:
    """The signing institution by hospital code: known, and in the patient's county (a 基层 team signs its own
    residents)."""
    if not code:
        return None
    row = session.execute(select(Hospital).where(col(Hospital.code) == code.strip())).scalars().first()
    if row is None:
        raise BadInput("institution", f"unknown institution code {code.strip()}")
    if row.region_code != patient.region_code:
        raise BadInput("institution", f"{row.code} is not in the patient's region {patient.region_code}")
    return int(row.id or 0)


def _append(
    session: Session,
    patient: Patient,
    kind: ContractEventKind,
    term: FamilyDoctorContract,
    on: date,
    actor: str,
    reason: str,
    renews_id: int | None = None,
) -> ContractOutcome:
    session.add(
        ContractEvent(
            contract_id=term.id or 0,
            patient_id=patient.id or 0,
            kind=kind,
            on=on,
            renews_id=renews_id,
            actor=actor,
            reason=reason,
        )
    )
    session.flush()
    payload = {"contract_id": term.id, "kind": kind.value, "actor": actor, "on": on.isoformat()}
    record(session, Change(EVENTS[kind], "patient", (patient.id or 0,), payload))
    code = session.execute(select(col(Hospital.code)).where(col(Hospital.id) == term.institution_id)).scalar()
    return ContractOutcome(
        patient_id=patient.id or 0,
        contract_id=term.id or 0,
        event=kind,
        team=term.doctor_ref,
        institution=code,
        signed_on=term.signed_on,
        expires_on=term.expires_on,
        ended_on=on if kind == ContractEventKind.ENDED else None,
    )


def _new_term(
    session: Session, patient: Patient, team: str, institution_id: int | None, start: date, years: int
) -> FamilyDoctorContract:
    if not 1 <= years <= 10:
        raise BadInput("years", "must be 1 to 10")
    team = team.strip()
    if not 1 <= len(team) <= 40:
        raise BadInput("team", "must be 1 to 40 characters")
    term = FamilyDoctorContract(
        patient_id=patient.id or 0,
        doctor_ref=team,
        institution_id=institution_id,
        signed_on=start,
        expires_on=term_until(start, years),
    )
    session.add(term)
    session.flush()
    return term


@task(task_run_name="sign-contract-patient-{patient_id}", **RETRY)
def sign_contract(
    patient_id: int, team: str, institution: str | None, start: date, years: int, actor: str, reason: str
) -> ContractOutcome:
    """签约: a new term from ``start``; refused while another term is in force that day (renew or end it)."""
    text = reason_text(reason)
    not_future("from", start)
    with session_scope() as s:
        patient = _lock_patient(s, patient_id, actor)
        live = overlapping(terms_of(s, [patient_id]).get(patient_id, []), start, term_until(start, years))
        if live is not None:
            raise CorrectionRefused(
                f"patient {patient_id} has contract {live.id} in force from {live.signed_on.isoformat()} to "
                f"{last_day(live).isoformat()}: renew or end it"
            )
        term = _new_term(s, patient, team, _institution(s, institution, patient), start, years)
        return _append(s, patient, ContractEventKind.SIGNED, term, start, actor, text)


@task(task_run_name="renew-contract-patient-{patient_id}", **RETRY)
def renew_contract(
    patient_id: int,
    team: str | None,
    institution: str | None,
    start: date | None,
    years: int,
    actor: str,
    reason: str,
) -> ContractOutcome:
    """续约: a new term following the latest one not ended (from the day after it expires, unless ``start``);
    the same team and institution unless others are named."""
    text = reason_text(reason)
    with session_scope() as s:
        patient = _lock_patient(s, patient_id, actor)
        live = [t for t in terms_of(s, [patient_id]).get(patient_id, []) if t.ended_on is None]
        if not live:
            raise CorrectionRefused(f"patient {patient_id} has no contract to renew: sign one")
        last = max(live, key=lambda t: (t.expires_on, t.id))
        previous = s.get(FamilyDoctorContract, last.id)
        assert previous is not None
        begin = start or last.expires_on + timedelta(days=1)
        not_future("from", begin)
        if begin <= last.signed_on:
            raise BadInput("from", f"must be after {last.signed_on.isoformat()}, when contract {last.id} began")
        inst = _institution(s, institution, patient) if institution else previous.institution_id
        term = _new_term(s, patient, team or previous.doctor_ref, inst, begin, years)
        return _append(s, patient, ContractEventKind.RENEWED, term, begin, actor, text, renews_id=last.id)


@task(task_run_name="end-contract-patient-{patient_id}", **RETRY)
def end_contract(patient_id: int, on: date, actor: str, reason: str) -> ContractOutcome:
    """解约: the term in force on ``on`` ends that day (an event row; the term itself is not changed)."""
    text = reason_text(reason)
    not_future("on", on)
    with session_scope() as s:
        patient = _lock_patient(s, patient_id, actor)
        live = current_term(terms_of(s, [patient_id]).get(patient_id, []), on)
        if live is None:
            raise CorrectionRefused(f"patient {patient_id} has no contract in force on {on.isoformat()}")
        term = s.get(FamilyDoctorContract, live.id)
        assert term is not None
        return _append(s, patient, ContractEventKind.ENDED, term, on, actor, text)
