"""Event → next flow latency on a running local stack (`dabing up`): a coordinator confirms a case with the
CLI; the commit emits ``case.triaged``; the deployment trigger starts ``refer-triaged``. Measured per case:

  event→run   triggering event's ``occurred`` → the triggered flow run is Running (its start_time)
  cli→run     the coordinator's command started → the triggered flow run is Running (includes the CLI's
              own Python start and its flow run)
  and the breakdown: event→scheduled (trigger + action services), scheduled→pending (runner poll),
  pending→running (the runner's subprocess start).

    python bench/bench_events.py [--cases 15] [--poll 1.0]
"""

from __future__ import annotations

import argparse
import csv
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DABING = str(Path(sys.executable).parent / "dabing")
TARGET_P50 = 3.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
        runs = api.post("/flow_runs/filter", json={"flow_runs": {"name": {"any_": [name]}}}).json()
        if runs and runs[0]["start_time"]:
            return dict(runs[0])
        time.sleep(0.1)
    raise RuntimeError(f"flow run {name} did not start within {timeout} s")


def _state_times(api: httpx.Client, run_id: str) -> dict[str, float]:
    states = api.get("/flow_run_states/", params={"flow_run_id": run_id}).json()
    return {s["type"]: _ts(s["timestamp"]) for s in states}


def _event_time(api: httpx.Client, case_id: int) -> float:
    body = {"filter": {"event": {"name": ["case.triaged"]}, "resource": {"id": [f"dabing.case.{case_id}"]}}}
    for _ in range(50):
        events = api.post("/events/filter", json=body).json()["events"]
        if events:
            return _ts(events[0]["occurred"])
        time.sleep(0.1)
    raise RuntimeError(f"no case.triaged event for case {case_id}")


def _fresh_pg_database() -> str | None:
    """A new database for the Prefect server on the machine's PostgreSQL, or None when unreachable."""
    try:
        import psycopg

        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS dabing_bench_prefect")
            conn.execute("CREATE DATABASE dabing_bench_prefect")
    except Exception:
        return None
    return "postgresql+asyncpg://postgres@127.0.0.1:5432/dabing_bench_prefect"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=15)
    ap.add_argument("--poll", type=float, default=0.2, help="DABING_POLL_SECONDS (runner poll interval)")
    args = ap.parse_args()
    print("Prefect server on SQLite (the embedded default):")
    measure(args, {})
    pg = _fresh_pg_database()
    if pg:
        print("\nPrefect server on PostgreSQL (PREFECT_API_DATABASE_CONNECTION_URL):")
        measure(args, {"PREFECT_API_DATABASE_CONNECTION_URL": pg})


def measure(args: argparse.Namespace, extra_env: dict[str, str]) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-events-"))
    port = _free_port()
    env = {
        **os.environ,
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DABING_DATABASE_URL": f"sqlite:///{tmp / 'app.db'}",
        "DABING_PREFECT_HOME": str(tmp / "prefect"),
        "DABING_PREFECT_PORT": str(port),
        "DABING_POLL_SECONDS": str(args.poll),
        "DABING_LOG_LEVEL": "WARNING",
        **extra_env,
    }
    env.pop("PREFECT_API_URL", None)
    log = (tmp / "up.log").open("w")
    t0 = time.monotonic()
    stack = subprocess.Popen([DABING, "up"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    api = httpx.Client(base_url=f"http://127.0.0.1:{port}/api", timeout=10)
    try:
        while True:
            try:
                deps = api.post("/deployments/filter", json={}).json()
                if any(d["name"] == "on-event" for d in deps):
                    break
            except httpx.HTTPError:
                pass
            if stack.poll() is not None or time.monotonic() - t0 > 120:
                raise RuntimeError(f"`dabing up` did not come up; see {tmp / 'up.log'}")
            time.sleep(0.5)
        print(f"`dabing up` ready in {time.monotonic() - t0:.1f} s (server + serve), runner poll {args.poll} s")
        _screening_csv(tmp / "s.csv", args.cases)
        subprocess.run([DABING, "import", str(tmp / "s.csv")], env=env, check=True, capture_output=True)
        rows: list[dict[str, float]] = []
        for case_id in range(1, args.cases + 1):
            started = time.time()
            subprocess.run([DABING, "confirm", str(case_id), "2017-03-10"], env=env, check=True, capture_output=True)
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
        _report(rows, args)
    finally:
        stack.terminate()
        stack.wait(timeout=60)


def _report(rows: list[dict[str, float]], args: argparse.Namespace) -> None:
    def q(key: str, p: float) -> float:
        values = sorted(r[key] for r in rows)
        return values[min(len(values) - 1, int(p * len(values)))]

    print(f"{len(rows)} coordinator confirmations → triggered refer-triaged runs")
    print(f"{'':22}{'p50':>8}{'p90':>8}{'max':>8}")
    for key in ("event_to_run", "cli_to_run", "event_to_scheduled", "scheduled_to_pending", "pending_to_running"):
        print(f"{key:22}{statistics.median(r[key] for r in rows):8.2f}{q(key, 0.9):8.2f}{q(key, 1.0):8.2f}")
    p50 = statistics.median(r["event_to_run"] for r in rows)
    print(f"event→flow start p50 {p50:.2f} s; target {TARGET_P50:.1f} s: ratio {TARGET_P50 / p50:.2f}")


if __name__ == "__main__":
    main()
