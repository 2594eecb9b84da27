"""Pure settlement engine throughput on one core (target ≥ 100,000 bills/s, issue 18): the same random bills
as bench_settlement (both regions, every level, location, status, inpatient and outpatient), policy chosen
beforehand, ``settle`` timed alone (statement + ledger deltas). Also times the statement's Chinese labels
(written on every stored settlement). Run: python bench/bench_engine.py [N]"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DO_NOT_TRACK", "1")

from bench.bench_settlement import random_bills
from config.policies import load_policies
from models.settlement.engine import settle
from models.settlement.label import label_zh

TARGET = 100_000


def bench(n: int) -> tuple[float, float]:
    policies = load_policies()
    bills = random_bills(n)
    chosen = [(b, policies.in_force(b.region, b.service_date)) for b in bills]
    for bill, policy in chosen[:2000]:  # warm the per-policy caches as a long run would
        settle(bill, policy)
    t0 = time.process_time()
    for bill, policy in chosen:  # results dropped as the persisted path does after writing them
        settle(bill, policy)
    engine = n / (time.process_time() - t0)
    statements = [settle(bill, policy)[0] for bill, policy in chosen[:20_000]]
    t0 = time.process_time()
    for st in statements:
        for ln in st.layers:
            label_zh(ln)
    labels = len(statements) / (time.process_time() - t0)
    return engine, labels


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    engine, labels = bench(n)
    print(
        f"pure engine, one core (CPU time), {n:,} bills: {engine:,.0f} bills/s  "
        f"(target {TARGET:,}: ratio {engine / TARGET:.2f})"
    )
    print(f"Chinese labels of every line (stored with each settlement): {labels:,.0f} statements/s")


if __name__ == "__main__":
    main()
