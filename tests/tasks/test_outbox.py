"""The event outbox: rows commit with the change, survive a Prefect server that is down, and are sent later
exactly once with a stable event id. The server is an httpx mock transport (up, down, or answering a status)
or a closed port; the real server is in tests/flows/test_outbox_flow.py."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlmodel import col, select
from typer.testing import CliRunner

from cli.app import app
from config.settings import get_settings
from models.common import utcnow
from models.events import BATCH_MAX, Change, DomainEvent
from models.outbox import EventOutbox
from tasks.infra import events, outbox
from tasks.infra.db import get_engine, session_scope
from tasks.pathway.steps import confirm_case
from tests.flows.helpers import import_one_patient

API = "http://prefect.test/api"


@dataclass
class FakeServer:
    """What the mock transport answers: ``up`` False refuses connections; else ``status`` (204 by default)."""

    up: bool = True
    status: int = 204
    reject_ids: set[int] = field(default_factory=set)  # any batch holding one of these case ids gets 422
    received: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if not self.up:
            raise httpx.ConnectError("connection refused", request=request)
        batch = json.loads(request.content)
        if any(set(e["payload"]["ids"]) & self.reject_ids for e in batch):
            return httpx.Response(422, json={"detail": "bad event"})
        if self.status == 204:
            self.received += batch
        return httpx.Response(self.status)


@pytest.fixture(autouse=True)
def _fresh_breaker() -> Iterator[None]:
    outbox._down_until.clear()
    yield
    outbox._down_until.clear()


@pytest.fixture()
def server() -> Iterator[FakeServer]:
    fake = FakeServer()
    outbox._clients[API] = httpx.Client(base_url=API, transport=httpx.MockTransport(fake.handle))
    with temporary_settings(updates={PREFECT_API_URL: API}):
        yield fake
    outbox._clients.pop(API).close()


def _rows() -> list[EventOutbox]:
    with session_scope() as s:
        return list(s.scalars(select(EventOutbox).order_by(col(EventOutbox.id))))


def _close(case_id: int) -> None:
    with session_scope() as s:
        events.record(s, Change(DomainEvent.CASE_CLOSED, "case", (case_id,), {"actor": "test"}))


def test_a_state_change_commits_with_the_prefect_api_on_a_closed_port(tmp_path: Path, db_url: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/api"
    case_id, _ = import_one_patient(tmp_path, "N18.5")
    with temporary_settings(updates={PREFECT_API_URL: closed}):
        outcome = confirm_case.fn(case_id, date(2017, 5, 10), "", "xinping-coordinator")
    assert outcome.changed, "the confirmation committed although no event could be sent"
    confirmed = [r for r in _rows() if r.event == "case.confirmed"]
    assert [(r.resource_id, r.payload["ids"], r.sent_at, r.attempts) for r in confirmed] == [
        (f"dabing.case.{case_id}", [case_id], None, 1)
    ]


def test_events_wait_while_the_server_is_down_and_go_once_when_it_is_back(db_url: str, server: FakeServer) -> None:
    server.up = False
    _close(1)
    _close(2)  # the first failure opened the breaker: this commit does not even try
    assert [(r.sent_at, r.attempts) for r in _rows()] == [(None, 1), (None, 0)]
    assert server.requests == 1

    server.up = True
    result = outbox.flush_outbox.fn()
    assert (result.sent, result.pending, result.error) == (2, 0, None)
    rows = _rows()
    assert [e["id"] for e in server.received] == [str(r.event_id) for r in rows], "oldest first, the rows' ids"
    assert [e["payload"]["ids"] for e in server.received] == [[1], [2]]
    assert all(r.sent_at is not None for r in rows) and [r.attempts for r in rows] == [2, 1]

    assert outbox.flush_outbox.fn().sent == 0, "a second flush sends nothing"
    _close(3)  # the flush closed the breaker: commits send at once again
    assert len(server.received) == 3 and _rows()[-1].sent_at is not None


def test_a_sent_event_carries_the_commit_time_and_the_rows_id(db_url: str, server: FakeServer) -> None:
    _close(7)
    (row,) = _rows()
    (sent,) = server.received
    assert row.sent_at is not None and row.attempts == 1
    assert sent["id"] == str(row.event_id) and sent["event"] == "case.closed"
    assert sent["resource"]["prefect.resource.id"] == "dabing.case.7" and sent["payload"]["actor"] == "test"
    assert sent["occurred"].startswith(row.created_at.isoformat()[:19])


def test_rolled_back_work_leaves_no_outbox_row(db_url: str, server: FakeServer) -> None:
    with pytest.raises(RuntimeError), session_scope() as s:
        events.record(s, Change(DomainEvent.CASE_CLOSED, "case", (1,)))
        raise RuntimeError("boom")
    assert _rows() == [] and server.requests == 0


def test_bulk_work_writes_one_row_per_batch_event_not_per_patient(db_url: str, server: FakeServer) -> None:
    ids = tuple(range(1, 2 * BATCH_MAX + 2))
    with session_scope() as s:
        events.record(s, Change(DomainEvent.PATIENT_SCREENED, "case", ids, {"actor": "system"}))
    rows = _rows()
    assert [len(r.payload["ids"]) for r in rows] == [BATCH_MAX, BATCH_MAX, 1]
    assert server.requests == 1, "one request for the commit's events"
    assert all(r.sent_at is not None for r in rows)


@pytest.mark.parametrize(
    ("status", "breaker_opens", "reason"),
    [
        (503, True, "server busy or restarting: try again later"),
        (429, True, "rate limited: try again later"),
        (422, False, "the server refuses the event itself: another try of other events is worth it"),
    ],
)
def test_a_refused_send_leaves_the_row_unsent(
    db_url: str, server: FakeServer, status: int, breaker_opens: bool, reason: str
) -> None:
    server.status = status
    _close(1)
    assert [(r.sent_at, r.attempts) for r in _rows()] == [(None, 1)], reason
    assert outbox._breaker_open(API) is breaker_opens, reason


def test_a_rejected_event_does_not_hold_back_the_others(db_url: str, server: FakeServer) -> None:
    server.up = False
    for case_id in (1, 2, 3):
        _close(case_id)
    server.up, server.reject_ids = True, {2}
    result = outbox.flush(outbox.get_engine(), chunk_size=10)
    assert (result.sent, result.rejected, result.pending, result.error) == (2, 1, 1, None)
    assert [e["payload"]["ids"] for e in server.received] == [[1], [3]]
    assert [r.sent_at is None for r in _rows()] == [False, True, False]


def test_flush_stops_at_a_server_that_is_down_and_keeps_the_order(db_url: str, server: FakeServer) -> None:
    server.up = False
    for case_id in range(1, 6):
        _close(case_id)
    result = outbox.flush(outbox.get_engine(), chunk_size=2)
    assert (result.sent, result.pending) == (0, 5) and "ConnectError" in (result.error or "")
    server.up = True
    assert outbox.flush(outbox.get_engine(), chunk_size=2).sent == 5
    assert [e["payload"]["ids"][0] for e in server.received] == [1, 2, 3, 4, 5]


def test_without_a_prefect_api_url_events_wait_in_the_outbox(db_url: str) -> None:
    with temporary_settings(updates={PREFECT_API_URL: None}):
        _close(1)
        result = outbox.flush_outbox.fn()
    assert (result.sent, result.pending) == (0, 1) and "PREFECT_API_URL" in (result.error or "")
    assert [(r.sent_at, r.attempts) for r in _rows()] == [(None, 0)]


def test_cli_flush_and_status(db_url: str, server: FakeServer) -> None:
    server.up = False
    _close(1)
    runner = CliRunner()
    status = runner.invoke(app, ["events", "status"])
    assert status.exit_code == 0 and json.loads(status.output.splitlines()[-1])["unsent"] == 1
    down = runner.invoke(app, ["events", "flush"])
    assert down.exit_code == 1 and "1 events unsent" in down.output
    server.up = True
    up = runner.invoke(app, ["events", "flush"])
    assert up.exit_code == 0, up.output
    assert json.loads(up.output.splitlines()[-1]) == {"sent": 1, "rejected": 0, "pending": 0, "error": None}


def test_events_of_a_savepoint_go_after_the_enclosing_commit(db_url: str, server: FakeServer) -> None:
    with session_scope() as s:
        with s.begin_nested():
            events.record(s, Change(DomainEvent.CASE_CLOSED, "case", (1,)))
        assert server.requests == 0, "released savepoint: nothing committed yet"
        events.record(s, Change(DomainEvent.CASE_CLOSED, "case", (2,)))
    assert [e["payload"]["ids"] for e in server.received] == [[1], [2]]
    assert all(r.sent_at is not None for r in _rows())


def _sent(*days_ago: int | None) -> list[int]:
    """Outbox rows created 200 days ago, sent ``days_ago`` days ago (None: never sent); their ids."""
    now = utcnow()
    with session_scope() as s:
        rows = [
            EventOutbox(
                event="case.closed", resource_id=f"dabing.case.{n}", resource={}, payload={"ids": [n]}, related=[],
                created_at=now - timedelta(days=200), sent_at=None if d is None else now - timedelta(days=d),
            )
            for n, d in enumerate(days_ago)
        ]  # fmt: skip
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows if r.id is not None]


@pytest.mark.parametrize(
    ("keep_days", "batch", "kept"),
    [
        (90, 5_000, [1, 2, 3, 4]),  # sent 91 and 400 days ago go; sent 89 days ago and never-sent stay
        (90, 1, [1, 2, 3, 4]),  # one row per transaction: the loop goes on until nothing is older
        (30, 5_000, [3, 4]),  # a shorter keep deletes the 89-day-old one too
        (0, 5_000, [0, 1, 2, 3, 4, 5]),  # 0 keeps everything
        (1_000, 5_000, [0, 1, 2, 3, 4, 5]),  # nothing sent that long ago
    ],
)
def test_prune_deletes_only_rows_sent_before_the_kept_days(
    db_url: str, monkeypatch: pytest.MonkeyPatch, keep_days: int, batch: int, kept: list[int]
) -> None:
    ids = _sent(91, 89, 40, None, 2, 400)  # the unsent one (index 3) is as old as the others
    monkeypatch.setattr(outbox, "PRUNE_BATCH", batch)
    pruned = outbox.prune(get_engine(), keep_days)
    assert [r.id for r in _rows()] == [ids[i] for i in kept]
    assert pruned == len(ids) - len(kept)


def test_flush_events_prunes_and_the_cli_prunes_by_the_setting_or_option(
    db_url: str, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sent(100, 50, None)
    monkeypatch.setenv("DABING_EVENTS_KEEP_DAYS", "60")
    get_settings.cache_clear()
    try:
        assert outbox.prune_outbox.fn() == 1, "the setting: the row sent 100 days ago"
        runner = CliRunner()
        by_setting = runner.invoke(app, ["events", "prune"])
        assert json.loads(by_setting.output.splitlines()[-1]) == {"pruned": 0, "keep_days": 60}
        by_option = runner.invoke(app, ["events", "prune", "--keep-days", "30"])
        assert json.loads(by_option.output.splitlines()[-1]) == {"pruned": 1, "keep_days": 30}
        bad = runner.invoke(app, ["events", "prune", "--keep-days", "-1"])
        assert bad.exit_code == 2 and "--keep-days" in bad.output
    finally:
        get_settings.cache_clear()
    assert [(r.sent_at, r.payload["ids"]) for r in _rows()] == [(None, [2])], "the unsent row stays"
