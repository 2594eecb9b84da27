"""Event → next flow latency on a running local stack: a coordinator confirms a case with the CLI; the commit
emits ``case.triaged``; the deployment trigger starts ``refer-triaged``. Measured per case:

  event→run   triggering event's ``occurred`` → the triggered flow run is Running (its start_time)
  cli→run     the coordinator's command started → the triggered flow run is Running (includes the CLI's
              own Python start and its flow run)
  and the breakdown: event→scheduled (trigger + action services), scheduled→pending (runner/worker poll),
  pending→running (the run's process start). "retried": cases whose automation action took ≥ 1.5 s (on SQLite,
  the server's 2 s client retry after "database is locked"; see runtime/up.py).

Variants, in the same run (skipped with the reason when PostgreSQL, Redis or prefect-redis is missing):

  sqlite           `dabing up` as shipped: the Prefect server on SQLite (the embedded default), its write
                   transactions beginning IMMEDIATE (runtime/prefect_server.py), served runs started warm
                   (runtime/warm_start.py)
  sqlite-cold      as sqlite, each run a new `python -m prefect.engine` process (DABING_WARM_START=false)
  sqlite-deferred  as sqlite-cold with Prefect's own DEFERRED transactions (DABING_PREFECT_SQLITE_IMMEDIATE=false):
                   the automation's insert often fails "database is locked" and waits for a 2 s retry
  postgres         `dabing up`, Prefect server and app database on PostgreSQL (settings only)
  redis            as postgres, plus Redis messaging (runtime/up.py redis_messaging), one server process
  redis-split      as redis, API `prefect server start --no-services` + `prefect server services start`
  redis-2api       as redis-split with two API processes (`prefect server start --workers 2`)
  worker           PostgreSQL server, prefect.yaml deployed to process pool `dabing`, `prefect worker start`

    python bench/bench_events.py [--cases 15] [--gap 3] [--poll S (all variants)] [--only sqlite postgres ...]

--gap: seconds between one triggered run starting and the next command (a coordinator's pace; with a short gap
the next command starts while serve's next warm process is still importing, on 2 cores: see README).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.events_stacks import BIN, ROOT, Variant, start, unavailable

TARGET_P50 = 3.0
DEFERRED = "DABING_PREFECT_SQLITE_IMMEDIATE"
COLD = "DABING_WARM_START"
VARIANTS = [
    Variant("sqlite", "SQLite as `dabing up` starts it (embedded default)"),
    Variant("sqlite-cold", "SQLite, cold-started runs", env={COLD: "false"}),
    Variant("sqlite-deferred", "SQLite, cold, DEFERRED transactions", env={COLD: "false", DEFERRED: "false"}),
    Variant("postgres", "PostgreSQL (PREFECT_API_DATABASE_CONNECTION_URL, DABING_DATABASE_URL)", postgres=True),
    Variant("redis", "PostgreSQL + Redis messaging, one server process", postgres=True, redis=True),
    Variant("redis-split", "PostgreSQL + Redis, API --no-services + services process", True, True, split=True),
    Variant("redis-2api", "PostgreSQL + Redis, 2 API processes + services process", True, True, True, 2),
    Variant("worker", "PostgreSQL, process work pool worker (prefect.yaml)", postgres=True, worker=True),
]
STEPS = ("event_to_run", "cli_to_run", "ui_to_run")
KEYS = (*STEPS, "event_to_scheduled", "scheduled_to_pending", "pending_to_running")


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


def _run_from_form(api: httpx.Client, deployment_id: str, params: dict[str, Any]) -> None:
    """The UI's "Run" request; a 503 (the server's database busy) is tried again, as the user would."""
    for _ in range(20):
        response = api.post(f"/deployments/{deployment_id}/create_flow_run", json={"parameters": params})
        if response.status_code != 503:
            response.raise_for_status()
            return
        time.sleep(0.5)
    response.raise_for_status()


def measure(v: Variant, cases: int, poll: float, gap: float) -> list[dict[str, float]]:
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-events-{v.key}-"))
    t0 = time.monotonic()
    stack = start(v, tmp, poll)
    api = httpx.Client(base_url=stack.api, timeout=30)
    try:
        print(f"  up in {time.monotonic() - t0:.1f} s (logs: {tmp})", flush=True)
        _screening_csv(tmp / "s.csv", cases)
        dabing = str(BIN / "dabing")
        subprocess.run([dabing, "import", str(tmp / "s.csv")], env=stack.app_env, check=True, capture_output=True)
        confirm_form = api.get("/deployments/name/confirm-diagnosis/confirm").json()["id"]
        rows: list[dict[str, float]] = []
        for case_id in range(1, cases + 1):
            started = time.time()
            if case_id % 2:  # the coordinator's command
                confirm = [dabing, "confirm", str(case_id), "2017-03-10"]
                subprocess.run(confirm, env=stack.app_env, check=True, capture_output=True, cwd=ROOT)
            else:  # the UI's Run form of confirm-diagnosis/county (the same request the UI sends)
                params = {"case_id": case_id, "confirmed_on": "2017-03-10", "icd10": "", "actor": "coordinator"}
                _run_from_form(api, confirm_form, params)
            run = _wait_run(api, f"refer-triaged-case-{case_id}")
            at = _state_times(api, run["id"])
            occurred = _event_time(api, case_id)
            running = _ts(run["start_time"])
            rows.append(
                {
                    "event_to_run": running - occurred,
                    "cli_to_run" if case_id % 2 else "ui_to_run": running - started,
                    "event_to_scheduled": at["SCHEDULED"] - occurred,
                    "scheduled_to_pending": at["PENDING"] - at["SCHEDULED"],
                    "pending_to_running": running - at["PENDING"],
                }
            )
            time.sleep(gap)
        return rows
    finally:
        stack.stop()


def _values(rows: list[dict[str, float]], key: str) -> list[float]:
    return sorted(r[key] for r in rows if key in r)  # cli_to_run / ui_to_run: half the rows each


def _q(rows: list[dict[str, float]], key: str, p: float) -> float:
    values = _values(rows, key)
    return values[min(len(values) - 1, int(p * len(values)))]


def _p50(rows: list[dict[str, float]], key: str) -> float:
    return statistics.median(_values(rows, key))


def _detail(rows: list[dict[str, float]]) -> None:
    print(f"  {'':22}{'p50':>8}{'p90':>8}{'max':>8}{'n':>5}")
    for key in KEYS:
        n = len(_values(rows, key))
        print(f"  {key:22}{_p50(rows, key):8.2f}{_q(rows, key, 0.9):8.2f}{_q(rows, key, 1):8.2f}{n:5}")


def _summary(results: dict[str, list[dict[str, float]]], cases: int, gap: float) -> None:
    print(f"\nSummary: {cases} confirmations per variant, {gap} s apart, s (p50 / p90); target p50 {TARGET_P50} s")
    steps = "".join(f"{k:>14}" for k in ("event→run", "cli→run", "ui→run"))
    print(
        f"{'variant':16}{steps}{'trigger+action':>16}{'poll':>7}{'start':>7}{'retried':>9}{'target/p50':>12}{'(cli)':>7}"
    )
    for key, rows in results.items():
        retried = sum(r["event_to_scheduled"] >= 1.5 for r in rows)
        spans = "".join(f"{_p50(rows, k):7.2f} /{_q(rows, k, 0.9):5.2f}" for k in STEPS)
        print(
            f"{key:16}{spans}{_p50(rows, 'event_to_scheduled'):16.2f}{_p50(rows, 'scheduled_to_pending'):7.2f}"
            f"{_p50(rows, 'pending_to_running'):7.2f}{retried:>5}/{len(rows):<3}"
            f"{TARGET_P50 / _p50(rows, 'event_to_run'):12.2f}{TARGET_P50 / _p50(rows, 'cli_to_run'):7.2f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=15)
    ap.add_argument("--gap", type=float, default=3.0, help="seconds from a triggered run's start to the next command")
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
        results[v.key] = rows = measure(v, args.cases, poll, args.gap)
        _detail(rows)
    if results:
        _summary(results, args.cases, args.gap)


if __name__ == "__main__":
    main()
