"""Ledger export of a 100,000-patient county: wall time and peak memory of the CSV and XLSX exports.

    python bench/bench_export.py [--patients 100000] [--formats csv,xlsx]

The county is built into var/bench_export.db through the pathway's own set-based tasks (bench/county.py:
screening import → confirm → triage → refer → admit → discharge, then one-stop settlement and outcomes) plus
a synthetic alarm list (a poverty_alarm finding for every stay whose self-pay is above 6,000). Each export
runs in its own process so its peak RSS is its own; a tenth of the county (period filter) is exported too:
a flat peak RSS across the two sizes shows the rows stream instead of sitting in memory.

The built database is reused only while its stamp (var/bench_export.json: patient count and a fingerprint of
every table and column of the current models) matches; otherwise (a schema change such as the identity
columns, another --patients, no stamp) it is deleted and rebuilt.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DO_NOT_TRACK", "1")
DB = ROOT / "var" / "bench_export.db"
STAMP = DB.with_suffix(".json")
OUT = ROOT / "var" / "bench_export"


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(args: list[str]) -> dict[str, float]:
    env = {**os.environ, "DABING_DATABASE_URL": f"sqlite:///{DB}", "DABING_LOG_LEVEL": "WARNING"}
    out = subprocess.run([sys.executable, __file__, *args], env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _stamp(patients: int) -> dict[str, object]:
    """What the cached database must have been built for: the patient count and the models' schema."""
    from sqlmodel import SQLModel

    import models.tables  # noqa: F401  (registers every table on the metadata)

    columns = sorted(f"{t.name}.{c.name}:{c.type}" for t in SQLModel.metadata.tables.values() for c in t.columns)
    return {"patients": patients, "schema": hashlib.sha256("\n".join(columns).encode()).hexdigest()[:16]}


def _cached(patients: int) -> bool:
    """True when var/bench_export.db was built by this schema for this many patients; else removes it."""
    try:
        if DB.exists() and json.loads(STAMP.read_text()) == _stamp(patients):
            return True
    except (OSError, ValueError):
        pass
    for path in (DB, DB.with_name(DB.name + "-wal"), DB.with_name(DB.name + "-shm"), STAMP):
        path.unlink(missing_ok=True)
    return False


def do_build(patients: int) -> None:
    from sqlalchemy import select, text
    from sqlmodel import col

    from bench.county import build_discharged
    from models.clinical import Case
    from models.common import money_bind
    from models.enums import CaseState
    from tasks.infra.db import session_scope
    from tasks.pathway.treatment import finish_many
    from tasks.settlement.settle import settle_many

    t0 = time.perf_counter()
    build_discharged(patients)
    with session_scope() as s:
        ids = list(s.execute(select(col(Case.id)).where(col(Case.state) == CaseState.DISCHARGED)).scalars())
    for i in range(0, len(ids), 5000):
        with session_scope() as s:
            moved, _ = settle_many(s, ids[i : i + 5000], "bench")
            finish_many(s, moved, "bench")
    with session_scope() as s:
        s.execute(
            text(
                "INSERT INTO nightly_run (night, scope, status, started_at)"
                " VALUES ('2017-06-01', '*', 'finished', '2017-06-01 01:30:00')"
            )
        )
        s.execute(
            text(
                "INSERT INTO finding (run_id, night, kind, subject, reason, region_code, patient_id, household_id,"
                " case_id, amount, created_at) SELECT 1, '2017-06-01', 'poverty_alarm', 'case:' || c.id,"
                " 'stay self-pay above 6000', c.region_code, c.patient_id, p.household_id, c.id, st.patient_pays,"
                " '2017-06-01 01:30:00' FROM settlement st JOIN \"case\" c ON c.id = st.case_id"
                " JOIN patient p ON p.id = c.patient_id WHERE st.patient_pays > :floor"
            ),
            {"floor": money_bind(s.connection().dialect.name, Decimal(6000))},  # fen on SQLite
        )
        cases = s.execute(text('SELECT count(*) FROM "case"')).scalar_one()
        settled = s.execute(text("SELECT count(*) FROM settlement")).scalar_one()
        alarms = s.execute(text("SELECT count(*) FROM finding")).scalar_one()
    print(json.dumps({"seconds": time.perf_counter() - t0, "cases": cases, "settled": settled, "alarms": alarms}))


def do_run(fmt: str, tenth: bool) -> None:
    from bench.county import START
    from tasks.reports.export import LedgerFilter, export_files

    flt = LedgerFilter(date_to=START + timedelta(days=2)) if tenth else LedgerFilter()
    base = _rss_mib()
    t0 = time.perf_counter()
    result = export_files(flt, OUT, [fmt], "zh")  # type: ignore[list-item]
    wall = time.perf_counter() - t0
    size = sum(Path(f).stat().st_size for f in result.files) / 2**20
    print(json.dumps({"seconds": wall, "rss_mib": _rss_mib(), "base_mib": base, "rows": result.ledger_rows,
                      "alarms": result.alarm_rows, "file_mib": size}))  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=100_000)
    ap.add_argument("--formats", default="csv,xlsx")
    ap.add_argument("--build", type=int)
    ap.add_argument("--run")
    ap.add_argument("--tenth", action="store_true")
    args = ap.parse_args()
    if args.build:
        do_build(args.build)
        return
    if args.run:
        do_run(args.run, args.tenth)
        return
    if not _cached(args.patients):
        print(f"building {args.patients:,} patients into {DB.relative_to(ROOT)} (none cached for this schema) ...",
              flush=True)  # fmt: skip
        built = _child(["--build", str(args.patients)])
        STAMP.write_text(json.dumps(_stamp(args.patients)))
        print(f"  built in {built['seconds']:.0f} s: {built['cases']:,.0f} cases, {built['settled']:,.0f} settled, "
              f"{built['alarms']:,.0f} alarms")  # fmt: skip
    else:
        print(f"reusing {DB.relative_to(ROOT)} ({args.patients:,} patients, schema {_stamp(args.patients)['schema']})")
    print(f"{'format':<7}{'scope':<8}{'rows':>9}{'alarms':>8}{'seconds':>9}{'rows/s':>9}{'peak MiB':>10}"
          f"{'base MiB':>10}{'file MiB':>10}")  # fmt: skip
    for fmt in args.formats.split(","):
        for tenth in (True, False):
            r = _child(["--run", fmt, *(["--tenth"] if tenth else [])])
            scope = "tenth" if tenth else "all"
            print(
                f"{fmt:<7}{scope:<8}{r['rows']:>9,.0f}{r['alarms']:>8,.0f}{r['seconds']:>9.1f}"
                f"{r['rows'] / r['seconds']:>9,.0f}{r['rss_mib']:>10.0f}{r['base_mib']:>10.0f}{r['file_mib']:>10.1f}"
            )


if __name__ == "__main__":
    main()
