"""Daily / weekly / monthly summaries (日报 / 周调度 / 月总结), the pure part: period windows, the buckets of the
treatment-rate series, cumulative rates, the self-pay histogram bins and the figures of one summary.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from models.enums import CareSetting, Category, HospitalLocation
from models.referral import location_of
from models.schemas import LedgerSummary
from models.settlement.engine import SELF_PAY_LIMIT

Period = Literal["daily", "weekly", "monthly"]
TITLES: dict[str, str] = {"daily": "日报 daily report", "weekly": "周调度 weekly dispatch", "monthly": "月总结 monthly"}
BINS = 20  # self-pay ratio histogram: 5-point bins from 0% to 100%
TARGET: Decimal = SELF_PAY_LIMIT  # 县域内住院自付费用占比不超过10%: the settlement engine's one definition
CATEGORY_EN = {"one_time_cure": "one-time cure", "maintenance": "maintenance", "long_term": "long-term management"}


def period_window(period: Period, on: date) -> tuple[date, date]:
    """The day; the Monday–Sunday week; or the calendar month containing ``on``."""
    if period == "daily":
        return on, on
    if period == "weekly":
        start = on - timedelta(days=on.weekday())
        return start, start + timedelta(days=6)
    return on.replace(day=1), on.replace(day=calendar.monthrange(on.year, on.month)[1])


def reported_day(period: Period, on: date, previous: bool) -> date:
    """A day of the period to report: the one containing ``on``, or with ``previous`` the period before it
    (what a morning schedule reports: yesterday, last week, last month)."""
    return period_window(period, on)[0] - timedelta(days=1) if previous else on


def chart_folder(out_dir: str, period: Period, on: date, region_code: str | None) -> str:
    return f"{out_dir}/{period}-{on.isoformat()}-{region_code or 'all'}"


def series_ends(period: Period, on: date) -> list[date]:
    """Ends of the buckets the treatment-rate chart plots, oldest first: 30 days, 12 weeks or 12 months."""
    end = period_window(period, on)[1]
    if period == "daily":
        return [end - timedelta(days=i) for i in range(29, -1, -1)]
    if period == "weekly":
        return [end - timedelta(weeks=i) for i in range(11, -1, -1)]
    ends = []
    y, m = end.year, end.month
    for _ in range(12):
        ends.append(date(y, m, calendar.monthrange(y, m)[1]))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return ends[::-1]


def cumulative_rates(
    confirmed: Sequence[tuple[str, date | None, int]], treated: Sequence[tuple[str, date, int]], ends: list[date]
) -> dict[str, list[float | None]]:
    """Per category (in triage order: one-time cure, maintenance, long-term) and bucket end: cases first
    discharged by then ÷ cases confirmed by then, in % (None: no case yet). A case with no confirmation date
    counts from the start."""
    order = [c.value for c in Category]
    out: dict[str, list[float | None]] = {}
    for cat in sorted({c for c, _, _ in confirmed}, key=lambda c: (order.index(c) if c in order else len(order), c)):
        rates: list[float | None] = []
        for end in ends:
            base = sum(n for c, d, n in confirmed if c == cat and (d is None or d <= end))
            done = sum(n for c, d, n in treated if c == cat and d <= end)
            rates.append(round(100.0 * min(done, base) / base, 1) if base else None)
        out[cat] = rates
    return out


def in_target_scope(setting: str, patient_region: str, hospital_region: str) -> bool:
    """Bills measured against the in-county target: inpatient, at a hospital of the patient's county
    (out-of-county bills and outpatient courses are not)."""
    in_county = location_of(patient_region, hospital_region) == HospitalLocation.IN_COUNTY
    return setting == CareSetting.INPATIENT.value and in_county


def over_target(setting: str, patient_region: str, hospital_region: str, ratio: Decimal) -> bool:
    """What the settlement flag ``self_pay_over_10pct`` counts: an in-scope bill whose ratio is above 10%."""
    return in_target_scope(setting, patient_region, hospital_region) and ratio > TARGET


def ratio_bin(ratio: Decimal) -> int:
    """The histogram bin of a self-pay ratio (0..1): 0 for [0, 5%), ..., the last bin also takes 100%."""
    return min(int(ratio * BINS), BINS - 1)


class SummaryData(BaseModel):
    """Figures of one summary: counts, amounts as strings, ids and region codes only."""

    period: Period
    start: date
    end: date
    region_code: str | None
    activity: dict[str, int]
    settlements: int
    paid: dict[str, str]
    total: str
    patient_pays: str
    self_pay_ratio: str
    over_target: int
    target_bills: int = 0  # in-county inpatient bills: the base of the 10% target
    self_pay_bins: list[int]
    rate_ends: list[date]
    rates: dict[str, list[float | None]]
    alarms: dict[str, dict[str, int]]
    ledger: LedgerSummary
    charts: list[str] = []
