"""A committed step is never reported as failed (issue 22, item 5): when the flow's body has returned (the
step committed) and only Prefect's bookkeeping with the API fails afterwards, the command prints the result
and a warning and exits 0; an error inside the body is still an error."""

from __future__ import annotations

import inspect
from typing import Any

import httpx
import pytest
from prefect import flow
from prefect.flow_engine import AsyncFlowRunEngine, FlowRunEngine
from pydantic import BaseModel
from typer.testing import CliRunner

import cli.app
import flows.pathway

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_harness")]
COMMITTED: list[int] = []


class Outcome(BaseModel):
    case_id: int
    state: str


@flow(name="test-confirm")
async def confirm(case_id: int, *args: Any) -> Outcome:
    COMMITTED.append(case_id)  # stands for the app transaction that committed
    return Outcome(case_id=case_id, state="triaged")


@flow(name="test-confirm-fails")
async def confirm_fails(case_id: int, *args: Any) -> Outcome:
    raise ValueError(f"case {case_id}: not screened")


def test_prefect_s_engine_still_has_the_hook_we_wrap() -> None:
    for engine in (FlowRunEngine, AsyncFlowRunEngine):
        assert list(inspect.signature(engine.handle_success).parameters) == ["self", "result"]


def test_bookkeeping_failing_after_the_commit_reports_the_committed_result(monkeypatch: pytest.MonkeyPatch) -> None:
    real = AsyncFlowRunEngine.set_state

    async def lost_server(self: Any, state: Any, force: bool = False) -> Any:
        if state.is_final():
            raise httpx.ConnectError("All connection attempts failed")
        return await real(self, state, force)

    monkeypatch.setattr(AsyncFlowRunEngine, "set_state", lost_server)
    monkeypatch.setattr(flows.pathway, "confirm_diagnosis", confirm)
    COMMITTED.clear()
    done = CliRunner().invoke(cli.app.app, ["confirm", "7", "2017-03-05"])
    assert COMMITTED == [7]
    assert done.exit_code == 0, done.output
    assert '"state": "triaged"' in done.output and "Traceback" not in done.output
    assert "warning: the step committed (above), but the Prefect server did not record its flow run" in done.output


def test_an_error_in_the_step_itself_is_still_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flows.pathway, "confirm_diagnosis", confirm_fails)
    done = CliRunner().invoke(cli.app.app, ["confirm", "7", "2017-03-05"])
    assert done.exit_code != 0 and "warning: the step committed" not in done.output
    assert isinstance(done.exception, ValueError)
