"""Daily / weekly / monthly summaries (日报 / 周调度 / 月总结): figures from the database, three PNG charts and a
Prefect markdown artifact. Business dates are used throughout (screened / confirmed / admitted / discharged
on, settlement service date, finding night), never the wall-clock time a row was written.

Charts are drawn with matplotlib's object API (``Figure``, Agg canvas; no pyplot global state, safe in task
threads). Labels are ASCII: the machine has no CJK font (``fc-list :lang=zh`` is empty).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import structlog
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlmodel import Session, col

from models.care import TreatmentEpisode
from models.clinical import Case, Condition, Screening
from models.common import ZERO
from models.findings import Finding
from models.ledger_rows import self_pay_ratio
from models.people import Patient
from models.schemas import LedgerSummary
from models.settlement.policy import LAYER_ORDER
from models.settlement.tables import Settlement, SettlementLine
from tasks.db import session_scope
from tasks.ledger import ledger_summary

log = structlog.get_logger()
Period = Literal["daily", "weekly", "monthly"]
TITLES: dict[str, str] = {"daily": "日报 daily report", "weekly": "周调度 weekly dispatch", "monthly": "月总结 monthly"}
BINS = 20  # self-pay ratio histogram: 5-point bins from 0% to 100%
TARGET = Decimal("0.10")  # 县域内住院自付费用占比不超过10%
CATEGORY_EN = {"one_time_cure": "one-time cure", "maintenance": "maintenance", "long_term": "long-term management"}


def period_window(period: Period, on: date) -> tuple[date, date]:
    """The day; the Monday–Sunday week; or the calendar month containing ``on``."""
    if period == "daily":
        return on, on
    if period == "weekly":
        start = on - timedelta(days=on.weekday())
        return start, start + timedelta(days=6)
    return on.replace(day=1), on.replace(day=calendar.monthrange(on.year, on.month)[1])


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
    """Per category and bucket end: cases first discharged by then ÷ cases confirmed by then, in % (None: no
    case yet). A case with no confirmation date counts from the start."""
    out: dict[str, list[float | None]] = {}
    for cat in sorted({c for c, _, _ in confirmed}):
        rates: list[float | None] = []
        for end in ends:
            base = sum(n for c, d, n in confirmed if c == cat and (d is None or d <= end))
            done = sum(n for c, d, n in treated if c == cat and d <= end)
            rates.append(round(100.0 * min(done, base) / base, 1) if base else None)
        out[cat] = rates
    return out


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
    self_pay_bins: list[int]
    rate_ends: list[date]
    rates: dict[str, list[float | None]]
    alarms: dict[str, dict[str, int]]
    ledger: LedgerSummary
    charts: list[str] = []


def _count(session: Session, stmt: Any) -> int:
    return int(session.execute(stmt).scalar_one())


def _activity(session: Session, lo: date, hi: date, region_code: str | None) -> dict[str, int]:
    """Pathway events with a business date in the window: screenings, confirmations, admissions, discharges."""
    by_case = [col(Case.region_code) == region_code] if region_code else []
    by_patient = [col(Patient.region_code) == region_code] if region_code else []
    n = func.count()
    stays = select(n).select_from(TreatmentEpisode).join(Case, col(Case.id) == col(TreatmentEpisode.case_id))
    return {
        "screened": _count(
            session,
            select(n)
            .select_from(Screening)
            .join(Patient, col(Patient.id) == col(Screening.patient_id))
            .where(col(Screening.screened_on).between(lo, hi), *by_patient),
        ),
        "confirmed": _count(
            session,
            select(n)
            .select_from(Case)
            .join(Condition, col(Condition.id) == col(Case.condition_id))
            .where(col(Condition.confirmed_on).between(lo, hi), *by_case),
        ),
        "admitted": _count(session, stays.where(col(TreatmentEpisode.admitted_on).between(lo, hi), *by_case)),
        "discharged": _count(session, stays.where(col(TreatmentEpisode.discharged_on).between(lo, hi), *by_case)),
    }


def _settlements(session: Session, lo: date, hi: date, by_case: list[Any]) -> dict[str, Any]:
    """Streams the window's settlements (yield_per): histogram bins, count above target, totals by layer."""
    in_window = [col(Settlement.service_date).between(lo, hi), *by_case]
    bills = (
        select(col(Settlement.total), col(Settlement.patient_pays), col(Settlement.self_pay_ratio))
        .join(Case, col(Case.id) == col(Settlement.case_id))
        .where(*in_window)
        .execution_options(yield_per=10_000)
    )
    bins, n, over, total, pays = [0] * BINS, 0, 0, ZERO, ZERO
    for t, p, ratio in session.execute(bills).tuples():
        n, total, pays = n + 1, total + t, pays + p
        bins[min(int(ratio * BINS), BINS - 1)] += 1
        over += ratio > TARGET
    paid = dict.fromkeys((layer.value for layer in LAYER_ORDER), ZERO)
    lines = (
        select(col(SettlementLine.layer), col(SettlementLine.paid))
        .join(Settlement, col(Settlement.id) == col(SettlementLine.settlement_id))
        .join(Case, col(Case.id) == col(Settlement.case_id))
        .where(*in_window)
        .execution_options(yield_per=10_000)
    )
    for layer, amount in session.execute(lines).tuples():
        paid[str(layer)] += amount
    return {
        "settlements": n,
        "paid": {k: str(v) for k, v in paid.items()},
        "total": str(total),
        "patient_pays": str(pays),
        "self_pay_ratio": str(self_pay_ratio(pays, total) or ""),
        "over_target": over,
        "self_pay_bins": bins,
    }


def _rates(session: Session, ends: list[date], by_case: list[Any]) -> dict[str, list[float | None]]:
    special = [col(Case.category).is_not(None), col(Case.state) != "closed", *by_case]
    confirmed = session.execute(
        select(col(Case.category), col(Condition.confirmed_on), func.count())
        .join(Condition, col(Condition.id) == col(Case.condition_id))
        .where(*special)
        .group_by(col(Case.category), col(Condition.confirmed_on))
    ).tuples()
    first = (
        select(
            col(TreatmentEpisode.case_id).label("case_id"), func.min(col(TreatmentEpisode.discharged_on)).label("on")
        )
        .where(col(TreatmentEpisode.discharged_on).is_not(None))
        .group_by(col(TreatmentEpisode.case_id))
        .subquery()
    )
    treated = session.execute(
        select(col(Case.category), first.c.on, func.count())
        .join(first, first.c.case_id == col(Case.id))
        .where(*special)
        .group_by(col(Case.category), first.c.on)
    ).tuples()
    return cumulative_rates([(str(c), d, n) for c, d, n in confirmed], [(str(c), d, n) for c, d, n in treated], ends)


def collect_summary(session: Session, period: Period, on: date, region_code: str | None = None) -> SummaryData:
    lo, hi = period_window(period, on)
    by_case = [col(Case.region_code) == region_code] if region_code else []
    bills = _settlements(session, lo, hi, by_case)
    alarms: dict[str, dict[str, int]] = {}
    by_region = [col(Finding.region_code) == region_code] if region_code else []
    found = (
        select(col(Finding.region_code), col(Finding.kind), func.count())
        .where(col(Finding.night).between(lo, hi), *by_region)
        .group_by(col(Finding.region_code), col(Finding.kind))
    )
    for region, kind, count in session.execute(found).tuples():
        alarms.setdefault(region, {})[str(kind)] = count
    ends = series_ends(period, on)
    return SummaryData(
        period=period,
        start=lo,
        end=hi,
        region_code=region_code,
        activity={**_activity(session, lo, hi, region_code), "settled": bills["settlements"]},
        rate_ends=ends,
        rates=_rates(session, ends, by_case),
        alarms=alarms,
        ledger=ledger_summary(session, region_code),
        **bills,
    )


def _save(fig: Figure, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return str(path)


def draw_charts(data: SummaryData, out_dir: Path) -> list[str]:
    """treatment-rate.png, self-pay.png, alarms-by-region.png in ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    scope = data.region_code or "all regions"
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    labels = [d.isoformat() for d in data.rate_ends]
    for cat, rates in data.rates.items():
        values = [float("nan") if r is None else r for r in rates]
        ax.plot(range(len(labels)), values, marker="o", ms=3, label=CATEGORY_EN.get(cat, cat))
    step = max(1, len(labels) // 10)
    ax.set_xticks(range(0, len(labels), step), labels[::step], rotation=30, ha="right")
    ax.set(ylim=(0, 105), ylabel="treated / confirmed (%)", title=f"Treatment rate by category, {scope}")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    paths = [_save(fig, out_dir / "treatment-rate.png")]
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    width = 100 / BINS
    ax.bar([i * width for i in range(BINS)], data.self_pay_bins, width=width, align="edge", edgecolor="white")
    ax.axvline(float(TARGET) * 100, color="red", linestyle="--", label="10% self-pay target")
    ax.set(xlim=(0, 100), xlabel="self-pay ratio (%)", ylabel="settlements")
    ax.set_title(
        f"Self-pay ratio, {data.start} to {data.end}, {scope}: n={data.settlements}, over 10%: {data.over_target}"
    )
    ax.legend()
    paths.append(_save(fig, out_dir / "self-pay.png"))
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    regions = sorted(data.alarms)
    kinds = sorted({k for per in data.alarms.values() for k in per})
    left = [0] * len(regions)
    for kind in kinds:
        counts = [data.alarms[r].get(kind, 0) for r in regions]
        ax.barh(regions, counts, left=left, label=kind)
        left = [a + b for a, b in zip(left, counts, strict=True)]
    if not regions:
        ax.text(0.5, 0.5, "no findings in this period", ha="center", va="center", transform=ax.transAxes)
    else:
        ax.legend(fontsize="small")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel="findings", ylabel="region", title=f"Alarms and findings by region, {data.start} to {data.end}")
    paths.append(_save(fig, out_dir / "alarms-by-region.png"))
    return paths


def summary_markdown(data: SummaryData, charts: Sequence[str]) -> str:
    """The artifact text: counts, amounts, rates, region codes and file paths — no identity."""
    lg = data.ledger
    latest = {c: next((r for r in reversed(v) if r is not None), None) for c, v in data.rates.items()}
    lines = [
        f"# {TITLES[data.period]} — {data.region_code or 'all regions'}, {data.start} to {data.end}",
        "",
        "| activity in period | count |",
        "|---|---:|",
        *(f"| {k} | {v} |" for k, v in data.activity.items()),
        "",
        f"**Treatment ledger now:** {lg.special_cases} special-disease cases, {lg.treated} treated, "
        f"{lg.in_treatment} in treatment, {lg.not_yet_treated} not yet treated — treatment rate {lg.treatment_rate}.",
        "",
        "**Treatment rate by category at period end:** "
        + ", ".join(f"{CATEGORY_EN.get(c, c)} {r if r is not None else '–'}%" for c, r in latest.items()),
        "",
        f"**Settlements in period:** {data.settlements}, total {data.total} yuan; "
        + ", ".join(f"{k} {v}" for k, v in data.paid.items())
        + f"; patient pays {data.patient_pays} (self-pay ratio {data.self_pay_ratio or '–'}); "
        f"{data.over_target} settlement(s) above the 10% self-pay target.",
        "",
        "| region | " + " | ".join(k for k in sorted({k for v in data.alarms.values() for k in v})) + " |",
    ]
    kinds = sorted({k for v in data.alarms.values() for k in v})
    lines.append("|---|" + "---:|" * len(kinds))
    lines += [
        f"| {r} | " + " | ".join(str(data.alarms[r].get(k, 0)) for k in kinds) + " |" for r in sorted(data.alarms)
    ]
    if not data.alarms:
        lines.append("| (no findings in period) |")
    lines += [
        "",
        "Charts: " + ", ".join(f"`{Path(p).name}`" for p in charts) + f" in `{Path(charts[0]).parent}`"
        if charts
        else "",
    ]
    return "\n".join(lines)


@task(cache_policy=NO_CACHE)
def gather_summary(period: Period, on: date, region_code: str | None) -> SummaryData:
    with session_scope() as s:
        return collect_summary(s, period, on, region_code)


@task(cache_policy=NO_CACHE)
def render_charts(data: SummaryData, out_dir: str) -> list[str]:
    paths = draw_charts(data, Path(out_dir))
    log.info("summary_charts", period=data.period, scope=data.region_code or "all", charts=len(paths))
    return paths


@task(cache_policy=NO_CACHE)
def publish_summary(data: SummaryData, charts: list[str]) -> str:
    text = summary_markdown(data, charts)
    create_markdown_artifact(
        markdown=text,
        key=f"summary-{data.period}-{data.region_code or 'all'}",
        description=f"{TITLES[data.period]} {data.start}..{data.end}",
    )
    return text
