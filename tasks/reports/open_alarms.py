"""Open and overdue alarms of a scope, counted per county and kind, and listed page by page (the dashboard and
its drill-down). *Open* is what ``dabing alarms list`` shows by default: the condition still holds
(``cleared_on`` empty) and a coordinator still has to act (status in ``models.alarms.PENDING``). *Overdue* is
an open alarm past the escalation limit: raised to the prefecture by the nightly run (``escalated_on`` set), or
opened more than ``escalate_after_days`` before today and not yet raised (the next nightly run will)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlmodel import Session, col

from config.nightly import load_nightly_rules
from models.alarms import PENDING, AlarmStatus, escalate_before
from models.findings import Finding, FindingKind


def _overdue(today: date) -> Any:
    limit = escalate_before(today, load_nightly_rules().escalate_after_days)
    return or_(col(Finding.escalated_on).is_not(None), col(Finding.night) < limit)


def open_where(
    prefix: str, today: date, region_code: str = "", kind: FindingKind | None = None, overdue: bool = False
) -> list[Any]:
    """The conditions of the open alarms of a region prefix (optionally one county, one kind, overdue only)."""
    where: list[Any] = [
        col(Finding.cleared_on).is_(None),
        col(Finding.status).in_([s.value for s in PENDING]),
        col(Finding.region_code).startswith(prefix),
    ]
    if region_code:
        where.append(col(Finding.region_code) == region_code)
    if kind is not None:
        where.append(col(Finding.kind) == kind.value)
    if overdue:
        where.append(_overdue(today))
    return where


@dataclass(frozen=True, slots=True)
class KindCount:
    open: int
    overdue: int


def count_open(session: Session, prefix: str, today: date) -> dict[str, dict[FindingKind, KindCount]]:
    """Per county, per kind: open alarms and how many of them are overdue."""
    late = func.sum(case((_overdue(today), 1), else_=0))
    stmt = (
        select(col(Finding.region_code), col(Finding.kind), func.count(), late)
        .where(*open_where(prefix, today))
        .group_by(col(Finding.region_code), col(Finding.kind))
    )
    out: dict[str, dict[FindingKind, KindCount]] = {}
    for region, kind, n, overdue in session.execute(stmt).tuples():
        out.setdefault(str(region), {})[FindingKind(kind)] = KindCount(int(n), int(overdue or 0))
    return out


@dataclass(frozen=True, slots=True)
class AlarmLine:
    """One open alarm as the drill-down lists it: internal ids only (the patient's page shows who it is)."""

    id: int
    kind: FindingKind
    region_code: str
    patient_id: int | None
    household_id: int | None
    case_id: int | None
    night: date
    status: AlarmStatus
    escalated_on: date | None
    overdue: bool
    reason: str
    amount: Decimal | None


def list_open(
    session: Session, where: list[Any], today: date, page: int, size: int = 50
) -> tuple[list[AlarmLine], int]:
    """One page (oldest opened first: the longest waiting on top) of the alarms matching ``where``, and the total."""
    total = int(session.execute(select(func.count()).select_from(Finding).where(*where)).scalar_one())
    stmt = (
        select(Finding, _overdue(today))
        .where(*where)
        .order_by(col(Finding.night), col(Finding.id))
        .offset((max(page, 1) - 1) * size)
        .limit(size)
    )
    lines = [
        AlarmLine(f.id or 0, FindingKind(f.kind), f.region_code, f.patient_id, f.household_id, f.case_id,
                  f.night, AlarmStatus(f.status), f.escalated_on, bool(late), f.reason, f.amount)
        for f, late in session.execute(stmt).tuples()
    ]  # fmt: skip
    return lines, total
