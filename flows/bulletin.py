"""季通报 / 年考核 (orchestration only): per county of the actor's scope, ranked; XLSX, markdown file and a
Prefect markdown artifact. Parameters are flat (UI form) and hold no identity."""

from __future__ import annotations

from typing import Annotated

from prefect import flow
from pydantic import Field

from config.settings import get_settings
from flows.context import run_context
from flows.params import OptRegion, OutDir, form
from flows.reports import ReportActor
from models.bulletin import BulletinData, BulletinKind, period_bounds, previous_period
from models.common import local_today
from tasks.reports.bulletin import bulletin_scope, gather_bulletin, publish_bulletin

Kind = Annotated[BulletinKind, form("报告类型 Kind", "quarterly=季通报，annual=年考核。Quarterly bulletin or annual.")]
PeriodText = Annotated[
    str | None,
    Field(default=None, pattern=r"^[0-9]{4}(Q[1-4])?$"),
    form("报告期 Period", "季通报写 2017Q3，年考核写 2017；留空为刚结束的一期（定时报表）。Period, default the last."),
]


@flow(name="bulletin-report", flow_run_name="{kind}-{actor}")
def bulletin_report(
    kind: Kind = "quarterly",
    period: PeriodText = None,
    region_code: OptRegion = None,
    out_dir: OutDir = "var/reports",
    actor: ReportActor = "coordinator",
) -> BulletinData:
    """季通报 / 年考核：按县（区）统计并排名——救治率、签约率、随访率、县域内住院自付≤10%占比、四个一致率、预警。
    Quarterly bulletin / annual assessment per county of the actor's scope (or the region asked), ranked."""
    with run_context(region=region_code, actor=actor):
        prefix = bulletin_scope(actor, region_code)
        period = period or previous_period(kind, local_today(get_settings().timezone))
        lo, hi = period_bounds(kind, period)
        return publish_bulletin(gather_bulletin(kind, period, lo, hi, prefix), out_dir)
