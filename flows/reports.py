"""Reports (orchestration only): the ledger export a county office files, and the daily / weekly / monthly
summary with its charts and markdown artifact. Parameters are flat (UI form) and hold no identity."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from prefect import flow

from config.actors import load_actors
from config.settings import get_settings
from flows.context import run_context
from flows.params import ActorId, OptRegion, OutDir, form
from models.common import local_today
from models.findings import FindingKind
from models.ledger_rows import Lang
from models.summary import Period, SummaryData, chart_folder, reported_day
from tasks.infra.access import allowed_report_region
from tasks.reports.charts import publish_summary, render_charts
from tasks.reports.export import ExportResult, Format, LedgerFilter, export_ledger_files
from tasks.reports.summary import gather_summary

ReportActor = Annotated[
    ActorId,
    form(
        "操作人 Actor",
        "操作人的编号（config/data/actors.yaml），报表只含其地区；定时报表以 system 运行（全部地区）。Acting id.",
        enum=[a.id for a in load_actors()],
    ),
]
DateFrom = Annotated[date | None, form("起始日期 (YYYY-MM-DD)", "期间的第一天（含）；留空不限。First day, optional.")]
DateTo = Annotated[date | None, form("截止日期 (YYYY-MM-DD)", "期间的最后一天（含）；留空不限。Last day, optional.")]
PeriodOn = Annotated[
    Literal["screened", "discharged"],
    form("期间依据 Period on", "screened=按筛查日期，discharged=按出院日期。Which date the period applies to."),
]
AlarmKinds = Annotated[
    list[FindingKind] | None,
    form("预警类型 Alarm kinds", "预警名单只列这些类型；留空为全部。Only these finding kinds (default all)."),
]
Headers = Annotated[Lang, form("表头语言 Headers", "zh=中文表头，en=英文表头。Column headers language.")]
Formats = Annotated[
    list[Format] | None, form("文件格式 Formats", "xlsx 和/或 csv；留空两种都出。Output formats (default both).")
]
PeriodKind = Annotated[Period, form("报告周期 Period", "daily=日报，weekly=周调度，monthly=月总结。Report period.")]
ReportOn = Annotated[
    date | None, form("报告日期 (YYYY-MM-DD)", "报告包含这一天的周期；留空为今天。A day in the period (default today).")
]
Previous = Annotated[
    bool, form("上一周期 Previous", "勾选则报告该日期之前的那个周期（定时报表用）。Report the period before it.")
]


@flow(name="export-ledger", flow_run_name="export-ledger-{actor}")
def export_ledger(
    region_code: OptRegion = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    period_on: PeriodOn = "screened",
    alarm_kinds: AlarmKinds = None,
    headers: Headers = "zh",
    formats: Formats = None,
    out_dir: OutDir = "var/reports",
    actor: ReportActor = "coordinator",
) -> ExportResult:
    """导出救治台账和预警名单（XLSX/CSV，只有内部编号）。
    救治台账 + 预警名单 as XLSX and/or CSV (internal ids only; period on the screening or discharge date).
    The region must be within the actor's scope (default: a county actor's own county; all: system only)."""
    with run_context(region=region_code, actor=actor):
        flt = LedgerFilter(
            region_code=allowed_report_region(actor, region_code),
            date_from=date_from,
            date_to=date_to,
            period_on=period_on,
            alarm_kinds=tuple(alarm_kinds or ()),
        )
        return export_ledger_files(flt, out_dir, formats or ["xlsx", "csv"], headers)


@flow(name="summary-report", flow_run_name="summary-{period}-{actor}")
def summary_report(
    period: PeriodKind = "daily",
    on: ReportOn = None,
    region_code: OptRegion = None,
    out_dir: OutDir = "var/reports",
    previous: Previous = False,
    actor: ReportActor = "coordinator",
) -> SummaryData:
    """日报 / 周调度 / 月总结: figures for the day, week or month containing ``on`` (default today; with
    ``previous``, the period before it — what a morning schedule reports), three charts, an artifact.
    The region must be within the actor's scope (the scheduled summaries run as ``system``: every region)."""
    with run_context(region=region_code, actor=actor):
        region_code = allowed_report_region(actor, region_code)
        on = reported_day(period, on or local_today(get_settings().timezone), previous)
        data = gather_summary(period, on, region_code)
        charts = render_charts(data, chart_folder(out_dir, period, on, region_code))
        publish_summary(data, charts)
        return data.model_copy(update={"charts": charts})
