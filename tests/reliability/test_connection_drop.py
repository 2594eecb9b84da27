"""PostgreSQL connections dropped mid-task: the task's retry policy (tasks/infra/retry.py) completes the work.

Every app connection of the test is tagged with its own ``application_name``; a hook inside the task
(after the writes, before the commit) kills all of them from a separate admin connection with
``pg_terminate_backend`` — what a database restart does to the app, without touching anybody else's
sessions on the shared server. The open transaction is lost, the task fails with a connection error,
Prefect retries it (``RETRY``/``RETRY_ON_CONFLICT``: transient errors only) and the end state is exactly
that of an undisturbed run: nothing lost, nothing doubled.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.task_runners import ThreadPoolTaskRunner
from sqlalchemy import create_engine, text

from config.settings import get_settings
from models.schemas import StepResult
from tasks.infra.db import _engine_for, get_engine
from tasks.nightly import run as nightly
from tasks.settlement import settle as settlement
from tests.conftest import PG_ADMIN_URL
from tests.reliability.builders import BILLS, check_against_engine, discharged_cases
from tests.reliability.conftest import FIGURES
from tests.reliability.nightly_world import build, clean_outcome, outcome

pytestmark = [pytest.mark.flow, pytest.mark.postgres, pytest.mark.usefixtures("prefect_harness")]


class Dropper:
    """Terminates every backend carrying ``tag`` on the listed calls of the hook."""

    def __init__(self, tag: str, on_calls: set[int]) -> None:
        self.tag, self.on_calls, self.calls, self.killed = tag, on_calls, 0, 0
        self.admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")

    def __call__(self, *_: Any) -> None:
        self.calls += 1
        if self.calls in self.on_calls:
            with self.admin.connect() as conn:
                self.killed += len(
                    conn.execute(
                        text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :t"),
                        {"t": self.tag},
                    ).all()
                )


@pytest.fixture()
def tagged_pg(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """The test's PostgreSQL schema through connections named ``tag`` (so only they get killed)."""
    tag = f"dabing_rel_{uuid.uuid4().hex[:10]}"
    url = f"{pg_url}&application_name={tag}"
    monkeypatch.setenv("DABING_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url, tag
    get_engine(url).dispose()
    _engine_for.cache_clear()


def _task_runs(flow_run_id: Any, wait: float = 60.0) -> list[Any]:
    """The flow run's task runs once each is in a final state: the server records task-run states from their
    events, a moment after the flow has returned (longer on a busy machine)."""
    deadline = time.monotonic() + wait
    with get_client(sync_client=True) as client:
        while True:
            runs = list(client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))))
            if all(r.state is not None and r.state.is_final() for r in runs) or time.monotonic() > deadline:
                return runs
            time.sleep(0.2)


@flow(task_runner=ThreadPoolTaskRunner(max_workers=2))  # type: ignore[arg-type]
def settle_in_chunks(chunks: list[list[int]]) -> list[StepResult]:
    return settlement.settle_chunk.map(chunks, "bulk").result()  # type: ignore[no-any-return]


def _after(fn: Callable[..., Any], hook: Callable[..., None]) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        out = fn(*args, **kwargs)
        hook()
        return out

    return wrapped


def test_settlement_chunks_survive_dropped_connections(
    tmp_path: Path, tagged_pg: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, tag = tagged_pg
    ids = discharged_cases(tmp_path, url, BILLS)
    drop = Dropper(tag, on_calls={1})  # the first chunk to finish its writes loses its connection
    monkeypatch.setattr(settlement, "write", _after(settlement.write, drop))
    state = settle_in_chunks(chunks=[ids[:4], ids[4:]], return_state=True)
    results = state.result()
    assert drop.killed >= 1
    assert sum(r.moved for r in results) == len(ids)
    runs = _task_runs(state.state_details.flow_run_id)
    # both chunks (one patient: the second waits on the first's patient lock) may lose their connection
    assert len(runs) == 2 and max(r.run_count for r in runs) == 2, "a disturbed chunk ran again, once"
    assert all(r.state.is_completed() for r in runs)
    check_against_engine(url, ids)  # one settlement per case, ledgers as the engine says
    FIGURES["connection drops: settlement backends killed"] += drop.killed


def test_nightly_flow_survives_dropped_connections(
    tmp_path: Path, tagged_pg: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.nightly import nightly_adjustment
    from tests.reliability.nightly_world import CHUNK, NIGHT

    _, tag = tagged_pg
    expected = clean_outcome(tmp_path, monkeypatch)
    build()
    monkeypatch.setenv("DABING_NIGHTLY_CHUNK_SIZE", str(CHUNK))
    get_settings.cache_clear()
    drop = Dropper(tag, on_calls={2, 5})
    monkeypatch.setattr(nightly, "assess", partial(nightly.assess, before_commit=drop))
    state = asyncio.run(nightly_adjustment(night=NIGHT, return_state=True))
    summary = state.result()
    assert summary.status == "finished" and drop.killed >= 2
    runs = _task_runs(state.state_details.flow_run_id)
    # each drop kills the chunk that called the hook (and any other in flight): at least one retry each
    assert sum(r.run_count - 1 for r in runs) >= 2, "the chunks that lost their connection were retried"
    assert all(r.state.is_completed() for r in runs)
    assert outcome() == expected
    FIGURES["connection drops: nightly backends killed"] += drop.killed
