"""Rules (the schema of ``config/data/nightly.yaml``) and pure decisions of the nightly dynamic adjustment:
cut-off dates, re-triage moves, return-to-poverty alarms.

The SQL in ``tasks/nightly/checks.py`` selects candidates with these cut-offs; whatever needs a decision per
row (a re-triage, an alarm) is decided here so it can be table-tested without a database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from models.catalogue import Catalogue
from models.common import FEN
from models.enums import CaseState, Category, PovertyStatus
from models.errors import BadInput
from models.pathway import is_legal, outcome_state


class StayRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9_]+$", max_length=32)
    statuses: frozenset[PovertyStatus]
    threshold: Decimal = Field(gt=0, decimal_places=2)


class YearRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9_]+$", max_length=32)
    statuses: frozenset[PovertyStatus]
    income_share: Decimal = Field(gt=0, le=10)


class PovertyAlarmRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    one_stay: list[StayRule] = []
    household_year: list[YearRule] = []
    rural_income: dict[str, dict[int, Decimal]] = {}

    def income(self, region_code: str, year: int) -> Decimal | None:
        """Last year's provincial rural per-capita disposable income for an alarm in ``year``."""
        return self.rural_income.get(region_code[:2], {}).get(year - 1)


class NightlyRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    untreated_after_days: int = Field(ge=1)
    contract_warning_days: int = Field(ge=0)
    stuck_after_days: dict[CaseState, int]
    poverty_alarm: PovertyAlarmRules
    escalate_after_days: int = Field(default=15, ge=1)


OUTCOME_STATES = frozenset({CaseState.CURED, CaseState.UNDER_MAINTENANCE, CaseState.UNDER_MANAGEMENT})
FOLLOWED_STATES = frozenset({CaseState.UNDER_MAINTENANCE, CaseState.UNDER_MANAGEMENT})


@dataclass(frozen=True, slots=True)
class Cutoffs:
    """Dates the nightly SQL compares against (all derived from the night and the rules)."""

    night: date
    year_start: date
    untreated_before: date
    contract_expires_before: date
    stuck_before: dict[CaseState, date]
    follow_up_before: dict[str, date]  # disease code → last follow-up must be on or after this date


def cutoffs(night: date, rules: NightlyRules, catalogue: Catalogue) -> Cutoffs:
    return Cutoffs(
        night=night,
        year_start=date(night.year, 1, 1),
        untreated_before=night - timedelta(days=rules.untreated_after_days),
        contract_expires_before=night + timedelta(days=rules.contract_warning_days),
        stuck_before={s: night - timedelta(days=d) for s, d in rules.stuck_after_days.items()},
        follow_up_before={
            d.code: night - timedelta(days=d.follow_up_days) for d in catalogue.diseases if d.follow_up_days
        },
    )


def retriage_move(state: CaseState, new_category: Category | None) -> CaseState | None:
    """Where a re-triaged case goes. Before treatment the state stays (only the category changes);
    after treatment it moves to the new category's outcome state when the pathway allows it; a disease
    that left the catalogue is flagged, never moved automatically (a coordinator decides)."""
    if new_category is None or state not in OUTCOME_STATES:
        return None
    target = outcome_state(new_category.value)
    return target if target != state and is_legal(state, target) else None


@dataclass(frozen=True, slots=True)
class HouseholdYear:
    """A household's settlements this calendar year, aggregated in SQL: the cumulative out-of-pocket and,
    per one-stay rule, the largest single stay among the members whose status the rule covers."""

    household_id: int
    region_code: str
    poverty_status: PovertyStatus
    total: Decimal
    largest_stay: dict[str, Decimal | None]


@dataclass(frozen=True, slots=True)
class Alarm:
    household_id: int
    region_code: str
    rule: str
    amount: Decimal
    limit: Decimal

    @property
    def subject(self) -> str:
        return f"household:{self.household_id}/{self.rule}"

    @property
    def reason(self) -> str:
        return f"{self.rule}: {self.amount} > {self.limit}"


def year_limit(rule: YearRule, rules: PovertyAlarmRules, region_code: str, year: int) -> Decimal | None:
    income = rules.income(region_code, year)
    return None if income is None else (income * rule.income_share).quantize(FEN)


def poverty_alarms(rows: Iterable[HouseholdYear], rules: PovertyAlarmRules, year: int) -> list[Alarm]:
    """防止返贫监测预警, one alarm per household and rule:

    * one stay: a member's single settlement out-of-pocket above the threshold for the member's status;
    * household year: cumulative out-of-pocket above a share of last year's provincial rural per-capita
      disposable income, by the household's status (no alarm where that income is not configured).
    """
    alarms: list[Alarm] = []
    limits: dict[tuple[int, str], Decimal | None] = {}  # (year rule, province) → limit: computed once per call
    for hy in rows:
        for stay in rules.one_stay:
            largest = hy.largest_stay.get(stay.name)
            if largest is not None and largest > stay.threshold:
                alarms.append(Alarm(hy.household_id, hy.region_code, stay.name, largest, stay.threshold))
        for i, yr in enumerate(rules.household_year):
            if hy.poverty_status not in yr.statuses:
                continue
            key = (i, hy.region_code[:2])
            if key not in limits:
                limits[key] = year_limit(yr, rules, hy.region_code, year)
            limit = limits[key]
            if limit is not None and hy.total > limit:
                alarms.append(Alarm(hy.household_id, hy.region_code, yr.name, hy.total, limit))
    return alarms


@dataclass(frozen=True, slots=True)
class AlarmTest:
    """One default 防止返贫 rule as the set-based SQL applies it to a household's year: the amount compared is the
    largest stay of the members the one-stay rule ``stay`` (its index) covers, or, for a year rule (``stay`` None),
    the household's total when its status is one of ``statuses``; the limit is by province (first two digits of
    the region code; the key "" for every province). The same decision as ``poverty_alarms``, row for row."""

    name: str
    stay: int | None
    statuses: frozenset[PovertyStatus]
    limits: dict[str, Decimal]


def alarm_tests(rules: PovertyAlarmRules, provinces: Iterable[str], year: int) -> list[AlarmTest]:
    """The default rules for households of ``provinces`` in ``year``: a year rule only where last year's rural
    income is configured (no limit, no alarm)."""
    tests = [AlarmTest(r.name, i, r.statuses, {"": r.threshold}) for i, r in enumerate(rules.one_stay)]
    for yr in rules.household_year:
        limits = {p: lim for p in sorted(set(provinces)) if (lim := year_limit(yr, rules, p, year)) is not None}
        if limits:
            tests.append(AlarmTest(yr.name, None, yr.statuses, limits))
    return tests


def chunk_bounds(boundary_ids: list[int], max_id: int) -> list[tuple[int, int]]:
    """Inclusive id ranges from keyset boundaries (the first id of every chunk, ascending)."""
    ends = [b - 1 for b in boundary_ids[1:]] + [max_id]
    return list(zip(boundary_ids, ends, strict=True))


class NightInFuture(ValueError):
    """A night after today (in the county's timezone) was asked for; nothing was written."""

    def __init__(self, night: date, today: date) -> None:
        super().__init__(
            f"night {night.isoformat()} is after today ({today.isoformat()}): a night is assessed once it has begun"
            " / 批次日期晚于今天，尚未开始的夜晚不能评估"
        )


def check_day(field: str, day: date, today: date) -> date:
    """A business date a coordinator gives (a list's date, a re-triage night): not after today — it would stamp
    the record with a day nothing has happened on yet. Raises ``BadInput`` naming the field."""
    if day > today:
        raise BadInput(field, f"{day.isoformat()} is after today ({today.isoformat()}) / 日期晚于今天")
    return day


def check_night(night: date, today: date) -> date:
    """The night to assess: any night up to today (re-running a past night is allowed, a future one is not —
    it would write findings that hide the real alarm list and turn that night's scheduled run into a no-op)."""
    if night > today:
        raise NightInFuture(night, today)
    return night
