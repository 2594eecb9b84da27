"""Family-doctor contracts (家庭医生签约): sign, renew, end — coordinator deployments with Chinese forms."""

from __future__ import annotations

from prefect import flow

from flows.context import run_context
from flows.correction_params import EndedOn, Institution, OptTeam, Reason, RenewFrom, SignedFrom, Team, Years
from flows.params import Actor, PatientId
from tasks.infra.access import check_person
from tasks.pathway.contracts import ContractOutcome, end_contract, renew_contract, sign_contract


@flow(name="sign-contract", flow_run_name="sign-contract-patient-{patient_id}")
async def sign(
    patient_id: PatientId,
    team: Team,
    signed_from: SignedFrom,
    reason: Reason,
    institution: Institution = None,
    years: Years = 1,
    actor: Actor = "coordinator",
) -> ContractOutcome:
    """家庭医生签约：与团队签约（期限按年），已有有效合同时须续约或解约。Sign a family-doctor contract."""
    with run_context(patient_id=patient_id, actor=actor):
        check_person(actor)
        return sign_contract(patient_id, team, institution, signed_from, years, actor, reason)


@flow(name="renew-contract", flow_run_name="renew-contract-patient-{patient_id}")
async def renew(
    patient_id: PatientId,
    reason: Reason,
    renew_from: RenewFrom = None,
    team: OptTeam = None,
    institution: Institution = None,
    years: Years = 1,
    actor: Actor = "coordinator",
) -> ContractOutcome:
    """续约：在原合同之后签一个新期限（原合同不改）。Renew: a new term after the current one."""
    with run_context(patient_id=patient_id, actor=actor):
        check_person(actor)
        return renew_contract(patient_id, team, institution, renew_from, years, actor, reason)


@flow(name="end-contract", flow_run_name="end-contract-patient-{patient_id}")
async def end(
    patient_id: PatientId, ended_on: EndedOn, reason: Reason, actor: Actor = "coordinator"
) -> ContractOutcome:
    """解约：合同在这一天终止（追加一条记录，原合同不改）。End the contract in force on that day."""
    with run_context(patient_id=patient_id, actor=actor):
        check_person(actor)
        return end_contract(patient_id, ended_on, actor, reason)
