"""防止返贫监测预警 of one household chunk: the default rules of ``nightly.yaml`` every night, or the region's
own rule set (``alarm_rules.yaml``) with its cadence — only the rules due tonight are checked, and only their
open alarms can clear. SQL aggregates each household's out-of-pocket per look-back window and keeps only
possible alarms; the pure rules (``models/nightly.py``, ``models/alarm_rules.py``) decide."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, String, and_, case, cast, func, literal, null, or_, select, true, union_all
from sqlalchemy.sql import Select
from sqlmodel import Session, col

from config.nightly import load_alarm_rules, load_nightly_rules
from models.alarm_rules import DueRule, HouseholdSpend, due_rules, regional_alarms
from models.common import Money, money_text
from models.enums import PovertyStatus
from models.findings import FindingKind
from models.nightly import AlarmTest, PovertyAlarmRules, alarm_tests
from models.people import Household, Patient
from models.settlement.tables import Settlement
from tasks.nightly.checks import Scope
from tasks.nightly.found import add_found, insert_found


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
    where: list[Any] = [col(Household.id).between(lo, hi)]
    if sc.region_code:
        where.append(col(Household.region_code) == sc.region_code)
    regions = list(session.execute(select(col(Household.region_code)).where(*where).distinct()).scalars())
    regional, default = _plan(regions, sc.cut.night)
    names = [x.name for x in rules.one_stay] + [x.name for x in rules.household_year]
    checked = [(r, name) for r in default for name in names]
    checked += [(r, d.rule.name) for r, due in regional.items() for d in due]
    n = 0
    if default:
        n += _default_alarms(session, sc, [*where, col(Household.region_code).in_(default)], rules, default)
    if regional:
        n += _regional_alarms(session, sc, [*where, col(Household.region_code).in_(list(regional))], regional)
    return n, checked


_PAYS, _SERVED = col(Settlement.patient_pays), col(Settlement.service_date)


def _spend(where: list[Any], start: date, night: date, *sums: Any) -> Select[Any]:
    """Per household of ``where`` with a settlement served in [start, night]: id, region, status, ``sums``."""
    return (
        select(col(Household.id), col(Household.region_code), col(Household.poverty_status), *sums)
        .join(Patient, col(Patient.household_id) == col(Household.id))
        .join(Settlement, col(Settlement.patient_id) == col(Patient.id))
        .where(*where, _SERVED.between(start, night))
        .group_by(col(Household.id), col(Household.region_code), col(Household.poverty_status))
    )


def _default_alarms(session: Session, sc: Scope, where: list[Any], rules: PovertyAlarmRules, regions: list[str]) -> int:
    """The default rules, set-based: one INSERT … SELECT of the alarm rows (a fifth of a million households
    some nights; judged row by row in Python they were half of this stage's time). The decision is
    ``alarm_tests``'s, the same as the pure ``poverty_alarms``."""
    night, year_start = sc.cut.night, sc.cut.year_start
    tests = alarm_tests(rules, {r[:2] for r in regions}, night.year)
    if not tests:
        return 0
    tops = [
        func.max(case((col(Patient.poverty_status).in_([s.value for s in r.statuses]), _PAYS))).label(f"top{i}")
        for i, r in enumerate(rules.one_stay)
    ]
    money = Money()

    def limit_of(t: AlarmTest, region: Any) -> Any:
        if "" in t.limits:
            return literal(t.limits[""], money)
        return case(*[(func.substr(region, 1, 2) == p, literal(v, money)) for p, v in t.limits.items()])

    total = func.sum(_PAYS).label("total")
    maybe = [  # a safe pre-filter: a household under every limit has no alarm
        total > min(t.limits.values()) if t.stay is None else tops[t.stay] > t.limits[""] for t in tests
    ]
    agg = _spend(where, year_start, night, total, *tops).having(or_(*maybe))
    a = agg.subquery("spend")
    picks = union_all(*[select(literal(k, Integer).label("k")) for k in range(len(tests))]).subquery("picks")
    k = picks.c.k
    amounts = [a.c.total if t.stay is None else a.c[f"top{t.stay}"] for t in tests]
    limits = [limit_of(t, a.c.region_code) for t in tests]
    covered = [a.c.poverty_status.in_([s.value for s in t.statuses]) if t.stay is None else true() for t in tests]
    holds = [and_(k == i, amounts[i] > limits[i], covered[i]) for i in range(len(tests))]
    amount = case(*[(k == i, x) for i, x in enumerate(amounts)])
    limit = case(*[(k == i, x) for i, x in enumerate(limits)])
    name = case(*[(k == i, literal(t.name, String)) for i, t in enumerate(tests)])
    hid = a.c.id
    rows = (
        select(
            literal(FindingKind.POVERTY_ALARM.value, String),
            literal("household:", String) + cast(hid, String) + literal("/", String) + name,
            name + literal(": ", String) + money_text(amount) + literal(" > ", String) + money_text(limit),
            a.c.region_code, null(), hid, null(), amount, hid, name,
        )
        .select_from(a)
        .join(picks, true())
        .where(or_(*holds))
    )  # fmt: skip
    return insert_found(session, rows)


def _regional_alarms(session: Session, sc: Scope, where: list[Any], regional: dict[str, list[DueRule]]) -> int:
    """A region's own rule set (due tonight): the out-of-pocket per look-back window, judged by the pure rule."""
    night = sc.cut.night
    floors: dict[date, Decimal] = {}  # window start → the smallest limit using it (a safe HAVING pre-filter)
    for limit, start in ((d.limit, d.start) for due in regional.values() for d in due):
        if limit is not None:
            floors[start] = min(floors.get(start, limit), limit)
    if not floors:
        return 0
    windows = sorted(floors)
    spent = [func.sum(case((w <= _SERVED, _PAYS))) for w in windows]
    stmt = _spend(where, windows[0], night, *spent).having(
        or_(*[s > floors[w] for s, w in zip(spent, windows, strict=True)])
    )
    spends = [
        HouseholdSpend(r[0], r[1], PovertyStatus(r[2]), dict(zip(windows, r[3:], strict=True)))
        for r in session.execute(stmt).tuples()
    ]
    rows = [
        {"kind": FindingKind.POVERTY_ALARM.value, "subject": a.subject, "reason": a.reason[:120],
         "region_code": a.region_code, "patient_id": None, "household_id": a.household_id, "case_id": None,
         "amount": a.amount, "subject_id": a.household_id, "rule": a.rule}
        for a in regional_alarms(spends, regional)
    ]  # fmt: skip
    return add_found(session, rows)
