"""Policy simulation (政策测算): target 1,000,000 stored stays re-settled in ≤ 60 s on 2 cores.

Builds a synthetic cohort once (bench/cohort.py: settled stays across 2016–2017, cached under var/bench/), then
re-settles every stay of the period under a proposal (the basic ratio of every in-force policy raised by 5
points) with ``--workers`` processes, as ``dabing simulate`` does, and prints stays/s, peak RSS and the ratio
to the target (target seconds × stays ÷ 1M, over the measured seconds: above 1 meets it). On a shared machine
the wall time says little: it also prints the load average and the CPU seconds of every process (µs per stay
all-in, and the ratio those would give on ``--workers`` otherwise idle cores).
Run: python bench/bench_simulate.py [--patients 1200000] [--workers 2]"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_STAYS, TARGET_SECONDS = 1_000_000, 60.0
CACHE = Path(__file__).resolve().parent.parent / "var" / "bench"


def _proposal(folder: Path) -> Path:
    """The 赫章 policy with its basic ratios 5 points higher (a proposal the issue names)."""
    import yaml

    from config.policies import load_policies

    policy = load_policies().in_force("520527", date(2017, 6, 1))
    data = yaml.safe_load(policy.model_dump_json())
    for rule in data["layers"][0]["rules"]:
        if rule.get("ratio_by_level"):
            rule["ratio_by_level"] = {
                k: str(min(Decimal(v) + Decimal("0.05"), Decimal(1))) for k, v in rule["ratio_by_level"].items()
            }
    out = folder / "bench-basic-plus5.yaml"
    out.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return out


def _build(patients: int, db: Path) -> None:
    """The cohort into ``db`` (run in a child process on a temporary file: see ``_cohort``)."""
    os.environ["DABING_DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DABING_ALLOW_DEV_KEY", "true")
    from bench.cohort import build_cohort
    from config.policies import load_policies
    from tasks.infra.db import get_engine

    build_cohort(patients, regions=sorted({p.region for p in load_policies().policies}))
    get_engine().dispose()  # the last connection closed: the WAL checkpointed into the file


def _cohort(patients: int) -> Path:
    """The cached cohort, built once: into a temporary file by a child process, renamed only once complete
    (a killed build leaves a ``.building`` file, never one taken as built)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    db = CACHE / f"simulate-cohort-{patients}-v2.db"
    if not db.exists():
        tmp = db.with_name(db.name + ".building")
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--build-into", str(tmp), "--patients", str(patients)], check=True)
        if Path(f"{tmp}-wal").exists():
            raise SystemExit(f"{tmp}: the build left a WAL file, not renamed")
        tmp.rename(db)
        print(f"cohort of {patients:,} patients built in {time.perf_counter() - t0:.1f} s ({db})")
    return db


def main(patients: int, workers: int) -> None:
    db = _cohort(patients)
    os.environ["DABING_DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DABING_ALLOW_DEV_KEY", "true")
    from config.policies import load_policies, load_policy_file
    from tasks.simulation.work import Scenarios, simulate_stays

    proposal = _proposal(CACHE)
    start, end = date(2017, 1, 1), date(2017, 12, 31)
    scenarios = Scenarios(load_policies(), {"plus5": load_policy_file(proposal)}, start)
    t0, cpu0, kids0 = time.perf_counter(), time.process_time(), _children_cpu()
    tallies = simulate_stays(scenarios, f"sqlite:///{db}", None, start, end, workers)["plus5"]
    wall = time.perf_counter() - t0
    parent_cpu, kids_cpu = time.process_time() - cpu0, _children_cpu() - kids0
    stays = sum(t.stays for t in tallies.values())
    held = sum(t.held for t in tallies.values())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    target = TARGET_SECONDS * stays / TARGET_STAYS
    cpu = parent_cpu + kids_cpu
    print(
        f"re-settled {stays:,} stays ({held:,} without a policy in force, not priced) in {wall:.1f} s wall "
        f"with {workers} worker(s): {stays / wall:,.0f} stays/s"
    )
    print(f"load average (1/5/15 min) at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"CPU: parent {parent_cpu:.1f} s, workers {kids_cpu:.1f} s → {cpu * 1e6 / max(stays, 1):.0f} µs per stay "
          f"all-in; on {workers} otherwise idle core(s): {workers * stays / cpu:,.0f} stays/s")  # fmt: skip
    print(f"peak RSS: parent {rss:.0f} MiB, largest worker {children:.0f} MiB")
    print(f"target {TARGET_SECONDS:.0f} s per 1M stays → {target:.1f} s for {stays:,}: ratio {target / wall:.2f}"
          f" (≥ 1 meets it); projected 1M: {wall * TARGET_STAYS / max(stays, 1):.1f} s; by CPU on idle cores: "
          f"ratio {target * workers / cpu:.2f}")  # fmt: skip


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=1_600_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--build-into", type=Path, help=argparse.SUPPRESS)  # the child process of ``_cohort``
    a = ap.parse_args()
    if a.build_into:
        _build(a.patients, a.build_into)
    else:
        main(a.patients, a.workers)
