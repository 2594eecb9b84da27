"""The Prefect server misses an event (it is down at the commit); the flush-events flow sends it later, the
deployment trigger still starts the next step, and the server holds the event once."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import update
from sqlmodel import col, select

from flows.outbox import flush_events
from flows.reactions import refer_triaged
from models.enums import CaseState
from models.outbox import EventOutbox
from runtime.deployments import deployments, triggered
from tasks.infra.db import session_scope
from tasks.infra.outbox import api_url, post_events
from tasks.pathway.hospitals import sync_hospitals
from tasks.pathway.steps import confirm_case, triage_case
from tests.flows.helpers import case_state as _state
from tests.flows.helpers import import_one_patient
from tests.flows.helpers import until as _until

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_harness")]


def _triaged_row(case_id: int) -> EventOutbox:
    with session_scope() as s:
        query = select(EventOutbox).where(
            EventOutbox.event == "case.triaged", EventOutbox.resource_id == f"dabing.case.{case_id}"
        )
        return s.scalars(query).one()


async def _events_on_server(event_id: UUID) -> list[dict[str, Any]]:
    """The events the server holds with this id (case ids repeat across the tests' databases: not by case)."""
    from prefect.client.orchestration import get_client

    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    body = {"filter": {"id": {"id": [str(event_id)]}, "occurred": {"since": since}}}
    async with get_client() as client:
        return list((await client.request("POST", "/events/filter", json=body)).json()["events"])


def test_an_event_missed_while_the_server_was_down_is_flushed_and_triggers(tmp_path: Path, db_url: str) -> None:
    # A deployment of its own: the harness is shared, and runs that other tests' events scheduled for the
    # served `on-triaged` / `on-discharged` deployments (for their own case 1) would otherwise start here.
    refer = [(f, {**options, "name": "on-late-event"}) for f, options in triggered() if f is refer_triaged]
    asyncio.run(_scenario(tmp_path, deployments(refer)))  # deployments built outside the loop (sync API)


async def _scenario(tmp_path: Path, served: list[Any]) -> None:
    from prefect.runner import Runner

    with session_scope() as s:
        sync_hospitals(s)
    case_id, _ = import_one_patient(tmp_path, "N18.5", sequence=5)
    runner = Runner(name="test-outbox", query_seconds=0.5, pause_on_shutdown=False)
    for deployment in served:
        await runner.aadd_deployment(deployment)
    serving = asyncio.create_task(runner.start())
    try:
        await asyncio.sleep(2)  # the runner registered its deployments (and their triggers)
        confirm_case.fn(case_id, date(2017, 5, 10), "", "xinping-coordinator")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            down = f"http://127.0.0.1:{sock.getsockname()[1]}/api"
        with temporary_settings(updates={PREFECT_API_URL: down}):  # the server is down at this commit
            triage_case.fn(case_id, date(2017, 5, 10), "xinping-coordinator")
        row = _triaged_row(case_id)
        assert row.sent_at is None and _state(case_id) == CaseState.TRIAGED
        with session_scope() as s:  # it waited two hours: the event still says when the change happened
            committed = datetime.now(UTC) - timedelta(hours=2)
            s.execute(update(EventOutbox).where(col(EventOutbox.id) == row.id).values(created_at=committed))
        await asyncio.sleep(3)
        assert _state(case_id) == CaseState.TRIAGED and await _events_on_server(row.event_id) == []

        result = await flush_events()  # the server is back
        assert result.sent >= 1 and result.pending == 0
        assert _triaged_row(case_id).sent_at is not None
        await _until(lambda: _state(case_id) == CaseState.REFERRED, "the referral the late event triggers")

        assert (await flush_events()).sent == 0, "sent once"
        row = _triaged_row(case_id)
        post_events(str(api_url()), [row.outgoing()])  # a re-send (as after a lost answer): same event id
        await asyncio.sleep(1)
        on_server = await _events_on_server(row.event_id)
        assert len(on_server) == 1 and on_server[0]["event"] == "case.triaged", "the server holds it once"
        assert on_server[0]["occurred"].startswith(committed.isoformat()[:16])
    finally:
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
