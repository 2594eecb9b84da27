"""Daily / weekly / monthly summaries (日报 / 周调度 / 月总结), the output side: three PNG charts and a Prefect
markdown artifact from the figures ``tasks/reports/summary.py`` gathers (``models/summary.py``: the pure rules).

Charts are drawn with matplotlib's object API (``Figure``, Agg canvas; no pyplot global state, safe in task
threads). Labels are ASCII: the machine has no CJK font (``fc-list :lang=zh`` is empty).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import cycle
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from config.logging import get_logger
from models.summary import BINS, CATEGORY_EN, TARGET, TITLES, SummaryData

log = get_logger(__name__)
BUCKET = {"daily": "day", "weekly": "week", "monthly": "month"}


def _save(fig: Figure, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return str(path)


def _axes() -> tuple[Figure, Axes]:
    fig = Figure(figsize=(8, 4.5))
    return fig, fig.add_subplot()


def _nothing(ax: Axes, text: str) -> None:
    """An empty chart says so (instead of an empty frame with meaningless ticks)."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set(ylim=(0, 1), yticks=[])


def _treatment_rate(data: SummaryData, scope: str) -> Figure:
    """One line per triage category: cumulative cases treated ÷ confirmed at each bucket end."""
    fig, ax = _axes()
    labels = [d.isoformat() for d in data.rate_ends]
    for (cat, rates), (marker, size) in zip(data.rates.items(), cycle([("o", 9), ("s", 6), ("^", 4)]), strict=False):
        values = [float("nan") if r is None else r for r in rates]  # hollow markers of three sizes: equal rates
        ax.plot(range(len(labels)), values, marker=marker, ms=size, mfc="none", label=CATEGORY_EN.get(cat, cat))
    ticks = list(range(len(labels) - 1, -1, -max(1, len(labels) // 10)))[::-1]  # the period end is labelled
    ax.set_xticks(ticks, [labels[i] for i in ticks], rotation=30, ha="right")
    ax.set(ylim=(0, 105), ylabel="treated / confirmed (%)", xlabel=f"{BUCKET[data.period]} ending")
    ax.set_title(f"Treatment rate by category (cumulative), {scope}, to {data.end}")
    ax.grid(alpha=0.3)
    if any(r is not None for rates in data.rates.values() for r in rates):
        ax.legend(loc="upper left")
    else:  # no category, or none with a case confirmed by the last bucket end: say so, no empty legend
        _nothing(ax, f"no special-disease case confirmed by {data.end}")
    return fig


def _self_pay(data: SummaryData, scope: str) -> Figure:
    """Histogram of the period's settlements by self-pay ratio, 5-point bins, with the 10% target line."""
    fig, ax = _axes()
    width = 100 / BINS
    ax.bar([i * width for i in range(BINS)], data.self_pay_bins, width=width, align="edge", edgecolor="white")
    ax.axvline(float(TARGET) * 100, color="red", linestyle="--", label="10% self-pay target")
    ax.set(xlim=(0, 100), xlabel="self-pay ratio (%)", ylabel="settlements")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if not data.settlements:
        _nothing(ax, "no settlements in this period")
    ax.set_title(
        f"Self-pay ratio, {data.start} to {data.end}, {scope}: n={data.settlements}, over 10%: {data.over_target}"
    )
    ax.legend()
    return fig


def _alarms(data: SummaryData, scope: str) -> Figure:
    """Findings of the period's nightly runs per region, stacked by kind, the total at the end of each bar."""
    fig, ax = _axes()
    regions = sorted(data.alarms)
    kinds = sorted({k for per in data.alarms.values() for k in per})
    left = [0] * len(regions)
    for kind in kinds:
        counts = [data.alarms[r].get(kind, 0) for r in regions]
        ax.barh(regions, counts, left=left, height=0.5, label=kind)
        left = [a + b for a, b in zip(left, counts, strict=True)]
    for i, total in enumerate(left):
        ax.text(total, i, f" {total}", va="center")
    if regions:
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
        ax.set(xlim=(0, max(left) * 1.1), ylim=(-0.75, len(regions) - 0.25))
    else:
        _nothing(ax, "no findings in this period")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel="findings", ylabel="region")
    ax.set_title(f"Alarms and findings by region, {data.start} to {data.end}, {scope}")
    return fig


def draw_charts(data: SummaryData, out_dir: Path) -> list[str]:
    """treatment-rate.png, self-pay.png, alarms-by-region.png in ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    scope = data.region_code or "all regions"
    charts = {"treatment-rate": _treatment_rate, "self-pay": _self_pay, "alarms-by-region": _alarms}
    return [_save(draw(data, scope), out_dir / f"{name}.png") for name, draw in charts.items()]


def _alarm_table(alarms: dict[str, dict[str, int]]) -> list[str]:
    """Findings per region (rows) and kind (columns), or one line when the period had none."""
    if not alarms:
        return ["**Alarms and findings in period:** none."]
    kinds = sorted({k for per in alarms.values() for k in per})
    return [
        "| region | " + " | ".join(kinds) + " |",
        "|---|" + "---:|" * len(kinds),
        *(f"| {r} | " + " | ".join(str(alarms[r].get(k, 0)) for k in kinds) + " |" for r in sorted(alarms)),
    ]


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
        + (", ".join(f"{CATEGORY_EN.get(c, c)} {f'{r}%' if r is not None else '–'}" for c, r in latest.items()) or "–"),
        "",
        f"**Settlements in period:** {data.settlements}, total {data.total} yuan; "
        + ", ".join(f"{k} {v}" for k, v in data.paid.items())
        + f"; patient pays {data.patient_pays} (self-pay ratio {data.self_pay_ratio or '–'}); "
        f"{data.over_target} settlement(s) above the 10% self-pay target.",
        "",
        *_alarm_table(data.alarms),
    ]
    lines += [
        "",
        "Charts: " + ", ".join(f"`{Path(p).name}`" for p in charts) + f" in `{Path(charts[0]).parent}`"
        if charts
        else "",
    ]
    return "\n".join(lines)


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
