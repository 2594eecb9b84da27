"""A designated hospital's answer to a referral, entered by the coordinator: accept, or decline with a reason
(the case is then re-referred to the next suitable hospital, or waits). Orchestration only; forms in Chinese."""

from __future__ import annotations

from prefect import flow

from flows.context import run_context
from flows.params import AcceptedOn, Actor, Decline, DeclinedOn, ReferralId
from models.referral_history import DeclineReason, ReferralOutcome
from tasks.infra.access import check_person
from tasks.pathway.referral_steps import accept_referral, decline_referral
from tasks.reports.referral_card import publish_referral_step


@flow(name="accept-referral", flow_run_name="accept-referral-{referral_id}")
async def accept(referral_id: ReferralId, accepted_on: AcceptedOn, actor: Actor = "coordinator") -> ReferralOutcome:
    """接收转诊：定点医院同意接收（床位保留到入院）。The designated hospital accepts the referral."""
    with run_context(actor=actor):
        check_person(actor)
        outcome = accept_referral(referral_id, accepted_on, actor)
        publish_referral_step("接收转诊", outcome)
        return outcome


@flow(name="decline-referral", flow_run_name="decline-referral-{referral_id}")
async def decline(
    referral_id: ReferralId,
    declined_on: DeclinedOn,
    reason: Decline = DeclineReason.NO_BED,
    actor: Actor = "coordinator",
) -> ReferralOutcome:
    """拒收转诊：定点医院拒收并说明原因；系统自动转到下一家合适的定点医院，没有则进入候诊名单。
    The hospital declines (with a reason); the case is re-referred to the next suitable hospital, or waits."""
    with run_context(actor=actor):
        check_person(actor)
        outcome = decline_referral(referral_id, reason, declined_on, actor)
        publish_referral_step("拒收转诊", outcome)
        return outcome
