"""The treatment ledger (救治台账): counts per state and category, treatment rate."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session, col

from config.settings import get_settings
from models.clinical import Case
from models.common import local_today
from models.contracts import contract_rate
from models.ledger import summarise_ledger_rows
from models.schemas import LedgerSummary
from tasks.infra.access import report_region
from tasks.reports.contract_rate import contracted_patients


def ledger_summary(session: Session, region_code: str | None = None, on: date | None = None) -> LedgerSummary:
    stmt = select(col(Case.state), col(Case.category), func.count()).group_by(col(Case.state), col(Case.category))
    if region_code:
        stmt = stmt.where(col(Case.region_code) == region_code)
    summary = summarise_ledger_rows(session.execute(stmt).tuples(), region_code)
    signed, population = contracted_patients(session, region_code, on or local_today(get_settings().timezone))
    rate = {"contracted": signed, "contract_patients": population, "contract_rate": contract_rate(signed, population)}
    return summary.model_copy(update=rate)


def ledger_for(session: Session, actor: str, region_code: str | None = None, on: date | None = None) -> LedgerSummary:
    """The ledger an actor may read: the region asked for if within their scope, their own county by default,
    every region only for a system actor (AccessDenied otherwise)."""
    return ledger_summary(session, report_region(session, actor, region_code), on)
