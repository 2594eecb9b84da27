"""Settlement throughput: pure engine (target ≥ 20,000 bills/s on one core) and persisted batch settlement
(target ≥ 5,000 bills/s) on SQLite, and on PostgreSQL when reachable. Run: python bench/bench_settlement.py"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from config.policies import load_policies
from models.enums import CareSetting, HospitalLevel, HospitalLocation, PovertyStatus
from models.settlement.bill import Bill, PatientFacts
from models.settlement.engine import settle

PURE_TARGET, PERSISTED_TARGET = 20_000, 5_000


def random_bills(n: int, seed: int = 1) -> list[Bill]:
    rng = random.Random(seed)
    bills = []
    for _ in range(n):
        total = rng.randint(50_000, 20_000_000)
        bills.append(
            Bill(
                region=rng.choice(["520527", "530427"]),
                service_date=date(2017, 3, 1) + timedelta(days=rng.randint(0, 200)),
                setting=rng.choice([CareSetting.INPATIENT] * 9 + [CareSetting.OUTPATIENT]),
                hospital_level=rng.choice(list(HospitalLevel)),
                hospital_location=rng.choice(list(HospitalLocation)),
                patient=PatientFacts(poverty_status=rng.choice(list(PovertyStatus)), age=rng.randint(1, 95)),
                total=Decimal(total) / 100,
                out_of_scope=Decimal(rng.randint(0, total // 10)) / 100,
            )
        )
    return bills


def bench_pure(n: int = 50_000) -> float:
    policies = load_policies()
    bills = random_bills(n)
    chosen = [(b, policies.in_force(b.region, b.service_date)) for b in bills]
    t0 = time.perf_counter()
    for bill, policy in chosen:
        settle(bill, policy)
    return n / (time.perf_counter() - t0)


def bench_persisted(url: str, patients: int) -> float:
    """Settles ``patients`` discharged demo cases in chunks; times only the settlement stage."""
    os.environ["DABING_DATABASE_URL"] = url
    from config.settings import get_settings

    get_settings.cache_clear()
    from sqlalchemy import select

    from bench.county import build_discharged
    from models.clinical import Case
    from tasks.db import session_scope
    from tasks.settlement import settle_many

    build_discharged(patients)
    with session_scope() as s:
        ids = list(s.execute(select(Case.id).where(Case.state == "discharged")).scalars())
    t0 = time.perf_counter()
    for i in range(0, len(ids), 5000):
        with session_scope() as s:
            settle_many(s, ids[i : i + 5000], "bench")
    return len(ids) / (time.perf_counter() - t0)


def report(what: str, rate: float, target: int) -> None:
    print(f"{what:<24}{rate:>10,.0f} bills/s  (target {target:,}: ratio {rate / target:.2f})")


def main() -> None:
    pure = bench_pure()
    report("pure engine, one core", pure, PURE_TARGET)
    sqlite_url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    rate = bench_persisted(sqlite_url, 20_000)
    report("persisted (SQLite)", rate, PERSISTED_TARGET)
    pg = os.environ.get("DABING_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    try:
        from sqlalchemy import create_engine, text

        with create_engine(pg, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS bench_settlement CASCADE"))
            conn.execute(text("CREATE SCHEMA bench_settlement"))
    except Exception as exc:  # PostgreSQL is optional for the benchmark
        print(f"persisted (PostgreSQL): skipped ({type(exc).__name__})")
        return
    rate = bench_persisted(f"{pg}?options=-csearch_path%3Dbench_settlement", 20_000)
    report("persisted (PostgreSQL)", rate, PERSISTED_TARGET)


if __name__ == "__main__":
    main()
