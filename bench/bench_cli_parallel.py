"""Parallel coordinator commands without `dabing up`: wall time of N parallel `dabing confirm` processes on a
small imported county (SQLite), with no Prefect API URL configured — the case issue 22 item 5 measured (six
parallel confirms took 35–40 s each when every command started Prefect's own temporary server).

Round 1 starts with no server running (the first command starts the shared local server, the others wait for
it); round 2 finds it running. Prints per-command p50 / max, the exit codes, and max against the target.
The server the commands started is stopped at the end (`dabing server stop`).

  python bench/bench_cli_parallel.py [--parallel 6] [--rounds 2] [--target 5]
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DABING = str(Path(sys.executable).parent / "dabing")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _county(patients: int) -> None:
    """Screened cases only (each `confirm` has one to move), written directly (no Prefect)."""
    from bench.county import screening_rows
    from tasks.infra.db import session_scope
    from tasks.infra.setup import init_db
    from tasks.pathway.hospitals import sync_hospitals
    from tasks.pathway.intake import write_screenings

    init_db()
    with session_scope() as s:
        sync_hospitals(s)
        write_screenings(s, screening_rows(patients), "bench")


def _confirm(env: dict[str, str], case_id: int) -> tuple[float, int, str]:
    t0 = time.perf_counter()
    done = subprocess.run(
        [DABING, "confirm", str(case_id), "2017-03-05"], env=env, capture_output=True, text=True, check=False
    )
    lines = done.stderr.strip().splitlines() or [""]
    last = next((ln for ln in reversed(lines) if "Error" in ln or "Timed out" in ln or "refused" in ln), lines[-1])
    return time.perf_counter() - t0, done.returncode, last


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--parallel", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--target", type=float, default=5.0, help="seconds per command")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-cli-"))
    home = tmp / "prefect-home"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env |= {
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_HOME": str(home),
        "DABING_PREFECT_HOME": str(home),
        "DABING_PREFECT_PORT": str(_free_port()),
        "DABING_DATABASE_URL": f"sqlite:///{tmp / 'app.db'}",
        "DABING_IDENTITY_KEY": secrets.token_urlsafe(32),
        "DABING_LOG_LEVEL": "WARNING",
    }
    os.environ.update({k: env[k] for k in ("DABING_DATABASE_URL", "DABING_IDENTITY_KEY", "DABING_LOG_LEVEL")})
    _county(args.parallel * args.rounds + 1)
    print(f"{args.parallel} parallel `dabing confirm`, no `dabing up`, app database {env['DABING_DATABASE_URL']}")
    try:
        for r in range(args.rounds):
            ids = range(r * args.parallel + 1, (r + 1) * args.parallel + 1)
            t0 = time.perf_counter()
            with ThreadPoolExecutor(args.parallel) as pool:
                results = list(pool.map(lambda c: _confirm(env, c), ids))
            wall = time.perf_counter() - t0
            times = sorted(t for t, _, _ in results)
            failed = [(code, last) for _, code, last in results if code]
            print(
                f"round {r + 1}: wall {wall:.1f} s; per command p50 {statistics.median(times):.1f} s, "
                f"max {times[-1]:.1f} s ({times[-1] / args.target:.1f}x the {args.target:.0f} s target); "
                f"{len(results) - len(failed)}/{len(results)} ok"
            )
            for code, last in failed:
                print(f"  exit {code}: {last[:200]}")
        alone, code, last = _confirm(env, args.parallel * args.rounds + 1)
        print(f"one command alone afterwards: {alone:.1f} s (exit {code}) — the per-process floor on this machine")
    finally:
        subprocess.run([DABING, "server", "stop"], env=env, capture_output=True, check=False)


if __name__ == "__main__":
    main()
