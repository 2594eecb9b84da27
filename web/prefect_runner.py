"""The console's Prefect side: start a deployment run (``run_deployment``, not waiting) and read its state."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from web.actions import RunState

FAILED = {"FAILED", "CRASHED", "CANCELLED", "CANCELLING"}
#: What a coordinator reads first for a step's known errors (the detail follows, with internal ids only).
KNOWN = {
    "AccessDenied": "无权操作",
    "AssertionRefused": "无权操作（未经控制台签名）",
    "IllegalTransition": "当前状态不允许此操作",
    "CaseNotFound": "没有这个病例",
    "PatientNotFound": "没有这个患者",
    "BadInput": "输入有误",
    "BillError": "金额有误",
    "StorageError": "数据库暂时不可用，请稍后重试",
    "CorrectionRefused": "不能更正",
    "AlarmStepRefused": "当前预警状态不允许此步骤",
    "DateOutOfOrder": "日期先后顺序不对",
    "AlreadyReversed": "该结算已冲销",
    "StayOpen": "住院尚未出院",
    "NotFound": "没有找到",
    "IdNumberInText": "不要填写身份证号",
    "ParameterTypeError": "填写的内容有误",
}


def one_line(message: str | None) -> str:
    """The last meaningful line of a run's failure message, in one line (no traceback)."""
    text = (message or "").strip().splitlines()
    line = text[-1] if text else "未知错误"
    line = line.removeprefix("Flow run encountered an exception: ")
    kind, _, detail = line.partition(": ")
    if kind in KNOWN:
        line = f"{KNOWN[kind]}：{detail}"
    return line[:300]


class PrefectRunner:
    async def start(self, deployment: str, parameters: dict[str, Any], name: str, tags: list[str]) -> str:
        from prefect.deployments import run_deployment

        run = await run_deployment(  # type: ignore[misc]
            name=deployment, parameters=parameters, timeout=0, flow_run_name=name, tags=tags, as_subflow=False
        )
        return str(run.id)

    async def state(self, run_id: str) -> tuple[RunState, dict[str, Any]]:
        from prefect.client.orchestration import get_client

        async with get_client() as client:
            run = await client.read_flow_run(UUID(run_id))
        kind = run.state.type.value if run.state else "PENDING"
        params = dict(run.parameters)
        if kind == "COMPLETED":
            return RunState(True, True, "已完成"), params
        if kind in FAILED:
            return RunState(True, False, "失败：" + one_line(run.state.message if run.state else None)), params
        return RunState(False, False, "运行中…"), params
