"""Settlement throughput (issue 18 Speed): pure engine (target ≥ 100,000 bills/s on one core) and persisted batch
settlement of discharged stays (targets ≥ 20,000 bills/s on SQLite, ≥ 10,000 on PostgreSQL when reachable), each
printed with its ratio to the target (persisted: also per CPU-second of this process, the figure to compare on a
shared machine). Run: python bench/bench_settlement.py (DABING_WORKERS threads, default 2;
DABING_BENCH_PATIENTS, default 20,000)."""

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

PURE_TARGET, SQLITE_TARGET, PG_TARGET = 100_000, 20_000, 10_000


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


def _settle_chunk(ids: list[int]) -> None:
    """What the settle_chunk task does, with its retry on a conflict with a concurrent chunk."""
    from sqlalchemy.exc import IntegrityError, OperationalError

    from tasks.infra.bulkwrite import gc_paused
    from tasks.infra.db import session_scope
    from tasks.settlement.settle import settle_many

    for attempt in range(4):
        try:
            with gc_paused(), session_scope() as s:
                settle_many(s, ids, "bench")
            return
        except (IntegrityError, OperationalError):
            if attempt == 3:
                raise


def bench_persisted(url: str, patients: int, workers: int) -> tuple[float, float]:
    """Settles ``patients`` discharged demo cases in chunks of 5,000 on ``workers`` threads (as the
    settlement flow does); times only the settlement stage. A fresh database per run. Returns bills per second
    of wall time and per second of this process's CPU (the database server's CPU is not in it)."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import select
    from sqlmodel import col

    from bench.county import build_discharged
    from config.settings import get_settings
    from models.clinical import Case
    from tasks.infra.db import session_scope

    os.environ["DABING_DATABASE_URL"] = url
    get_settings.cache_clear()
    build_discharged(patients)
    with session_scope() as s:
        ids = list(
            s.execute(select(col(Case.id)).where(col(Case.state) == "discharged").order_by(col(Case.id))).scalars()
        )
    chunks = [ids[i : i + 5000] for i in range(0, len(ids), 5000)]
    t0, c0 = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(_settle_chunk, chunks))
    with session_scope() as s:
        left = s.execute(select(col(Case.id)).where(col(Case.state) == "discharged")).first()
    assert left is None, "every discharge must be settled"
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return len(ids) / wall, len(ids) / cpu


def _pg_schema(pg: str, schema: str) -> str | None:
    try:
        from sqlalchemy import create_engine, text

        with create_engine(pg, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # PostgreSQL is optional for the benchmark
        print(f"persisted (PostgreSQL): skipped ({type(exc).__name__})")
        return None
    return f"{pg}?options=-csearch_path%3D{schema}"


def report(what: str, rate: float, target: int, cpu_rate: float | None = None) -> None:
    cpu = f"; {cpu_rate:,.0f} per CPU-second of this process" if cpu_rate else ""
    print(f"{what:<28}{rate:>10,.0f} bills/s  (target {target:,}: ratio {rate / target:.2f}{cpu})")


def main() -> None:
    pure = bench_pure()
    report("pure engine, one core", pure, PURE_TARGET)
    workers = int(os.environ.get("DABING_WORKERS", "2"))
    patients = int(os.environ.get("DABING_BENCH_PATIENTS", "20000"))
    pg = os.environ.get("DABING_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    for n_workers in sorted({1, workers}):
        sqlite_url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
        rate, cpu_rate = bench_persisted(sqlite_url, patients, n_workers)
        report(f"persisted SQLite, {n_workers} thr", rate, SQLITE_TARGET, cpu_rate)
        url = _pg_schema(pg, "bench_settlement")
        if url:
            rate, cpu_rate = bench_persisted(url, patients, n_workers)
            report(f"persisted PG, {n_workers} thr", rate, PG_TARGET, cpu_rate)


if __name__ == "__main__":
    main()
