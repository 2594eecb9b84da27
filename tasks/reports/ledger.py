"""The treatment ledger (救治台账): counts per state and category, treatment rate."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session, col

from models.clinical import Case
from models.ledger import summarise_ledger_rows
from models.schemas import LedgerSummary
from tasks.infra.access import report_region


def ledger_summary(session: Session, region_code: str | None = None) -> LedgerSummary:
    stmt = select(col(Case.state), col(Case.category), func.count()).group_by(col(Case.state), col(Case.category))
    if region_code:
        stmt = stmt.where(col(Case.region_code) == region_code)
    return summarise_ledger_rows(session.execute(stmt).tuples(), region_code)


def ledger_for(session: Session, actor: str, region_code: str | None = None) -> LedgerSummary:
    """The ledger an actor may read: the region asked for if within their scope, their own county by default,
    every region only for a system actor (AccessDenied otherwise)."""
    return ledger_summary(session, report_region(session, actor, region_code))
