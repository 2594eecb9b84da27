"""Event outbox cost, measured in one run against a local Prefect server (`prefect server start`, SQLite):

commit   ms per unit of work that records one case event: events off (baseline), outbox row only (no
         Prefect API URL), outbox row + send (server up), outbox row with the server down (closed port)
flush    a backlog written while the server was down, sent by ``tasks.infra.outbox.flush``: single-case events,
         and bulk batch events of 5,000 ids

  python bench/bench_outbox.py [--commits 500] [--backlog 2000] [--batches 100]
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("DABING_LOG_LEVEL", "ERROR")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _commit_ms(n: int, first_id: int) -> float:
    from sqlalchemy import text

    from models.events import Change, DomainEvent
    from tasks.infra.db import session_scope
    from tasks.infra.events import record

    t0 = time.perf_counter()
    for i in range(n):
        with session_scope() as s:  # one write, as a coordinator's step has (a few)
            s.execute(text("INSERT INTO bench_work (note) VALUES ('x')"))
            record(s, Change(DomainEvent.CASE_CLOSED, "case", (first_id + i,), {"actor": "bench"}))
    return (time.perf_counter() - t0) * 1000 / n


def _timed(label: str, fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - t0
    print(f"  {label}: {seconds:.2f} s  {result}")
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--commits", type=int, default=500)
    ap.add_argument("--backlog", type=int, default=2000)
    ap.add_argument("--batches", type=int, default=100)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-outbox-"))
    os.environ["DABING_DATABASE_URL"] = f"sqlite:///{tmp / 'app.db'}"

    from prefect.settings import PREFECT_API_URL, temporary_settings

    from config.settings import get_settings
    from models.events import BATCH_MAX, Change, DomainEvent
    from runtime.up import start_local_server
    from tasks.infra import outbox
    from tasks.infra.db import get_engine, session_scope
    from tasks.infra.events import record
    from tasks.infra.setup import init_db

    get_settings.cache_clear()
    engine = init_db()
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE bench_work (id INTEGER PRIMARY KEY, note TEXT)")
    port = _free_port()
    server = start_local_server(tmp / "prefect", port)
    api = f"http://127.0.0.1:{port}/api"
    down = f"http://127.0.0.1:{_free_port()}/api"
    try:
        n = args.commits
        with temporary_settings(updates={PREFECT_API_URL: api}):
            _commit_ms(20, 10_000_000)  # warm-up: connections, first request
        os.environ["DABING_EVENTS"] = "false"
        get_settings.cache_clear()
        off = _commit_ms(n, 1)
        os.environ["DABING_EVENTS"] = "true"
        get_settings.cache_clear()
        with temporary_settings(updates={PREFECT_API_URL: None}):
            row_only = _commit_ms(n, 1)
        with temporary_settings(updates={PREFECT_API_URL: api}):
            sent = _commit_ms(n, 1)
        with temporary_settings(updates={PREFECT_API_URL: down}):
            t0 = time.perf_counter()
            _commit_ms(1, 1)
            first_down = (time.perf_counter() - t0) * 1000
            down_ms = _commit_ms(n, 1)
        print(f"commit, one case event, {n} units of work each (ms per commit):")
        print(f"  events off {off:.2f} | outbox row, no API URL {row_only:.2f} | outbox row + send {sent:.2f}")
        print(f"  server down: first commit {first_down:.1f} (refused connection), then {down_ms:.2f} (breaker open)")
        print(
            f"  ratios to events off: row {row_only / off:.2f}, row + send {sent / off:.2f}, down {down_ms / off:.2f}"
        )

        with temporary_settings(updates={PREFECT_API_URL: api}):
            outbox.flush(get_engine())  # the rows of the commits above (server down)
        print("flush of a backlog written while the server was down:")
        with temporary_settings(updates={PREFECT_API_URL: None}):
            _commit_ms(args.backlog, 20_000_000)
        with temporary_settings(updates={PREFECT_API_URL: api}):
            single = _timed(f"{args.backlog} single-case events", outbox.flush_outbox.fn)
        with temporary_settings(updates={PREFECT_API_URL: None}):
            for b in range(args.batches):
                ids = tuple(range(30_000_000 + b * BATCH_MAX, 30_000_000 + (b + 1) * BATCH_MAX))
                with session_scope() as s:
                    record(s, Change(DomainEvent.PATIENT_SCREENED, "case", ids, {"actor": "bench"}))
        with temporary_settings(updates={PREFECT_API_URL: api}):
            batch = _timed(f"{args.batches} batch events of {BATCH_MAX} ids", outbox.flush_outbox.fn)
        print(f"  {args.backlog / single:.0f} single events/s; {args.batches / batch:.0f} batch events/s "
              f"({args.batches * BATCH_MAX / batch:,.0f} case ids/s)")  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
