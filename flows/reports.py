"""Reports (orchestration only): the ledger export a county office files, and the daily / weekly / monthly
summary with its charts and markdown artifact. Parameters are flat (UI form) and hold no identity."""

from __future__ import annotations

from datetime import date
from typing import Literal

from prefect import flow

from config.settings import get_settings
from models.common import local_today
from models.findings import FindingKind
from models.ledger_rows import Lang
from models.summary import Period, SummaryData, chart_folder, reported_day
from tasks.access import allowed_report_region
from tasks.charts import publish_summary, render_charts
from tasks.export import ExportResult, Format, LedgerFilter, export_ledger_task
from tasks.summary import gather_summary


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
    actor: str = "coordinator",
) -> ExportResult:
    """救治台账 + 预警名单 as XLSX and/or CSV (internal ids only; period on the screening or discharge date).
    The region must be within the actor's scope (default: a county actor's own county; all: system only)."""
    flt = LedgerFilter(
        region_code=allowed_report_region(actor, region_code),
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
    actor: str = "coordinator",
) -> SummaryData:
    """日报 / 周调度 / 月总结: figures for the day, week or month containing ``on`` (default today; with
    ``previous``, the period before it — what a morning schedule reports), three charts, an artifact.
    The region must be within the actor's scope (the scheduled summaries run as ``system``: every region)."""
    region_code = allowed_report_region(actor, region_code)
    on = reported_day(period, on or local_today(get_settings().timezone), previous)
    data = gather_summary(period, on, region_code)
    charts = render_charts(data, chart_folder(out_dir, period, on, region_code))
    publish_summary(data, charts)
    return data.model_copy(update={"charts": charts})
