"""Regional, effective-dated return-to-poverty alarm rules with their own cadence (the schema of
``config/data/alarm_rules.yaml``) and the pure decisions: which rules are due on a night for a region, over
which look-back window, against which limit, and which households they flag.

A region without a rule set in force keeps the default rules of ``nightly.yaml`` (checked every night).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.common import FEN
from models.enums import PovertyStatus
from models.nightly import Alarm


class Cadence(StrEnum):
    DAILY = "daily"  # 每日
    TEN_DAYS = "ten_days"  # 每旬: the 10th, the 20th and the last day of a month
    MONTHLY = "monthly"  # 每月: the last day of a month
    QUARTERLY = "quarterly"  # 每季: the last day of March, June, September, December


class LookBack(StrEnum):
    CALENDAR_YEAR = "calendar_year"  # 1 January of the night's year to the night
    TWELVE_MONTHS = "twelve_months"  # the 12 months ending on the night


class IncomeBasis(StrEnum):
    PROVINCIAL_RURAL = "provincial_rural"  # last year's provincial rural per-capita disposable income
    CITY_RESIDENT = "city_resident"  # last year's city per-capita disposable income


class IncomeFigure(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    basis: IncomeBasis
    area: str = Field(pattern=r"^[0-9]{2,6}$", description="province (2 digits) or city (4 digits) code")
    year: int
    amount: Decimal = Field(gt=0, decimal_places=2)
    source: str = Field(min_length=1)


class RegionalRule(BaseModel):
    """Household out-of-pocket (after the three layers) over the look-back window above a limit: a fixed
    ``amount`` or ``share`` × last year's income of ``basis``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9_]+$", max_length=48)
    statuses: frozenset[PovertyStatus]
    cadence: Cadence
    look_back: LookBack = LookBack.CALENDAR_YEAR
    amount: Decimal | None = Field(default=None, gt=0, decimal_places=2)
    share: Decimal | None = Field(default=None, gt=0, le=10)
    basis: IncomeBasis | None = None

    @model_validator(mode="after")
    def _one_limit(self) -> RegionalRule:
        by_share = (self.share, self.basis) != (None, None)
        if (self.amount is not None) == by_share or (by_share and None in (self.share, self.basis)):
            raise ValueError(f"rule {self.name}: give either amount, or share with basis")
        return self


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9_]+$", max_length=48)
    label: str
    regions: list[str] = Field(min_length=1, description="region code prefixes (county 6, city 4 digits)")
    effective_from: date
    effective_to: date | None = None
    source: str = Field(min_length=1)
    rules: list[RegionalRule] = Field(min_length=1)

    def covers(self, region_code: str, night: date) -> bool:
        in_force = self.effective_from <= night and (self.effective_to is None or night <= self.effective_to)
        return in_force and any(region_code.startswith(p) for p in self.regions)


class AlarmRuleBook(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    incomes: list[IncomeFigure] = []
    rule_sets: list[RuleSet] = []

    def rule_set(self, region_code: str, night: date) -> RuleSet | None:
        """The rule set in force for the region on the night (the most specific prefix, then the latest)."""
        sets = [s for s in self.rule_sets if s.covers(region_code, night)]
        return max(sets, key=lambda s: (max(len(p) for p in s.regions), s.effective_from), default=None)

    def income(self, basis: IncomeBasis, region_code: str, year: int) -> Decimal | None:
        area = region_code[:2] if basis == IncomeBasis.PROVINCIAL_RURAL else region_code[:4]
        return next((f.amount for f in self.incomes if (f.basis, f.area, f.year) == (basis, area, year)), None)


def is_due(cadence: Cadence, night: date) -> bool:
    last = calendar.monthrange(night.year, night.month)[1]
    if cadence == Cadence.DAILY:
        return True
    if cadence == Cadence.TEN_DAYS:
        return night.day in (10, 20, last)
    month_end = night.day == last
    return month_end if cadence == Cadence.MONTHLY else month_end and night.month % 3 == 0


def window_start(look_back: LookBack, night: date) -> date:
    if look_back == LookBack.CALENDAR_YEAR:
        return date(night.year, 1, 1)
    try:
        return night.replace(year=night.year - 1) + timedelta(days=1)
    except ValueError:  # 29 February
        return date(night.year - 1, 3, 1)


@dataclass(frozen=True, slots=True)
class DueRule:
    """A rule due tonight in one region, with its window and its limit in yuan (None: income not configured)."""

    rule: RegionalRule
    start: date
    limit: Decimal | None


def due_rules(book: AlarmRuleBook, region_code: str, night: date) -> list[DueRule] | None:
    """The regional rules due tonight for the region ([] when its rule set has nothing due tonight), or None
    when no rule set is in force there (the default rules apply)."""
    rule_set = book.rule_set(region_code, night)
    if rule_set is None:
        return None
    due = []
    for r in rule_set.rules:
        if not is_due(r.cadence, night):
            continue
        limit = r.amount
        if r.share is not None and r.basis is not None:
            income = book.income(r.basis, region_code, night.year - 1)
            limit = None if income is None else (income * r.share).quantize(FEN)
        due.append(DueRule(r, window_start(r.look_back, night), limit))
    return due


@dataclass(frozen=True, slots=True)
class HouseholdSpend:
    household_id: int
    region_code: str
    poverty_status: PovertyStatus
    spent: dict[date, Decimal]  # window start → out-of-pocket in [start, night]


def regional_alarms(rows: Iterable[HouseholdSpend], due: dict[str, list[DueRule]]) -> list[Alarm]:
    """One alarm per household and due rule whose status it covers and whose limit is exceeded."""
    alarms = []
    for hh in rows:
        for d in due.get(hh.region_code, []):
            spent = hh.spent.get(d.start, Decimal(0))
            if d.limit is not None and hh.poverty_status in d.rule.statuses and spent > d.limit:
                alarms.append(Alarm(hh.household_id, hh.region_code, d.rule.name, spent, d.limit))
    return alarms
