"""The import race through real flow runs (Prefect test server): both concurrent imports of overlapping
files complete, and afterwards the Prefect database — its SQLite file, and the flow-run / task-run state
messages and logs read back through the API — holds no lookup hash, sealed value, birth date or ID number."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from flows.intake import import_screenings
from models.people import Patient
from tests.tasks.intake_race import count, hold_first_insert, identity_traces, people, run_at_once, write_file

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_harness")]
N = 30
ACTOR = "xinping-coordinator"
SEALED = re.compile(rb"v1\.[A-Za-z0-9_-]{40,}={0,2}")  # any sealed token (the loser's own seals were never stored)


async def _server_texts() -> list[str]:
    """Every flow run's and task run's state message and every log message on the server."""
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        flow_runs = await client.read_flow_runs()
        task_runs = await client.read_task_runs()
        logs = await client.read_logs()
    states = [r.state.message or "" for r in [*flow_runs, *task_runs] if r.state is not None]
    return states + [log.message for log in logs]


def _database_bytes() -> bytes:
    """The harness's Prefect database file with its write-ahead log (what sqlite3 on it would show)."""
    from prefect.settings import PREFECT_API_DATABASE_CONNECTION_URL

    url = PREFECT_API_DATABASE_CONNECTION_URL.value() or ""
    path = Path(url.split(":///", 1)[-1])
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def test_import_race_through_flows_leaks_nothing(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.logging.handlers import APILogHandler

    ids = people(N)
    first, second = write_file(tmp_path, "fa", ids, "FA"), write_file(tmp_path, "fb", ids, "FB")
    hold_first_insert(monkeypatch)
    results: list[Any] = run_at_once(
        [lambda: asyncio.run(import_screenings(first, ACTOR)), lambda: asyncio.run(import_screenings(second, ACTOR))]
    )
    APILogHandler().flush()
    traces = identity_traces(ids)
    texts = "\n".join(asyncio.run(_server_texts()))
    stored = _database_bytes()
    found = sorted({kind for t, kind in traces.items() if t in texts or t.encode() in stored})
    found += ["a sealed value"] if SEALED.search(stored) or SEALED.search(texts.encode()) else []
    print(f"race: {[type(r).__name__ for r in results]}, patients {count(Patient)}, traces found: {found}")
    assert not found, f"identity reached the Prefect database: {found}"
    assert all(not isinstance(r, Exception) for r in results), results
    assert count(Patient) == N
