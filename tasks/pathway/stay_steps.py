"""Prefect tasks for one stay (coordinator actions): admit any registered patient, discharge, settle. Each opens
its own session, checks the actor's region, locks the patient (a stay of a case: the case first, as every
step on a case does), checks the dates (``models.timeline``) and is idempotent."""

from __future__ import annotations

from datetime import date

from prefect import task
from sqlalchemy import select
from sqlmodel import Session, col

from config.settings import get_settings
from models.care import TreatmentEpisode
from models.catalogue import is_known_icd10
from models.common import local_today
from models.enums import CareSetting, TreatmentKind
from models.errors import BadInput
from models.schemas import StayOutcome
from models.settlement.amounts import BillAmounts
from models.settlement.tables import Settlement
from models.timeline import Step, check_date
from tasks.infra.access import authorize_case, authorize_patient
from tasks.infra.db import session_scope
from tasks.infra.retry import RETRY, RETRY_ON_CONFLICT
from tasks.pathway.stays import StayNotFound, close_stay, hospital_by_code, lock_patient, open_stay
from tasks.pathway.steps import discharge_case
from tasks.pathway.transitions import lock_case
from tasks.settlement.settle import settle_stays


def _today() -> date:
    return local_today(get_settings().timezone)


def stay_outcome(session: Session, stay_id: int, changed: bool, reason: str | None = None) -> StayOutcome:
    stay = session.get(TreatmentEpisode, stay_id, populate_existing=True)
    if stay is None:
        raise StayNotFound(stay_id)
    settled = session.execute(select(col(Settlement.id)).where(col(Settlement.episode_id) == stay_id)).scalar()
    state = "settled" if settled else "discharged" if stay.discharged_on else "open"
    return StayOutcome(
        stay_id=stay_id,
        patient_id=stay.patient_id,
        case_id=stay.case_id,
        state=state,
        changed=changed,
        reason=reason,
        hospital_id=stay.hospital_id,
        settlement_id=settled,
    )


def _stay(session: Session, stay_id: int, actor: str) -> TreatmentEpisode:
    """The stay, once the actor may act on its patient (its case first, row-locked, when it has one)."""
    stay = session.get(TreatmentEpisode, stay_id)
    if stay is None:
        raise StayNotFound(stay_id)
    if stay.case_id is not None:
        authorize_case(session, actor, lock_case(session, stay.case_id))
    else:
        authorize_patient(session, actor, stay.patient_id)
    lock_patient(session, stay.patient_id)
    session.refresh(stay)
    return stay


@task(task_run_name="admit-stay-patient-{patient_id}", **RETRY)
def admit_stay(
    patient_id: int,
    hospital_code: str,
    icd10: str,
    admitted_on: date,
    actor: str,
    setting: CareSetting = CareSetting.INPATIENT,
    kind: TreatmentKind = TreatmentKind.GENERAL,
) -> StayOutcome:
    """Open a stay of a registered patient that treats no special-disease case (any diagnosis)."""
    code = icd10.strip().upper()
    if not is_known_icd10(code):
        raise BadInput("icd10", f"unknown ICD-10 code {code}")
    with session_scope() as s:
        authorize_patient(s, actor, patient_id)
        lock_patient(s, patient_id)
        check_date(f"patient {patient_id}", Step.ADMITTED, admitted_on, {}, _today())
        hospital_id = hospital_by_code(s, hospital_code)
        stay_id, opened = open_stay(s, patient_id, hospital_id, code, admitted_on, actor, setting=setting, kind=kind)
        return stay_outcome(s, stay_id, opened, None if opened else "already open")


@task(task_run_name="discharge-stay-{stay_id}", **RETRY)
def discharge_stay(stay_id: int, discharged_on: date, bill: BillAmounts, actor: str) -> StayOutcome:
    """Close the stay with its bill. A stay of a case is discharged as the case's step (the case moves)."""
    with session_scope() as s:
        stay = _stay(s, stay_id, actor)
        case_id = stay.case_id
        if case_id is None:
            known = {Step.ADMITTED: stay.admitted_on}
            check_date(f"stay {stay_id}", Step.DISCHARGED, discharged_on, known, _today())
            changed = close_stay(s, stay, discharged_on, bill, actor)
            return stay_outcome(s, stay_id, changed, None if changed else "already discharged")
    if stay.discharged_on is not None:
        with session_scope() as s:
            return stay_outcome(s, stay_id, False, "already discharged")
    outcome = discharge_case.fn(case_id, discharged_on, bill, actor)
    with session_scope() as s:
        return stay_outcome(s, stay_id, outcome.changed, outcome.reason)


@task(task_run_name="settle-stay-{stay_id}", **RETRY_ON_CONFLICT)
def settle_stay(stay_id: int, actor: str) -> StayOutcome:
    """One-stop settlement of a discharged stay; settling again returns the first settlement unchanged."""
    with session_scope() as s:
        _stay(s, stay_id, actor)
        settled, held = settle_stays(s, [stay_id], actor)
        s.flush()
        return stay_outcome(s, stay_id, bool(settled), next(iter(held), None))
