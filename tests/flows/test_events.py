"""Event-driven pathway under the session-scoped Prefect harness (which runs the trigger and action services):
a committed step emits an event, a deployment trigger starts the next flow on a real runner, the case advances;
a re-delivered event changes nothing."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from models.enums import CaseState
from models.settlement.amounts import BillAmounts
from models.settlement.tables import Settlement
from runtime import warm_start
from runtime.deployments import deployments, triggered
from tasks.infra.db import session_scope
from tasks.pathway.hospitals import sync_hospitals
from tasks.pathway.steps import admit_case, confirm_case, discharge_case, triage_case
from tests.flows.helpers import NAME, import_one_patient
from tests.flows.helpers import case_state as _state
from tests.flows.helpers import until as _until

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_harness")]
TRIGGERED = ("on-triaged", "on-discharged")


def _settlements(case_id: int) -> int:
    with session_scope() as s:
        return int(s.execute(select(func.count()).where(col(Settlement.case_id) == case_id)).scalar_one())


async def _completed_runs(*deployment_names: str) -> int:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    async with get_client() as client:
        runs = await client.read_flow_runs(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=list(deployment_names))),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.COMPLETED]))
            ),
        )
    return len(runs)


async def _assert_no_identity_on_server(identity: tuple[str, str]) -> list[Any]:
    """Every event, flow-run parameter and artifact the server holds is free of the national ID and name."""
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        page = (await client.request("POST", "/events/filter", json={"limit": 50})).json()
        events = page["events"]
        while page.get("next_page") and len(events) < 2000:
            page = (await client._client.get(page["next_page"])).json()
            events += page["events"]
        runs = await client.read_flow_runs()
        artifacts = await client.read_artifacts()
        logs = await client.read_logs()
    assert any(e["event"] == "treatment.discharged" for e in events) and runs, (
        "the harness recorded this test's events and runs"
    )
    sinks = {
        "events": events,
        "parameters": [r.parameters for r in runs],
        "artifacts": [a.model_dump(mode="json") for a in artifacts],
        "run logs": [log.message for log in logs],
    }
    for name, dump in sinks.items():
        text = json.dumps(dump, ensure_ascii=False, default=str)
        for secret in identity:
            assert secret not in text, f"{name} carry identity"
    return list(artifacts)


def test_events_trigger_referral_and_settlement_once(
    tmp_path: Path, db_url: str, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.runner import _starter_engine

    monkeypatch.setattr(_starter_engine, "run_process", _starter_engine.run_process)  # type: ignore[attr-defined]
    nid = asyncio.run(_scenario(tmp_path, deployments(triggered())))  # deployments built outside the loop (sync API)
    printed = capfd.readouterr()  # this process's and the flow-run subprocesses' stdout/stderr (logs, tracebacks)
    output = printed.out + printed.err
    assert "intake.imported" in output, "the app's log output was captured"
    for secret in (nid, NAME):
        assert secret not in output, "log output carries identity"


async def _scenario(tmp_path: Path, deployments: list[Any]) -> str:
    from prefect.events import emit_event
    from prefect.runner import Runner

    captured: list[Any] = []
    from tasks.infra import events

    events.sinks.append(lambda spec, related: captured.append(spec))
    with session_scope() as s:
        sync_hospitals(s)
    case_id, nid = import_one_patient(tmp_path, "N18.5")  # dialysis: maintenance, county hospital
    runner = Runner(name="test-events", query_seconds=0.5, pause_on_shutdown=False)
    for deployment in deployments:
        await runner.aadd_deployment(deployment)
    engines = warm_start.install()  # as `dabing up` serves: runs start in a standby process, imports done
    engines.warm = engines.cold_starts = 0
    await engines.prime()
    serving = asyncio.create_task(runner.start())
    try:
        await asyncio.sleep(2)  # the runner registered its deployments (and their triggers)
        confirm_case.fn(case_id, date(2017, 5, 10), "", "xinping-coordinator")
        triage_case.fn(case_id, date(2017, 5, 10), "xinping-coordinator")  # commit → case.triaged → refer-triaged
        await _until(lambda: _state(case_id) == CaseState.REFERRED, "the triggered referral")

        admit_case.fn(case_id, date(2017, 5, 12), "xinping-coordinator")
        discharge_case.fn(case_id, date(2017, 5, 20), BillAmounts.parse("38734.00", "733.00"), "xinping-coordinator")
        await _until(lambda: _state(case_id) == CaseState.SETTLED, "the triggered settlement")
        assert _settlements(case_id) == 1

        discharged = next(c for c in captured if c.event == "treatment.discharged" and c.payload["ids"] == [case_id])
        emit_event(discharged.event, resource=discharged.resource, payload=discharged.payload)  # re-delivery
        deadline = time.monotonic() + 90
        while await _completed_runs(*TRIGGERED) < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        assert await _completed_runs(*TRIGGERED) >= 3, "refer + settle + the re-delivered settle all ran"
        assert _settlements(case_id) == 1, "a second delivery of the same event leaves one settlement"
        assert _state(case_id) == CaseState.SETTLED
        artifacts = await _assert_no_identity_on_server((nid, NAME))
        statement = next(a for a in artifacts if a.key == f"settlement-case-{case_id}")
        assert "patient_pays" in str(statement.data) and "basic_insurance" in str(statement.data)
        assert engines.warm >= 2, f"triggered runs started warm ({engines.warm} warm, {engines.cold_starts} cold)"
        return nid
    finally:
        events.sinks.pop()
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
        await engines.close()
