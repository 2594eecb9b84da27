"""Coordinator flows for a stay of any registered patient (issue 17): admit (any diagnosis, inpatient or an
outpatient 门诊慢特病 course), discharge with the bill and settle it at once (一站式结算), settle again.

A stay of a special-disease case is admitted with ``admit-case`` (it moves the case); it can still be
discharged and settled here by its stay id. Each flow is idempotent; the actor must be a person
(``check_person``).
"""

from __future__ import annotations

from prefect import flow

from flows.context import run_context
from flows.params import (
    Actor,
    AdmittedOn,
    DischargedOn,
    HospitalCode,
    Kind,
    OutOfScope,
    Outpatient,
    PatientId,
    Sessions,
    StayIcd10,
    StayId,
    TotalCost,
)
from models.common import ZERO
from models.enums import CareSetting, TreatmentKind
from models.schemas import StayOutcome
from models.settlement.amounts import BillAmounts
from tasks.infra.access import check_person
from tasks.pathway.stay_steps import admit_stay, discharge_stay, settle_stay


@flow(name="admit-stay", flow_run_name="admit-stay-patient-{patient_id}")
async def admit_patient(
    patient_id: PatientId,
    hospital_code: HospitalCode,
    icd10: StayIcd10,
    admitted_on: AdmittedOn,
    kind: Kind = TreatmentKind.GENERAL,
    outpatient: Outpatient = False,
    actor: Actor = "coordinator",
) -> StayOutcome:
    """入院（任何疾病）：登记患者在某医院的一次住院或门诊慢特病疗程，不需要专项救治病例。
    Admit a registered patient for any diagnosis (a stay without a special-disease case)."""
    with run_context(patient_id=patient_id, actor=actor):
        check_person(actor)
        setting = CareSetting.OUTPATIENT if outpatient else CareSetting.INPATIENT
        return admit_stay(patient_id, hospital_code, icd10, admitted_on, actor, setting, kind)


@flow(name="discharge-stay", flow_run_name="discharge-stay-{stay_id}")
async def discharge_and_settle(
    stay_id: StayId,
    discharged_on: DischargedOn,
    total_cost: TotalCost,
    out_of_scope: OutOfScope = ZERO,
    sessions: Sessions = 0,
    actor: Actor = "coordinator",
) -> StayOutcome:
    """出院并结算：登记出院（或门诊疗程结束）和结算单金额（元），随即一站式结算，计入年度台账。
    Discharge a stay with its bill (yuan) and settle it at once."""
    with run_context(stay_id=stay_id, actor=actor):
        check_person(actor)
        bill = BillAmounts.parse(total_cost, out_of_scope, sessions)
        discharged = discharge_stay(stay_id, discharged_on, bill, actor)
        settled = settle_stay(stay_id, actor)
        return settled.model_copy(update={"changed": discharged.changed or settled.changed})


@flow(name="settle-stay", flow_run_name="settle-stay-{stay_id}")
async def settle_one_stay(stay_id: StayId, actor: Actor = "coordinator") -> StayOutcome:
    """结算一次住院：出院的住院按各级报销政策结算；再次结算返回第一次的结果。Settle a discharged stay."""
    with run_context(stay_id=stay_id, actor=actor):
        check_person(actor)
        return settle_stay(stay_id, actor)
