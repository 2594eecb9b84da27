"""Nightly dynamic adjustment (动态调整): one flow run per night (or on demand for one region).

Orchestration only: open (or resume) the night's run, map the chunk task over each stage's pending
keyset chunks on a bounded thread pool (households alongside the catalogue re-triage and the cases, patients
after the cases), then snapshot, finish and publish the summary.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Self

from prefect import flow
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner

from config.settings import get_settings
from flows.context import run_context
from flows.params import OptRegion, form
from models.common import local_today
from models.nightly import check_night
from models.schemas import NightlySummary
from tasks.infra.access import authorize_nightly
from tasks.nightly.run import assess_chunk, finish_run, load_summary, plan_chunks, start_run
from tasks.nightly.stats import refresh_statistics
from tasks.pathway.retriage import retriage_catalogue
from tasks.pathway.waiting import refer_waiting_list
from tasks.reports.artifacts import publish_nightly_summary


class SettingsThreadPool(ThreadPoolTaskRunner[Any]):
    """A thread pool of ``DABING_NIGHTLY_WORKERS`` threads, read when a run starts (Prefect duplicates the flow's
    task runner for every run), not when this module is imported."""

    def duplicate(self) -> Self:
        return type(self)(max_workers=get_settings().nightly_workers)


Night = Annotated[date | None, form("批次日期 (YYYY-MM-DD)", "动态调整的那一夜；留空为今天。Night, default today.")]
NightlyActor = Annotated[
    str,
    form("操作人 Actor", "记入审计的系统账号 nightly。The system actor audited.", enum=["nightly"]),
]


@flow(name="nightly-adjustment", task_runner=SettingsThreadPool())  # type: ignore[arg-type]
async def nightly_adjustment(
    night: Night = None, region_code: OptRegion = None, actor: NightlyActor = "nightly"
) -> NightlySummary:
    """动态调整：每夜重新评估每个病例（预警、重新分类、台账快照）。
    Re-assess every patient (or one region's): findings, re-triage, alarms, ledger snapshot. Refused, with
    nothing written, for a night after today or a region outside the actor's scope (a non-system actor must
    name a region). Async only so that Prefect does not join its heartbeat thread at the end (a sync flow run
    waits up to a second for it); the chunks run on the thread pool, the body blocks on their results."""
    with run_context(region=region_code, actor=actor):
        today = local_today(get_settings().timezone)
        night = check_night(night or today, today)
        authorize_nightly(actor, region_code)
        run_id, finished, replay = start_run(night, region_code, str(flow_run.get_id() or ""))
        if finished:
            return load_summary(run_id)
        refresh_statistics()  # PostgreSQL after a bulk load: plan the night on statistics, not on none
        # a catalogue version in force tonight, set-based; the households' stage (it reads no case) runs meanwhile
        # (a replay — a night before one already run — only counts: no re-triage, no referral on the past date)
        retriaged = None if replay else retriage_catalogue.submit(night, region_code, actor)
        size = get_settings().nightly_chunk_size
        households = assess_chunk.map(run_id, "households", plan_chunks(run_id, "households", size), actor)
        if retriaged is not None:
            retriaged.result()  # before the cases' own re-triage; their chunks queue behind the households'
        assess_chunk.map(run_id, "cases", plan_chunks(run_id, "cases", size), actor).result()
        assess_chunk.map(run_id, "patients", plan_chunks(run_id, "patients", size), actor).result()
        households.result()
        if not replay:
            refer_waiting_list(night, actor, region_code)  # capacity freed since yesterday: refer the waiting
        summary = finish_run(run_id)
        publish_nightly_summary(summary)
        return summary
