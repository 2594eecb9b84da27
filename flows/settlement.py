"""Settlement flow: the one-stop settlement of a discharged case (idempotent)."""

from __future__ import annotations

from prefect import flow

from models.schemas import CaseOutcome
from tasks.artifacts import publish_settlement_statement
from tasks.settlement import settle_case


@flow(name="settle-discharge", flow_run_name="settle-case-{case_id}")
async def settle_discharge(case_id: int, actor: str = "coordinator") -> CaseOutcome:
    """Settle all payer layers at discharge (先诊疗后付费); a second run returns the first settlement."""
    outcome = settle_case(case_id, actor)
    if outcome.changed and outcome.settlement_id is not None:
        publish_settlement_statement(outcome.settlement_id)
    return outcome
