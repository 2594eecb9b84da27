"""Nightly dynamic adjustment at 10k / 100k / 1M patients on SQLite (and PostgreSQL when reachable), against
a per-patient-task baseline measured in the same run on a sample.

    python bench/bench_nightly.py [--sizes 10000,100000,1000000] [--no-pg]

Cohorts are built once into var/bench/ (seeded, bench/cohort.py) and copied before each timed run. Each run
is a separate process (peak RSS is its own); the Prefect flow runs against a local temporary server that is
warmed up first, so the wall time is the flow's, not the server's start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")  # a new machine migrates first
VAR = ROOT / "var" / "bench"
PG = os.environ.get("DABING_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TARGET_S, TARGET_PG_S = 20.0, 30.0  # issue 19: 1M patients, first night


def _child(args: list[str], url: str) -> dict[str, float]:
    env = {**os.environ, "DABING_DATABASE_URL": url}
    out = subprocess.run([sys.executable, __file__, *args], env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def do_build(n: int) -> None:
    from bench.cohort import build_cohort

    t0 = time.perf_counter()
    counts = build_cohort(n)
    print(json.dumps({"seconds": time.perf_counter() - t0, **counts}))


def _warm_up() -> None:
    from prefect import flow

    @flow
    def warm() -> None:
        return None

    warm()


def do_run() -> None:
    """The first night (every alarm opens), then the next night with nothing changed (only changes are written)."""
    from datetime import timedelta

    from bench.cohort import NIGHT
    from flows.nightly import nightly_adjustment

    _warm_up()
    t0, c0 = time.perf_counter(), time.process_time()
    summary = asyncio.run(nightly_adjustment(night=NIGHT))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    t1 = time.perf_counter()
    again = asyncio.run(nightly_adjustment(night=NIGHT + timedelta(days=1)))
    wall2 = time.perf_counter() - t1
    print(json.dumps({"seconds": wall, "cpu_s": cpu, "rss_mib": _rss_mib(), "findings": sum(summary.findings.values()),
                      "second_s": wall2, "second_writes": sum(again.opened.values()) + sum(again.resolved.values())
                      + again.escalated}))  # fmt: skip


def do_baseline(n: int, sample: int) -> None:
    """The naive design: one Prefect task per patient running the same checks for that patient only."""
    from prefect import flow, task
    from sqlalchemy import select
    from sqlmodel import col

    from bench.cohort import NIGHT, iter_sample
    from models.clinical import Case
    from models.common import utcnow
    from models.people import Patient
    from tasks.infra.db import session_scope
    from tasks.nightly import checks as nightly_sql
    from tasks.nightly import run as nightly
    from tasks.nightly.diff import open_new
    from tasks.nightly.found import reset_found
    from tasks.nightly.poverty import household_alarms

    @task
    def assess_patient(run_id: int, patient_id: int) -> int:
        with session_scope() as s:
            sc = nightly._scope(s, run_id)
            reset_found(s)
            for cid in s.execute(select(col(Case.id)).where(col(Case.patient_id) == patient_id)).scalars():
                nightly.retriage(s, sc, cid, cid, "baseline")
                dates = nightly_sql.case_dates(s, sc, sc.cases(cid, cid), (cid, cid))
                nightly_sql.overdue_follow_ups(s, sc, cid, cid, dates)
                nightly_sql.untreated_and_stuck(s, sc, cid, cid, dates)
            hh = s.execute(select(col(Patient.household_id)).where(col(Patient.id) == patient_id)).scalar_one()
            household_alarms(s, sc, hh, hh)
            nightly_sql.expiring_contracts(s, sc, patient_id, patient_id)
            nightly_sql.status_mismatches(s, sc, patient_id, patient_id)
            nightly.write_phase(s)
            return open_new(s, run_id, sc.cut.night, utcnow())

    @flow
    def per_patient(run_id: int, ids: list[int]) -> None:
        assess_patient.map(run_id, ids).result()

    with session_scope() as s:
        run_id = nightly.open_run(s, NIGHT, "baseline", None).id or 0
    ids = list(iter_sample(n, sample))
    _warm_up()
    t0 = time.perf_counter()
    per_patient(run_id, ids)
    print(json.dumps({"seconds": time.perf_counter() - t0, "patients": len(ids)}))


def sqlite_cohort(n: int) -> Path:
    path = VAR / f"cohort-{n}.db"
    if not path.exists():
        VAR.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        built = _child(["--build", str(n)], f"sqlite:///{tmp}")
        print(f"  built {n:,} patients in {built['seconds']:.0f} s")
        tmp.rename(path)
    return path


def _fresh_copy(pristine: Path) -> Path:
    """``var/bench/work.db``, a copy of ``pristine`` without the last run's write-ahead log (a run that ends without
    closing its connections leaves it: applied to another cohort's copy, it made that copy "malformed"), flushed
    to disk before the run (the copy's writeback is not the run's)."""
    work = VAR / "work.db"
    for suffix in ("-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(pristine, work)
    _at_head(f"sqlite:///{work}")
    os.sync()
    return work


def _at_head(url: str) -> None:
    """A cohort built by an older schema, brought to this code's head revision (a column or two: seconds, against
    minutes for a rebuild; not timed)."""
    from sqlalchemy import create_engine

    from tasks.infra.migrate import migrate

    engine = create_engine(url)
    try:
        migrate(engine)
    finally:
        engine.dispose()


def _pg_admin() -> Any:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    return create_engine(make_url(PG).set(database="postgres"), isolation_level="AUTOCOMMIT")


def pg_url(n: int) -> str | None:
    """A fresh copy of the PostgreSQL cohort: built once into the template database ``bench_nightly_<n>``
    (like the SQLite file in var/bench; DROP it to rebuild), copied by CREATE DATABASE … TEMPLATE for each run
    (seconds, against minutes for a build), the copy migrated to this code's schema."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    template, work = f"bench_nightly_{n}", "bench_nightly_work"
    try:
        admin = _pg_admin()
        with admin.connect() as conn:
            built = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :t AND NOT datallowconn"), {"t": template}
            ).first()
    except Exception as exc:  # PostgreSQL is optional here
        print(f"  PostgreSQL skipped ({type(exc).__name__})")
        return None
    if built is None:  # absent, or a build that did not finish: build it, then freeze it as a template
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {template}"))
            conn.execute(text(f"CREATE DATABASE {template}"))
        result = _child(["--build", str(n)], make_url(PG).set(database=template).render_as_string(False))
        print(f"  built {n:,} patients on PostgreSQL in {result['seconds']:.0f} s")
        with admin.connect() as conn:
            conn.execute(text(f"ALTER DATABASE {template} WITH ALLOW_CONNECTIONS false"))
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {work}"))
        conn.execute(text(f"CREATE DATABASE {work} TEMPLATE {template}"))
    admin.dispose()
    url = make_url(PG).set(database=work).render_as_string(False)
    _at_head(url)
    return url


def main(sizes: list[int], use_pg: bool, sample: int) -> None:
    rows = []
    for n in sizes:
        print(f"cohort {n:,}")
        work = _fresh_copy(sqlite_cohort(n))
        r = _child(["--run"], f"sqlite:///{work}")
        rows.append(("sqlite", n, r))
        print(f"  SQLite: {r['seconds']:.1f} s ({r['cpu_s']:.1f} s CPU in this process), peak "
              f"{r['rss_mib']:.0f} MiB, {r['findings']:,.0f} open alarms; "
              f"next night {r['second_s']:.1f} s writing {r['second_writes']:,.0f} changes")  # fmt: skip
        if use_pg and (url := pg_url(n)):
            r = _child(["--run"], url)
            rows.append(("postgresql", n, r))
            print(f"  PostgreSQL: {r['seconds']:.1f} s ({r['cpu_s']:.1f} s CPU in this process, the server's not "
                  f"counted), peak {r['rss_mib']:.0f} MiB; next night {r['second_s']:.1f} s")  # fmt: skip
    base = _child(["--baseline", str(sizes[0]), str(sample)], f"sqlite:///{_fresh_copy(sqlite_cohort(sizes[0]))}")
    per_base = base["seconds"] / base["patients"]
    print(f"\nbaseline, one task per patient ({base['patients']:.0f} sampled): {per_base * 1000:.2f} ms/patient")
    print(f"{'backend':<11}{'patients':>10}{'wall s':>9}{'peak MiB':>10}{'µs/patient':>12}{'× baseline':>12}")
    for backend, n, r in rows:
        per = r["seconds"] / n
        print(
            f"{backend:<11}{n:>10,}{r['seconds']:>9.1f}{r['rss_mib']:>10.0f}{per * 1e6:>12.1f}{per_base / per:>12.0f}"
        )
    sq = {n: r["seconds"] for b, n, r in rows if b == "sqlite"}
    if len(sq) > 1:
        lo, hi = min(sq), max(sq)
        print(f"growth {lo:,} → {hi:,}: {sq[hi] / sq[lo]:.1f}× time for {hi / lo:.0f}× patients")
    if 1_000_000 in sq:
        print(f"1M on SQLite: {sq[1_000_000]:.1f} s (target {TARGET_S:.0f} s: ratio {TARGET_S / sq[1_000_000]:.2f})")
    pg = {n: r["seconds"] for b, n, r in rows if b == "postgresql"}
    if 1_000_000 in pg:
        print(
            f"1M on PostgreSQL: {pg[1_000_000]:.1f} s "
            f"(target {TARGET_PG_S:.0f} s: ratio {TARGET_PG_S / pg[1_000_000]:.2f})"
        )


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--sample", type=int, default=300)
    ap.add_argument("--build", type=int)
    ap.add_argument("--run", action="store_true")
    ap.add_argument("--baseline", nargs=2, type=int)
    a = ap.parse_args()
    if a.build:
        do_build(a.build)
    elif a.run:
        do_run()
    elif a.baseline:
        do_baseline(*a.baseline)
    else:
        main([int(x) for x in a.sizes.split(",")], not a.no_pg, a.sample)
