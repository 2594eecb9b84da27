"""Reconciliation of recorded settlements (2207 layout) against the policy in force, as a supervisor runs it:
discrepancy CSV and XLSX on the server, a Chinese table artifact of the totals per layer, kind and hospital."""

from __future__ import annotations

from typing import Annotated

from prefect import flow
from pydantic import Field

from flows.context import run_context
from flows.params import NoIdText, OutDir, form
from tasks.settlement.recorded import CheckResult, check_recorded_file, publish_check_table

RecordedPath = Annotated[
    NoIdText,
    Field(min_length=1, max_length=500),
    form(
        "结算记录文件路径 File path",
        "服务器上按国家医保接口 2207 格式的结算记录文件（JSON lines 或 CSV）。Recorded settlements file on the server.",
    ),
]
Workers = Annotated[int, Field(ge=1, le=64), form("并行进程数 Workers", "同时核对的进程数（1–64）。Worker processes.")]


@flow(name="check-recorded", flow_run_name="check-recorded")
async def check_recorded(file: RecordedPath, out_dir: OutDir = "var/reconcile", workers: Workers = 1) -> CheckResult:
    """核对结算记录：按结算时有效的政策重新计算每条 2207 结算记录，列出与记录不符之处（按结算、医院、支付层），
    输出 CSV 和 XLSX。Reconcile recorded settlements against the policy; discrepancy CSV and XLSX."""
    with run_context():
        result = check_recorded_file(file, out_dir, workers)
        publish_check_table(result)
        return result
