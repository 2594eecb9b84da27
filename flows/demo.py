"""The county demo: build a synthetic county and drive every case as far as the pathway allows.

Orchestration only: each stage lists the cases waiting in one state and maps a chunked task over them.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.asyncutils import run_coro_as_sync

from config.settings import get_settings
from flows.context import run_context
from flows.nightly import nightly_adjustment
from flows.params import RegionCode, form
from models.enums import CaseState
from models.schemas import LedgerSummary, StepResult
from tasks.ops.demo import prepare_demo, summarise_ledger, write_county_csv
from tasks.pathway.bulk import (
    admit_chunk,
    chunked,
    confirm_chunk,
    discharge_chunk,
    finish_chunk,
    list_case_ids,
    manage_chunk,
    refer_chunk,
    triage_chunk,
)
from tasks.pathway.intake import import_screenings_file
from tasks.pathway.waiting import refer_waiting_list
from tasks.settlement.settle import settle_chunk

ACTOR = "demo"  # a system actor (config/data/actors.yaml): the demo may build any region
NIGHT_AFTER = 240  # days after the start: the night the demo's dynamic adjustment runs (its alarms)
MONTHS = 12  # simulated months after the first referrals: each month the waiting list is referred into free beds


def _run_stage(state: CaseState, region: str, task: object, **kwargs: object) -> list[StepResult]:
    ids = list_case_ids(state, region)
    chunks = chunked(ids, get_settings().chunk_size)
    if not chunks:
        return []
    futures = task.map(chunks, **kwargs)  # type: ignore[attr-defined]
    return [f.result() for f in futures]


@flow(name="county-demo", task_runner=ThreadPoolTaskRunner(max_workers=2))  # type: ignore[arg-type]
def county_demo(
    patients: Annotated[int, form("模拟患者人数 Patients", "合成县的患者人数。Synthetic patients.")] = 2000,
    seed: Annotated[int, form("随机种子 Seed", "同一种子生成同一批数据。Random seed.")] = 7,
    region_code: RegionCode = "520527",
    start: Annotated[date, form("起始日期 (YYYY-MM-DD)", "筛查开始的日期。First screening day.")] = date(2017, 3, 1),
) -> LedgerSummary:
    """演示：合成一个县并走完整个救治流程（只用于演示自己的数据库：空库或演示建的库，其他库拒绝且不改动）。
    Synthetic county → screening import → confirm → triage → refer → admit → discharge → settle → outcome, then
    month by month the waiting list referred into the beds that freed (until nobody waits or a year passed),
    on the demo's own database: an empty one or one an earlier demo made (any other is refused, unchanged)."""
    with run_context(region=region_code):
        prepare_demo()  # refuses (the run fails, nothing changed) a database holding other data
        csv_path = write_county_csv(
            patients, seed, region_code, start, str(Path("var") / f"county-{region_code}-{seed}.csv")
        )
        import_screenings_file(csv_path, ACTOR)
        _run_stage(
            CaseState.SCREENED,
            region_code,
            confirm_chunk,
            seed=seed,
            confirmed_on=start + timedelta(days=40),
            actor=ACTOR,
        )
        _run_stage(CaseState.CONFIRMED, region_code, triage_chunk, on_date=start + timedelta(days=41), actor=ACTOR)
        _run_stage(
            CaseState.TRIAGED, region_code, refer_chunk, seed=seed, referred_on=start + timedelta(days=42), actor=ACTOR
        )
        _treat(region_code, seed, start + timedelta(days=45))
        for month in range(1, MONTHS + 1):  # simulated time: stays end, beds free, the waiting are referred
            day = start + timedelta(days=42 + 30 * month)
            if refer_waiting_list(day, ACTOR, region_code).moved == 0:
                break
            _treat(region_code, seed, day + timedelta(days=3))
        _run_stage(
            CaseState.UNDER_MANAGEMENT, region_code, manage_chunk, on_date=start + timedelta(days=80), actor=ACTOR
        )
        summary = summarise_ledger(region_code, start + timedelta(days=90))  # contracts signed on day 80 in force
        run_coro_as_sync(nightly_adjustment(night=start + timedelta(days=NIGHT_AFTER)))  # the alarms to act on
        return summary


def _treat(region_code: str, seed: int, admitted_on: date) -> None:
    """Admit the referred, discharge them (stays of 3–25 days), settle, outcome."""
    _run_stage(CaseState.REFERRED, region_code, admit_chunk, admitted_on=admitted_on, actor=ACTOR)
    _run_stage(CaseState.IN_TREATMENT, region_code, discharge_chunk, seed=seed, actor=ACTOR)
    _run_stage(CaseState.DISCHARGED, region_code, settle_chunk, actor=ACTOR)
    _run_stage(CaseState.SETTLED, region_code, finish_chunk, actor=ACTOR)
