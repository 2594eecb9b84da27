"""Coordinator corrections, each audited with actor and reason: a patient's poverty status and groups from a
date, a case's diagnosis (re-triaged), closing a case with a reason from a fixed list, undoing a wrong step as
a new move. Runs are named after the patient or case; each ends with the case's Chinese note where a case
changed."""

from __future__ import annotations

from prefect import flow

from flows.context import run_context
from flows.correction_params import ClosedOn, CorrectedOn, CorrectIcd10, EffectiveFrom, OptGroups, Reason, Status, Why
from flows.params import Actor, CaseId, PatientId
from models.corrections import CorrectionOutcome, PatientFactsNow
from models.schemas import CaseOutcome
from tasks.infra.access import check_person
from tasks.pathway.correction_steps import (
    change_groups,
    close_case_step,
    correct_diagnosis_case,
    correct_status,
    undo_case,
)
from tasks.reports.artifacts import publish_case_step


def _note(title: str, done: CorrectionOutcome) -> None:
    publish_case_step(
        title,
        CaseOutcome(case_id=done.case_id, state=done.state, changed=done.changed, reason=done.held or done.detail),
    )


@flow(name="correct-poverty-status", flow_run_name="correct-status-patient-{patient_id}")
async def correct_poverty_status(
    patient_id: PatientId,
    poverty_status: Status,
    effective_from: EffectiveFrom,
    reason: Reason,
    actor: Actor = "coordinator",
) -> PatientFactsNow:
    """更正贫困属性：从生效日期起按新的属性结算（之前的住院不变），记录操作人和原因。
    Correct a patient's poverty status from a date on; earlier stays keep the old one."""
    with run_context(patient_id=patient_id, actor=actor):
        check_person(actor)
        return correct_status(patient_id, poverty_status, effective_from, actor, reason)


@flow(name="change-patient-groups", flow_run_name="groups-patient-{patient_id}")
async def change_patient_groups(
    patient_id: PatientId,
    effective_from: EffectiveFrom,
    reason: Reason,
    add: OptGroups = None,
    remove: OptGroups = None,
    actor: Actor = "coordinator",
) -> PatientFactsNow:
    """特殊人群：从生效日期起加入或退出（重病、重度残疾、因灾、优抚…），结算按服务日期的人群。
    Add or remove special groups from a date on; settlement uses the groups in force on the service date."""
    with run_context(patient_id=patient_id, actor=actor):
        check_person(actor)
        return change_groups(patient_id, list(add or []), list(remove or []), effective_from, actor, reason)


@flow(name="correct-diagnosis", flow_run_name="correct-diagnosis-case-{case_id}")
async def correct_diagnosis(
    case_id: CaseId, icd10: CorrectIcd10, corrected_on: CorrectedOn, reason: Reason, actor: Actor = "coordinator"
) -> CorrectionOutcome:
    """更正诊断：改正 ICD-10 编码并按病种目录重新分类（治疗前换病种则重新转诊）。
    Correct a case's diagnosis and re-triage it by the catalogue."""
    with run_context(case_id=case_id, actor=actor):
        check_person(actor)
        done = correct_diagnosis_case(case_id, icd10, corrected_on, actor, reason)
        _note("更正诊断", done)
        return done


@flow(name="close-case", flow_run_name="close-case-{case_id}")
async def close_case(
    case_id: CaseId, why: Why, reason: Reason, actor: Actor = "coordinator", closed_on: ClosedOn = None
) -> CorrectionOutcome:
    """结案：按固定原因关闭病例（死亡、迁出时关闭患者的全部在管病例）；结案日期默认今天。
    Close a case with a reason from a fixed list (died / moved away close the patient's other cases too)."""
    with run_context(case_id=case_id, actor=actor):
        check_person(actor)
        done = close_case_step(case_id, why, actor, reason, closed_on)
        _note("结案", done)
        return done


@flow(name="undo-step", flow_run_name="undo-case-{case_id}")
async def undo_step(case_id: CaseId, reason: Reason, actor: Actor = "coordinator") -> CorrectionOutcome:
    """撤销上一步：把病例退回上一步之前的状态（追加一条审计记录，不改历史）；已结算的住院须先冲销。
    Undo the case's last step as a new audited move; a settled stay must be reversed first."""
    with run_context(case_id=case_id, actor=actor):
        check_person(actor)
        done = undo_case(case_id, actor, reason)
        _note("撤销上一步", done)
        return done
