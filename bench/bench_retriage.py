"""Re-triage when a catalogue version takes effect: N synthetic patients (bench.cohort) whose triaged cases are
all stamped with the 2017 version, then ``retriage_cases`` on 2020-01-01 (every triaged case is a candidate:
the worst night). Prints wall and CPU time and the ratio to the target, scaled from 1M cases in 60 s.

    .venv/bin/python -m bench.bench_retriage [--patients 100000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import date

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DABING_ALLOW_DEV_KEY", "true")

TARGET_PER_CASE = 60.0 / 1_000_000  # seconds: a version night for 1M cases within a minute


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=100_000)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-retriage-")
    os.environ["DABING_DATABASE_URL"] = f"sqlite:///{folder}/bench.db"
    from sqlalchemy import func, select, update
    from sqlmodel import col

    from bench.cohort import build_cohort
    from models.clinical import Case
    from tasks.infra.db import session_scope
    from tasks.pathway.retriage import retriage_cases

    build_cohort(args.patients)
    with session_scope() as s:
        s.execute(update(Case).where(col(Case.category).is_not(None)).values(catalogue_version="2017"))
        cases = int(
            s.execute(select(func.count()).select_from(Case).where(col(Case.category).is_not(None))).scalar_one()
        )
    wall, cpu = time.perf_counter(), time.process_time()
    with session_scope() as s:
        result = retriage_cases(s, date(2020, 1, 1), None, "bench")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    target = TARGET_PER_CASE * cases
    print(f"re-triage of {cases:,} triaged cases: {wall:.1f} s wall, {cpu:.1f} s CPU; target {target:.1f} s; "
          f"ratio {target / wall:.2f} wall, {target / cpu:.2f} CPU (≥ 1 meets it)")  # fmt: skip
    print(f"recategorised {result.recategorised:,}, moved {result.moved:,}, restamped {result.restamped:,}, "
          f"triaged {result.triaged:,}, left {result.left:,}")  # fmt: skip


if __name__ == "__main__":
    main()
