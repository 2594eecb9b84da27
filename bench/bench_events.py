"""Event → next flow latency on a running local stack: a coordinator confirms a case with the CLI; the commit
emits ``case.triaged``; the deployment trigger starts ``refer-triaged``. Measured per case:

  event→run   triggering event's ``occurred`` → the triggered flow run is Running (its start_time)
  cli→run     the coordinator's command started → the triggered flow run is Running (includes the CLI's
              own Python start and its flow run)
  and the breakdown: event→scheduled (trigger + action services), scheduled→pending (runner/worker poll),
  pending→running (the run's process start). "retried": cases whose automation action took ≥ 1.5 s (on SQLite,
  the server's 2 s client retry after "database is locked"; see flows/up.py).

Variants, in the same run (skipped with the reason when PostgreSQL, Redis or prefect-redis is missing):

  sqlite           `dabing up` as shipped: the Prefect server on SQLite (the embedded default)
  sqlite-poll1     as sqlite, runner poll 1 s (fewer runner writes to collide with: see README)
  sqlite-after     as sqlite-poll1, but the command commits without events (DABING_EVENTS=false) and the bench
                   posts its case.triaged once the command has exited: the command's own run no longer writes then
  postgres         `dabing up`, Prefect server and app database on PostgreSQL (settings only)
  redis            as postgres, plus Redis messaging (flows/up.py redis_messaging), one server process
  redis-split      as redis, API `prefect server start --no-services` + `prefect server services start`
  redis-2api       as redis-split with two API processes (`prefect server start --workers 2`)
  worker           PostgreSQL server, prefect.yaml deployed to process pool `dabing`, `prefect worker start`

    python bench/bench_events.py [--cases 15] [--poll S (all variants)] [--only sqlite postgres ...]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.events_stacks import BIN, ROOT, Variant, start, unavailable

TARGET_P50 = 3.0
VARIANTS = [
    Variant("sqlite", "SQLite as `dabing up` starts it (embedded default)"),
    Variant("sqlite-poll1", "SQLite as `dabing up` starts it", poll=1.0),
    Variant("sqlite-after", "SQLite, the event posted after the command's run finished", quiet=True, poll=1.0),
    Variant("postgres", "PostgreSQL (PREFECT_API_DATABASE_CONNECTION_URL, DABING_DATABASE_URL)", postgres=True),
    Variant("redis", "PostgreSQL + Redis messaging, one server process", postgres=True, redis=True),
    Variant("redis-split", "PostgreSQL + Redis, API --no-services + services process", True, True, split=True),
    Variant("redis-2api", "PostgreSQL + Redis, 2 API processes + services process", True, True, True, 2),
    Variant("worker", "PostgreSQL, process work pool worker (prefect.yaml)", postgres=True, worker=True),
]
KEYS = ("event_to_run", "cli_to_run", "event_to_scheduled", "scheduled_to_pending", "pending_to_running")


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _screening_csv(path: Path, n: int) -> None:
    from models import national_id

    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["household_ref", "national_id", "name", "region_code", "poverty_status", "screened_on", "icd10"])
        for i in range(n):
            nid = national_id.make("520527", date(1960, 1, 1), 100 + i)
            w.writerow([f"B{i}", nid, f"病人{i}", "520527", "registered_poor", "2017-03-02", "N18.5"])


def _wait_run(api: httpx.Client, name: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            runs = api.post("/flow_runs/filter", json={"flow_runs": {"name": {"any_": [name]}}}).json()
        except httpx.HTTPError:  # a busy SQLite server can stall a request; the deadline still holds
            runs = []
        if runs and runs[0]["start_time"]:
            return dict(runs[0])
        time.sleep(0.1)
    raise RuntimeError(f"flow run {name} did not start within {timeout} s")


def _state_times(api: httpx.Client, run_id: str) -> dict[str, float]:
    states = api.get("/flow_run_states/", params={"flow_run_id": run_id}).json()
    return {s["type"]: _ts(s["timestamp"]) for s in states}


def _event_time(api: httpx.Client, case_id: int, timeout: float = 20) -> float:
    """The event as the server stored it (the event persister flushes every 5 s at the latest)."""
    body = {"filter": {"event": {"name": ["case.triaged"]}, "resource": {"id": [f"dabing.case.{case_id}"]}}}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = api.post("/events/filter", json=body).json()["events"]
        if events:
            return _ts(events[0]["occurred"])
        time.sleep(0.2)
    raise RuntimeError(f"no case.triaged event for case {case_id}")


def _post_triaged(api: httpx.Client, case_id: int) -> None:
    """What the app sends for a triage (tasks/outbox.py), minus the related run resources."""
    event = {
        "id": str(uuid.uuid4()),
        "occurred": datetime.now(UTC).isoformat(),
        "event": "case.triaged",
        "resource": {"prefect.resource.id": f"dabing.case.{case_id}"},
        "payload": {"ids": [case_id], "on": "2017-03-10", "actor": "coordinator"},
    }
    api.post("/events", json=[event]).raise_for_status()


def measure(v: Variant, cases: int, poll: float) -> list[dict[str, float]]:
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-events-{v.key}-"))
    t0 = time.monotonic()
    stack = start(v, tmp, poll)
    api = httpx.Client(base_url=stack.api, timeout=30)
    try:
        print(f"  up in {time.monotonic() - t0:.1f} s (logs: {tmp})", flush=True)
        _screening_csv(tmp / "s.csv", cases)
        dabing = str(BIN / "dabing")
        subprocess.run([dabing, "import", str(tmp / "s.csv")], env=stack.app_env, check=True, capture_output=True)
        rows: list[dict[str, float]] = []
        for case_id in range(1, cases + 1):
            started = time.time()
            confirm = [dabing, "confirm", str(case_id), "2017-03-10"]
            env = {**stack.app_env, "DABING_EVENTS": "false"} if v.quiet else stack.app_env
            subprocess.run(confirm, env=env, check=True, capture_output=True, cwd=ROOT)
            if v.quiet:  # the event only now, once the command's own flow run has finished
                _post_triaged(api, case_id)
            run = _wait_run(api, f"refer-triaged-case-{case_id}")
            at = _state_times(api, run["id"])
            occurred = _event_time(api, case_id)
            running = _ts(run["start_time"])
            rows.append(
                {
                    "event_to_run": running - occurred,
                    "cli_to_run": running - started,
                    "event_to_scheduled": at["SCHEDULED"] - occurred,
                    "scheduled_to_pending": at["PENDING"] - at["SCHEDULED"],
                    "pending_to_running": running - at["PENDING"],
                }
            )
            time.sleep(0.5)
        return rows
    finally:
        stack.stop()


def _q(rows: list[dict[str, float]], key: str, p: float) -> float:
    values = sorted(r[key] for r in rows)
    return values[min(len(values) - 1, int(p * len(values)))]


def _detail(rows: list[dict[str, float]]) -> None:
    print(f"  {'':22}{'p50':>8}{'p90':>8}{'max':>8}")
    for key in KEYS:
        p50 = statistics.median(r[key] for r in rows)
        print(f"  {key:22}{p50:8.2f}{_q(rows, key, 0.9):8.2f}{_q(rows, key, 1):8.2f}")


def _summary(results: dict[str, list[dict[str, float]]], cases: int) -> None:
    print(f"\nSummary: {cases} confirmations per variant, seconds (p50 / p90); target p50 {TARGET_P50} s")
    head = f"{'variant':16}{'event→run':>14}{'cli→run':>14}{'trigger+action':>16}{'poll':>7}{'start':>7}{'retried':>9}"
    print(head + f"{'target/p50':>12}")
    for key, rows in results.items():
        p50 = {k: statistics.median(r[k] for r in rows) for k in KEYS}
        retried = sum(r["event_to_scheduled"] >= 1.5 for r in rows)
        print(
            f"{key:16}{p50['event_to_run']:7.2f} /{_q(rows, 'event_to_run', 0.9):5.2f}"
            f"{p50['cli_to_run']:7.2f} /{_q(rows, 'cli_to_run', 0.9):5.2f}{p50['event_to_scheduled']:16.2f}"
            f"{p50['scheduled_to_pending']:7.2f}{p50['pending_to_running']:7.2f}{retried:>5}/{len(rows):<3}"
            f"{TARGET_P50 / p50['event_to_run']:12.2f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=15)
    ap.add_argument("--poll", type=float, help="runner / worker poll interval, s (default: the variant's, or 0.2)")
    ap.add_argument("--only", nargs="*", choices=[v.key for v in VARIANTS], help="variants to run (default: all)")
    args = ap.parse_args()
    results: dict[str, list[dict[str, float]]] = {}
    for v in VARIANTS:
        if args.only and v.key not in args.only:
            continue
        poll = args.poll or v.poll or 0.2
        print(f"\n[{v.key}] {v.title}, poll {poll} s", flush=True)
        if reason := unavailable(v):
            print(f"  skipped: {reason}")
            continue
        results[v.key] = rows = measure(v, args.cases, poll)
        _detail(rows)
    if results:
        _summary(results, args.cases)


if __name__ == "__main__":
    main()
