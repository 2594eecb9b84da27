"""Prefect tasks for the coordinator's corrections: each opens its own session, locks the case or patient,
checks the actor's region before writing, and writes the correction with its audit row in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from prefect import task

from config.settings import get_settings
from models.common import local_today
from models.corrections import CorrectionOutcome, FactKind, PatientFactsNow, reason_text
from models.enums import CloseReason, PatientGroup, PovertyStatus
from models.errors import BadInput
from models.timeline import Step
from tasks.infra.access import authorize_patient
from tasks.infra.db import session_scope
from tasks.infra.retry import RETRY
from tasks.pathway.corrections import close_case, correct_diagnosis
from tasks.pathway.patient_facts import append_facts
from tasks.pathway.steps import check_step, lock_for
from tasks.pathway.undo import undo_last


def today() -> date:
    return local_today(get_settings().timezone)


def not_future(field: str, day: date) -> date:
    """A business date is not after today (in the county's time zone)."""
    if day > today():
        raise BadInput(field, f"{day.isoformat()} is in the future")
    return day


@task(task_run_name="correct-status-patient-{patient_id}", **RETRY)
def correct_status(
    patient_id: int, status: PovertyStatus, effective_from: date, actor: str, reason: str
) -> PatientFactsNow:
    """贫困属性更正: the patient's status is ``status`` from ``effective_from`` on (earlier stays keep theirs)."""
    return _facts(patient_id, [(FactKind.STATUS, PovertyStatus(status).value)], effective_from, actor, reason)


@task(task_run_name="change-groups-patient-{patient_id}", **RETRY)
def change_groups(
    patient_id: int,
    added: Sequence[PatientGroup],
    removed: Sequence[PatientGroup],
    effective_from: date,
    actor: str,
    reason: str,
) -> PatientFactsNow:
    """特殊人群: the patient joins ``added`` and leaves ``removed`` from ``effective_from`` on."""
    if not added and not removed:
        raise BadInput("group", "name at least one group")
    changes = [(FactKind.GROUP_ADDED, PatientGroup(g).value) for g in added]
    changes += [(FactKind.GROUP_REMOVED, PatientGroup(g).value) for g in removed]
    return _facts(patient_id, changes, effective_from, actor, reason)


def _facts(
    patient_id: int, changes: list[tuple[FactKind, str]], effective_from: date, actor: str, reason: str
) -> PatientFactsNow:
    text = reason_text(reason)
    not_future("effective_from", effective_from)
    with session_scope() as s:
        authorize_patient(s, actor, patient_id)
        status, groups = append_facts(s, patient_id, changes, effective_from, actor, text, today())
    return PatientFactsNow(
        patient_id=patient_id, poverty_status=status, groups=sorted(groups), effective_from=effective_from
    )


@task(task_run_name="correct-diagnosis-case-{case_id}", **RETRY)
def correct_diagnosis_case(case_id: int, icd10: str, on: date, actor: str, reason: str) -> CorrectionOutcome:
    text = reason_text(reason)
    not_future("on", on)
    with session_scope() as s:
        return correct_diagnosis(s, lock_for(s, case_id, actor), icd10, on, actor, text)


@task(task_run_name="close-case-{case_id}", **RETRY)
def close_case_step(
    case_id: int, why: CloseReason, actor: str, reason: str, closed_on: date | None = None
) -> CorrectionOutcome:
    """结案 on ``closed_on`` (default today): not before any date the case already has."""
    text = reason_text(reason)
    on = closed_on or today()
    with session_scope() as s:
        case = lock_for(s, case_id, actor)
        check_step(s, case_id, Step.CLOSED, on)
        return close_case(s, case, CloseReason(why), on, actor, text)


@task(task_run_name="undo-case-{case_id}", **RETRY)
def undo_case(case_id: int, actor: str, reason: str) -> CorrectionOutcome:
    text = reason_text(reason)
    with session_scope() as s:
        return undo_last(s, lock_for(s, case_id, actor), actor, text)
