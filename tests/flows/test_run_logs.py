"""structlog lines written inside a flow run reach that run's logs on the Prefect server, carrying the run,
case and actor bound by ``run_context`` — and masked like every other sink."""

from __future__ import annotations

import asyncio
from datetime import date
from uuid import UUID

import pytest
from prefect import flow

from config.logging import get_logger
from flows.context import run_context
from models import national_id

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_harness")]
NID = national_id.make("530427", date(1961, 5, 4), 17)
log = get_logger(__name__)


@flow(name="test-run-logs")
def logs_a_line(case_id: int, actor: str) -> str:
    from prefect.runtime import flow_run

    with run_context(case_id=case_id, actor=actor):
        log.info("probe.step_done", note=f"re-screened {NID}")
    return str(flow_run.id)


async def _messages(flow_run_id: str) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    async with get_client() as client:
        logs = await client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[UUID(flow_run_id)])))
    return [entry.message for entry in logs]


def test_a_structlog_line_is_in_the_run_logs_with_run_case_and_actor() -> None:
    from prefect.logging.handlers import APILogHandler

    run_id = logs_a_line(31, "xinping-coordinator")
    APILogHandler().flush()
    lines = [m for m in asyncio.run(_messages(run_id)) if "probe.step_done" in m]
    assert len(lines) == 1, asyncio.run(_messages(run_id))
    assert "case_id=31" in lines[0] and "actor=xinping-coordinator" in lines[0] and f"flow_run_id={run_id}" in lines[0]
    assert NID not in lines[0] and "[national-id]" in lines[0]


def test_outside_a_run_a_line_is_only_printed_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    log.info("probe.outside", case_id=5)
    printed = capsys.readouterr()
    assert "probe.outside" in printed.err and "probe.outside" not in printed.out, "stdout is the command's result"
