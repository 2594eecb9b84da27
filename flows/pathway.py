"""Coordinator flows for one case: confirm → triage, refer, admit, discharge, follow-up.

Flat, typed parameters with Chinese titles (``flows.params``) so the Prefect UI renders a form a coordinator
reads. Each run is named after its case (``confirm-case-31``) and ends with a short Chinese note of what it did
(artifact ``case-31``). The actor must be a coordinator or supervisor (``tasks.infra.access.check_person``: a system
actor or an unknown one is refused before anything is written). Each flow is idempotent.
"""

from __future__ import annotations

from prefect import flow

from flows.context import run_context
from flows.params import (
    Actor,
    AdmittedOn,
    CaseId,
    ConfirmedOn,
    Direction,
    DischargedOn,
    FollowedOn,
    HospitalPick,
    Icd10Correction,
    Kind,
    OptHospitalCode,
    Outcome,
    OutOfScope,
    Outpatient,
    ReferredOn,
    RelapsedOn,
    Sessions,
    TotalCost,
    Urgent,
)
from models.common import ZERO
from models.enums import CareSetting, CaseState, FollowUpOutcome, ReferralDirection, TreatmentKind
from models.schemas import CaseOutcome
from models.settlement.amounts import BillAmounts
from tasks.infra.access import check_person
from tasks.pathway.steps import (
    admit_case,
    confirm_case,
    discharge_case,
    follow_up_case,
    refer_case,
    relapse_case,
    triage_case,
)
from tasks.reports.artifacts import publish_case_step


@flow(name="confirm-diagnosis", flow_run_name="confirm-case-{case_id}")
async def confirm_diagnosis(
    case_id: CaseId, confirmed_on: ConfirmedOn, icd10: Icd10Correction = "", actor: Actor = "coordinator"
) -> CaseOutcome:
    """确诊并分类：核准疑似病情（可更正 ICD-10 编码），再按病种目录分类救治。
    Confirm a suspected condition (optionally correcting its ICD-10 code), then triage it."""
    with run_context(case_id=case_id, actor=actor):
        check_person(actor)
        outcome = confirmed = confirm_case(case_id, confirmed_on, icd10, actor)
        if confirmed.state == CaseState.CONFIRMED:
            outcome = triage_case(case_id, confirmed_on, actor)
            if confirmed.changed:  # confirmed now, even if triage then held it (e.g. outside the catalogue)
                outcome = outcome.model_copy(update={"changed": True})
        publish_case_step("确诊并分类", outcome)
        return outcome


@flow(name="refer-case", flow_run_name="refer-case-{case_id}")
async def refer(
    case_id: CaseId,
    referred_on: ReferredOn,
    urgent: Urgent = False,
    direction: Direction = ReferralDirection.INITIAL,
    actor: Actor = "coordinator",
    hospital: HospitalPick = "",
) -> CaseOutcome:
    """转诊：转到有床位的定点医院（急诊走绿色通道；上转、下转为双向转诊；可由协调员指定医院）。
    Refer to a designated hospital (green channel when urgent; up/down for two-way referral; or the one named)."""
    with run_context(case_id=case_id, actor=actor):
        check_person(actor)
        outcome = refer_case(case_id, referred_on, urgent, direction, actor, hospital)
        publish_case_step("转诊", outcome)
        return outcome


@flow(name="admit-case", flow_run_name="admit-case-{case_id}")
async def admit(
    case_id: CaseId,
    admitted_on: AdmittedOn,
    actor: Actor = "coordinator",
    outpatient: Outpatient = False,
    kind: Kind = TreatmentKind.GENERAL,
    hospital_code: OptHospitalCode = "",
) -> CaseOutcome:
    """入院：在转诊的定点医院入院治疗；维持治疗（如透析）和长期管理的病例可再次入院或开始门诊疗程，不需要重新转诊。
    Admit at the designated hospital the case was referred to; a maintenance or long-term case again, without
    a new referral (an outpatient course with ``outpatient``)."""
    with run_context(case_id=case_id, actor=actor):
        check_person(actor)
        setting = CareSetting.OUTPATIENT if outpatient else CareSetting.INPATIENT
        outcome = admit_case(case_id, admitted_on, actor, setting, kind, hospital_code)
        publish_case_step("入院", outcome)
        return outcome


@flow(name="discharge-case", flow_run_name="discharge-case-{case_id}")
async def discharge(
    case_id: CaseId,
    discharged_on: DischargedOn,
    total_cost: TotalCost,
    out_of_scope: OutOfScope = ZERO,
    sessions: Sessions = 0,
    actor: Actor = "coordinator",
) -> CaseOutcome:
    """出院：登记出院和结算单金额（元，到分），随后自动一站式结算。Discharge with the bill's totals (yuan)."""
    with run_context(case_id=case_id, actor=actor):
        check_person(actor)
        bill = BillAmounts.parse(total_cost, out_of_scope, sessions)
        outcome = discharge_case(case_id, discharged_on, bill, actor)
        publish_case_step("出院", outcome)
        return outcome


@flow(name="record-follow-up", flow_run_name="follow-up-case-{case_id}")
async def record_follow_up(
    case_id: CaseId, followed_on: FollowedOn, outcome: Outcome = FollowUpOutcome.STABLE, actor: Actor = "coordinator"
) -> int:
    """随访：记录一次随访及其结果（固定选项）。Record a follow-up and its outcome (a fixed list)."""
    with run_context(case_id=case_id, actor=actor):
        check_person(actor)
        return follow_up_case(case_id, followed_on, outcome, actor)


@flow(name="relapse-case", flow_run_name="relapse-case-{case_id}")
async def relapse(case_id: CaseId, relapsed_on: RelapsedOn, actor: Actor = "coordinator") -> CaseOutcome:
    """复发：已治愈的病例复发，重新进入分类救治（随后转诊）。A cured case relapses: back to triaged, referred again."""
    with run_context(case_id=case_id, actor=actor):
        check_person(actor)
        outcome = relapse_case(case_id, relapsed_on, actor)
        publish_case_step("复发", outcome)
        return outcome
