"""防止返贫监测预警 of one household chunk: the default rules of ``nightly.yaml`` every night, or the region's
own rule set (``alarm_rules.yaml``) with its cadence — only the rules due tonight are checked, and only their
open alarms can clear. SQL aggregates each household's out-of-pocket per look-back window and keeps only
possible alarms; the pure rules (``models/nightly.py``, ``models/alarm_rules.py``) decide."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlmodel import Session, col

from config.nightly import load_alarm_rules, load_nightly_rules
from models.alarm_rules import DueRule, HouseholdSpend, due_rules, regional_alarms
from models.enums import PovertyStatus
from models.findings import FindingKind
from models.nightly import HouseholdYear, lowest_year_limit, poverty_alarms
from models.people import Household, Patient
from models.settlement.tables import Settlement
from tasks.nightly.checks import Scope
from tasks.nightly.found import add_found


def _plan(regions: list[str], night: date) -> tuple[dict[str, list[DueRule]], list[str]]:
    """Regional rules due tonight per region with a rule set in force, and the regions on the defaults."""
    book = load_alarm_rules()
    regional: dict[str, list[DueRule]] = {}
    default: list[str] = []
    for region in regions:
        due = due_rules(book, region, night)
        if due is None:
            default.append(region)
        else:
            regional[region] = due
    return regional, default


def household_alarms(session: Session, sc: Scope, lo: int, hi: int) -> tuple[int, list[tuple[str, str]]]:
    """(conditions found, the (region, rule) pairs checked tonight) for households [lo, hi]."""
    rules = load_nightly_rules().poverty_alarm
    night, year_start = sc.cut.night, sc.cut.year_start
    where: list[Any] = [col(Household.id).between(lo, hi)]
    if sc.region_code:
        where.append(col(Household.region_code) == sc.region_code)
    regions = list(session.execute(select(col(Household.region_code)).where(*where).distinct()).scalars())
    regional, default = _plan(regions, night)
    names = [x.name for x in rules.one_stay] + [x.name for x in rules.household_year]
    checked = [(r, name) for r in default for name in names]
    checked += [(r, d.rule.name) for r, due in regional.items() for d in due]
    floors: dict[date, Decimal] = {}  # window start → the smallest limit using it (a safe HAVING pre-filter)
    if default and (floor := lowest_year_limit(rules, night.year)) is not None:
        floors[year_start] = floor
    for limit, start in ((d.limit, d.start) for due in regional.values() for d in due):
        if limit is not None:
            floors[start] = min(floors.get(start, limit), limit)
    pays, served = col(Settlement.patient_pays), col(Settlement.service_date)
    largest = {
        r.name: func.max(case((col(Patient.poverty_status).in_([s.value for s in r.statuses]) & (served >= year_start)
                               & col(Household.region_code).in_(default), pays)))
        for r in rules.one_stay
    }  # fmt: skip
    windows = sorted(floors)
    spent = [func.sum(case((served >= w, pays))) for w in windows]
    maybe = [s > floors[w] for s, w in zip(spent, windows, strict=True)]
    maybe += [m > r.threshold for m, r in zip(largest.values(), rules.one_stay, strict=True)] if default else []
    if not maybe:
        return 0, checked
    stmt = (
        select(col(Household.id), col(Household.region_code), col(Household.poverty_status), *spent,
               *largest.values())
        .join(Patient, col(Patient.household_id) == col(Household.id))
        .join(Settlement, col(Settlement.patient_id) == col(Patient.id))
        .where(*where, served.between(min([year_start, *windows]), night))
        .group_by(col(Household.id), col(Household.region_code), col(Household.poverty_status))
        .having(or_(*maybe))
    )  # fmt: skip
    spends: list[HouseholdSpend] = []
    years: list[HouseholdYear] = []
    n = len(windows)
    for r in session.execute(stmt).tuples():  # the rules run once per chunk, over every household kept
        sums = dict(zip(windows, r[3 : 3 + n], strict=True))
        status = PovertyStatus(r[2])
        if r[1] in regional:
            spends.append(HouseholdSpend(r[0], r[1], status, sums))
        else:
            tops = dict(zip(largest, r[3 + n :], strict=True))
            years.append(HouseholdYear(r[0], r[1], status, sums.get(year_start) or Decimal(0), tops))
    found = regional_alarms(spends, regional) + poverty_alarms(years, rules, night.year)
    rows = [
        {"kind": FindingKind.POVERTY_ALARM.value, "subject": a.subject, "reason": a.reason[:120],
         "region_code": a.region_code, "patient_id": None, "household_id": a.household_id, "case_id": None,
         "amount": a.amount, "subject_id": a.household_id, "rule": a.rule}
        for a in found
    ]  # fmt: skip
    return add_found(session, rows), checked
