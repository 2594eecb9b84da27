"""Reports (orchestration only): the ledger export a county office files, and the daily / weekly / monthly
summary with its charts and markdown artifact. Parameters are flat (UI form) and hold no identity."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from prefect import flow

from config.settings import get_settings
from models.findings import FindingKind
from models.ledger_rows import Lang
from tasks.charts import Period, SummaryData, gather_summary, period_window, publish_summary, render_charts
from tasks.export import ExportResult, Format, LedgerFilter, export_ledger_task


def _today() -> date:
    return datetime.now(ZoneInfo(get_settings().timezone)).date()


@flow(name="export-ledger")
def export_ledger(
    region_code: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    period_on: Literal["screened", "discharged"] = "screened",
    alarm_kinds: list[FindingKind] | None = None,
    headers: Lang = "zh",
    formats: list[Format] | None = None,
    out_dir: str = "var/reports",
) -> ExportResult:
    """救治台账 + 预警名单 as XLSX and/or CSV (internal ids only; period on the screening or discharge date)."""
    flt = LedgerFilter(
        region_code=region_code,
        date_from=date_from,
        date_to=date_to,
        period_on=period_on,
        alarm_kinds=tuple(alarm_kinds or ()),
    )
    return export_ledger_task(flt, out_dir, formats or ["xlsx", "csv"], headers)


@flow(name="summary-report")
def summary_report(
    period: Period = "daily",
    on: date | None = None,
    region_code: str | None = None,
    out_dir: str = "var/reports",
    previous: bool = False,
) -> SummaryData:
    """日报 / 周调度 / 月总结: figures for the day, week or month containing ``on`` (default today; with
    ``previous``, the period before it — what a morning schedule reports), three charts, an artifact."""
    on = on or _today()
    if previous:
        on = period_window(period, on)[0] - timedelta(days=1)
    data = gather_summary(period, on, region_code)
    charts = render_charts(data, f"{out_dir}/{period}-{on.isoformat()}-{region_code or 'all'}")
    publish_summary(data, charts)
    return data.model_copy(update={"charts": charts})
