"""政策测算 (orchestration only): re-settle a period's stored stays under proposed policies, writing no
settlement; a Chinese report artifact and an XLSX of per-patient differences. Parameters hold no identity."""

from __future__ import annotations

from typing import Annotated

from prefect import flow

from flows.context import run_context
from flows.params import OptRegion, OutDir, form
from flows.reports import DateFrom, DateTo, ReportActor
from models.simulation.period import period_of
from tasks.infra.access import allowed_report_region
from tasks.simulation.publish import publish_simulation
from tasks.simulation.run import SimulationOutcome, SimulationRequest, simulate_policies

Proposals = Annotated[
    list[str],
    form(
        "政策方案文件 Proposals",
        "一个或多个拟议政策文件路径（YAML，格式同 config/data/policies）。Proposed policy files.",
    ),
]
Year = Annotated[int | None, form("测算年度 Year", "整年测算；与起止日期二选一。A whole year (or give the dates).")]
Workers = Annotated[
    int, form("并行进程数 Workers", "重新结算使用的进程数。Processes re-settling in parallel.", minimum=1, maximum=16)
]


@flow(name="simulate-policy", flow_run_name="simulate-{actor}")
def simulate_policy(
    proposals: Proposals,
    region_code: OptRegion = None,
    year: Year = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    workers: Workers = 2,
    out_dir: OutDir = "var/simulations",
    actor: ReportActor = "coordinator",
) -> SimulationOutcome:
    """政策测算：按拟议政策重新结算期间内已结算的每一笔，不写入结算，报告各支付方成本、个人自付和受影响患者。
    Re-settles the period's stored stays under each proposal (nothing written) and reports the differences."""
    with run_context(region=region_code, actor=actor):
        start, end = period_of(year, date_from, date_to)
        request = SimulationRequest(
            proposals=proposals,
            region=allowed_report_region(actor, region_code),
            start=start,
            end=end,
            workers=workers,
            out=out_dir,
        )
        outcome = simulate_policies(request)
        publish_simulation(outcome)
        return outcome
