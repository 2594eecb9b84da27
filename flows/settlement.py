"""Settlement flows: the one-stop settlement of a discharged case (idempotent) — by a coordinator, or started
by the case's ``treatment.discharged`` event (as the system actor ``events``)."""

from __future__ import annotations

from prefect import flow

from flows.context import run_context
from flows.params import Actor, CaseId
from flows.reactions import EVENTS_ACTOR
from models.schemas import CaseOutcome
from tasks.infra.access import check_person
from tasks.reports.artifacts import publish_case_step, publish_settlement_statement
from tasks.settlement.settle import settle_case


def _settle(case_id: int, actor: str) -> CaseOutcome:
    outcome = settle_case(case_id, actor)
    if outcome.changed and outcome.settlement_id is not None:
        publish_settlement_statement(outcome.settlement_id)
    publish_case_step("一站式结算", outcome)
    return outcome


@flow(name="settle-discharge", flow_run_name="settle-case-{case_id}")
async def settle_discharge(case_id: CaseId, actor: Actor = "coordinator") -> CaseOutcome:
    """一站式结算：出院病例按各级报销政策结算（先诊疗后付费）；再次结算返回第一次的结果。
    Settle all payer layers at discharge; a second run returns the first settlement."""
    with run_context(case_id=case_id, actor=actor):
        check_person(actor)
        return _settle(case_id, actor)


@flow(name="settle-discharged", flow_run_name="settle-case-{case_id}")
async def settle_discharged(case_id: CaseId) -> CaseOutcome:
    """出院自动结算：病例出院事件触发，以系统账号 events 结算。
    A case was discharged (event ``treatment.discharged``): settle it, as the system actor ``events``."""
    with run_context(case_id=case_id):
        return _settle(case_id, EVENTS_ACTOR)
