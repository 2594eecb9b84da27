"""Through real flow runs: the CLI refuses a coordinator of another county (exit 1, the refusal names actor
and case, the case is untouched) and lets the province's supervisor act; run logs shipped to the Prefect
server are masked even when a flow logs identity or fails with it in the exception."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from prefect import flow, get_run_logger
from typer.testing import CliRunner

import cli.app
import runtime.up
from models import national_id
from models.clinical import Case
from tasks.infra.db import session_scope
from tasks.pathway.hospitals import sync_hospitals
from tests.flows.helpers import import_one_patient

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_harness")]
NID = national_id.make("520527", date(1958, 8, 8), 58)
NAME = "慕容复兴"


def _state(case_id: int) -> str:
    with session_scope() as s:
        return str(s.get(Case, case_id).state)  # type: ignore[union-attr]


def test_cli_refuses_an_actor_of_another_county(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime.up, "use_running_local_server", lambda: None)
    with session_scope() as s:
        sync_hospitals(s)
    case_id, nid = import_one_patient(tmp_path, "I10", region_code="520527", sequence=8)
    denied = CliRunner().invoke(cli.app.app, ["confirm", str(case_id), "2017-05-10", "--actor", "xinping-coordinator"])
    assert denied.exit_code == 1, denied.output
    assert f"access denied: actor xinping-coordinator may not act on case {case_id}" in denied.output
    assert nid not in denied.output and _state(case_id) == "screened"
    done = CliRunner().invoke(cli.app.app, ["confirm", str(case_id), "2017-05-10", "--actor", "guizhou-supervisor"])
    assert done.exit_code == 0, done.output
    assert _state(case_id) == "triaged"


@flow(name="identity-log-probe")
def _probe(case_id: int) -> None:
    logger = get_run_logger()
    logger.warning("case %s of patient %s, name=%s", case_id, NID, NAME)  # the tests log WARNING and up
    raise ValueError(f"lookup of {NID} failed for {{'name': '{NAME}'}}")


def test_run_logs_on_the_server_are_masked(db_url: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogHandler

    state = _probe(5, return_state=True)
    assert state.is_failed()
    APILogHandler().flush()

    async def logs() -> list[Any]:
        async with get_client() as client:
            flt = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id]))
            return await client.read_logs(log_filter=flt)

    messages = "\n".join(log.message for log in asyncio.run(logs()))
    assert "case 5 of patient [national-id], name=[name]" in messages
    assert "ValueError" in messages, "the engine's traceback reached the server"
    assert NID not in messages and NAME not in messages
