"""A county driven through the whole journey (issue 17): ``dabing demo --patients N`` — screening import, confirm,
triage, refer, admit, discharge, settle, outcome, twelve simulated months of the waiting list referred into the
beds that freed, long-term management with contracts, then a night of dynamic adjustment — on a new SQLite
database of its own, in a child process, as a county would run it. Prints wall time, the peak RSS of the
command (its largest process, the local Prefect server it may start excluded: that one outlives it), cases by
state and the treatment rate. No target: the issue asks for the figures.

    python bench/bench_journey.py [--patients 100000,1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _child(patients: int, db: Path) -> dict[str, object]:
    """Runs the demo flow in this (child) process and prints what it measured as one JSON line."""
    os.environ["DABING_DATABASE_URL"] = f"sqlite:///{db}"
    sys.path.insert(0, str(ROOT))
    from flows.demo import county_demo

    started = time.perf_counter()
    summary = county_demo(patients=patients)
    return {
        "seconds": time.perf_counter() - started,
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "by_state": summary.by_state,
        "treatment_rate": summary.treatment_rate,
        "special_cases": summary.special_cases,
    }


def run(patients: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(dir=ROOT / "var") as tmp:
        env = {**os.environ, "DABING_LOG_LEVEL": "WARNING", "DABING_ALLOW_DEV_KEY": "true", "DO_NOT_TRACK": "1",
               "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING"}  # fmt: skip
        args = [sys.executable, __file__, "--child", str(patients), "--db", str(Path(tmp) / "journey.db")]
        started = time.perf_counter()
        out = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if out.returncode != 0:
            raise SystemExit(out.stderr[-3000:])
        result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
        return {**result, "wall": wall}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", default="100000,1000000")
    parser.add_argument("--child", type=int)
    parser.add_argument("--db")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, Path(args.db))))
        return
    (ROOT / "var").mkdir(exist_ok=True)
    for n in (int(x) for x in args.patients.split(",")):
        r = run(n)
        states = ", ".join(f"{k} {v:,}" for k, v in sorted(r["by_state"].items()))  # type: ignore[attr-defined]
        print(f"{n:,} patients: wall {r['wall']:.0f} s (flow {r['seconds']:.0f} s), peak RSS {r['rss_mib']:.0f} MiB;")
        print(f"  {r['special_cases']:,} special-disease cases, treatment rate {r['treatment_rate']}; {states}")


if __name__ == "__main__":
    main()
