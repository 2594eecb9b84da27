"""Reconciliation of recorded settlements (2207 layout): target 1,000,000 records ≤ 60 s.

Generates the file once (cached under var/bench/, settled by our own engine, one planted discrepancy every
10,000 records), reconciles it streaming as ``dabing check-recorded`` does, and prints wall time, records/s,
peak RSS, the share of the time spent in the settlement engine and the ratio to the target.
Run: python bench/bench_reconcile.py [--records 100000] [--workers 2]"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.recorded_file import PLANTS, write_file
from config.policies import load_policies
from models.settlement import reconcile
from models.settlement.reconcile import Reconciler, jsonl_records
from models.settlement.reconcile_pool import PoolReconciler, jsonl_chunks

TARGET_RECORDS, TARGET_SECONDS = 1_000_000, 60.0
EVERY = 10_000
CACHE = Path(__file__).resolve().parent.parent / "var" / "bench"


def planted(n: int) -> dict[int, str]:
    kinds = list(PLANTS)
    return {i: kinds[(i // EVERY) % len(kinds)] for i in range(EVERY // 2, n, EVERY)}


def recorded_file(n: int) -> Path:
    path = CACHE / f"recorded-2207-{n}.jsonl"
    if not path.exists():
        t0 = time.perf_counter()
        partial = path.with_suffix(".partial")
        write_file(partial, n, seed=11, plants=planted(n))
        partial.replace(path)
        print(f"generated {path} in {time.perf_counter() - t0:.1f} s")
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=TARGET_RECORDS)
    parser.add_argument("--workers", type=int, default=1, help="processes (dabing check-recorded --workers)")
    args = parser.parse_args()
    n, workers = args.records, args.workers
    path = recorded_file(n)
    engine = [0.0]
    settle = getattr(reconcile, "settle")  # noqa: B009  # the name the reconciler calls

    def timed(*args: Any) -> Any:
        t = time.perf_counter()
        try:
            return settle(*args)
        finally:
            engine[0] += time.perf_counter() - t

    setattr(reconcile, "settle", timed)  # noqa: B010  # measures the engine's share only
    t0, cpu0 = time.perf_counter(), time.process_time()
    with path.open(encoding="utf-8") as fh:
        if workers == 1:
            found = sum(1 for _ in Reconciler(load_policies()).run(jsonl_records(fh)))
        else:
            found = sum(1 for _ in PoolReconciler(load_policies(), workers).run(jsonl_chunks(fh)))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    rss_mb = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024
    rate = n / wall
    expected = len(planted(n))
    print(f"records: {n:,}  discrepancies: {found} (planted {expected}{'' if found == expected else ' — MISMATCH'})")
    print(
        f"workers: {workers}  wall time: {wall:.1f} s  records/s: {rate:,.0f}  "
        f"peak RSS (largest process): {rss_mb:.0f} MB"
    )
    if workers == 1:  # CPU time of this process: what the run costs whatever else the machine is doing
        print(f"CPU time: {cpu:.1f} s = {n / cpu:,.0f} records per CPU-second (wall/CPU {wall / cpu:.2f})")
        print(f"engine (settle): {engine[0]:.1f} s = {engine[0] / wall:.0%} of the time")
    projected = TARGET_RECORDS / rate
    print(
        f"1,000,000 records: {projected:.1f} s projected vs target {TARGET_SECONDS:.0f} s "
        f"(ratio {projected / TARGET_SECONDS:.2f}; ≤ 1.00 meets it)"
    )


if __name__ == "__main__":
    main()
