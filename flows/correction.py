"""Settlement correction flows (冲销 / 重新结算): a coordinator reverses a wrong settlement, or settles a stay
again with corrected amounts (the wrong one is reversed in the same step). Rows are appended, never updated."""

from __future__ import annotations

from prefect import flow

from flows.context import run_context
from flows.params import Actor, OutOfScope, Reason, Sessions, SettlementId, StayId, TotalCost
from models.common import ZERO
from models.settlement.amounts import BillAmounts
from tasks.infra.access import check_person
from tasks.settlement.reversal import ReversalOutcome, resettle_stay, reverse_settlement


@flow(name="reverse-settlement", flow_run_name="reverse-settlement-{settlement_id}")
async def reverse(settlement_id: SettlementId, reason: Reason, actor: Actor = "coordinator") -> ReversalOutcome:
    """冲销结算：写一笔负数结算冲销原结算（记录操作人和原因），年度累计随之退回。
    Reverse a settlement: an audited negative settlement; the annual ledger gives its amounts back."""
    with run_context(actor=actor):
        check_person(actor)
        return reverse_settlement(settlement_id, actor, reason)


@flow(name="resettle-stay", flow_run_name="resettle-stay-{episode_id}")
async def resettle(
    episode_id: StayId,
    total_cost: TotalCost,
    reason: Reason,
    out_of_scope: OutOfScope = ZERO,
    sessions: Sessions = 0,
    actor: Actor = "coordinator",
) -> ReversalOutcome:
    """重新结算：按更正后的金额重新结算一次住院（原结算先冲销），原记录保留不改。
    Settle a stay again with corrected amounts; its settlement in effect is reversed first."""
    with run_context(actor=actor):
        check_person(actor)
        bill = BillAmounts.parse(total_cost, out_of_scope, sessions)
        return resettle_stay(episode_id, bill, actor, reason)
