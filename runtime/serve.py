"""Every flow as a served Prefect deployment: the UI's "Run" form is built from the flat parameters."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.events import DeploymentEventTrigger
from prefect.schedules import Cron

from config.settings import Settings, get_settings
from flows.backup import backup_database
from flows.demo import county_demo
from flows.intake import import_screenings, screen_patient
from flows.nightly import nightly_adjustment
from flows.outbox import flush_events
from flows.pathway import admit, confirm_diagnosis, discharge, record_follow_up, refer
from flows.reactions import refer_triaged
from flows.reports import export_ledger, summary_report
from flows.settlement import settle_discharge, settle_discharged
from models.events import DomainEvent

log = structlog.get_logger()
Spec = tuple[Any, dict[str, Any]]

#: Tags that sort the UI's deployment list: a coordinator's steps, a supervisor's reports, the operators' jobs.
COORDINATOR, SUPERVISOR, OPERATIONS = ["dabing", "coordinator"], ["dabing", "supervisor"], ["dabing", "operations"]
#: (deployment name, flow): each coordinator step is its own named deployment (``confirm-diagnosis/confirm``).
STEPS: tuple[tuple[str, Any], ...] = (
    ("import", import_screenings),
    ("screen", screen_patient),
    ("confirm", confirm_diagnosis),
    ("refer", refer),
    ("admit", admit),
    ("discharge", discharge),
    ("follow-up", record_follow_up),
    ("settle", settle_discharge),
)
REPORTS: tuple[tuple[str, Any], ...] = (("ledger", export_ledger), ("summary", summary_report))


def on_case_event(event: DomainEvent, **parameters: str) -> DeploymentEventTrigger:
    """Start the deployment when one case (a coordinator's action, not a bulk batch) emits ``event``."""
    return DeploymentEventTrigger(
        name=f"on {event.value}",
        expect={event.value},
        match={"prefect.resource.id": "dabing.case.*"},
        parameters={"case_id": "{{ event.payload.ids[0] }}", **parameters},
    )


def triggered() -> list[Spec]:
    """The event-driven part of the pathway: triaged → referred, discharged → settled."""
    return [
        (refer_triaged, {
            "name": "on-triaged", "tags": [*COORDINATOR, "event-triggered"],
            "triggers": [on_case_event(DomainEvent.CASE_TRIAGED, on="{{ event.payload.on }}")],
        }),
        (settle_discharged, {
            "name": "on-discharged", "tags": [*COORDINATOR, "event-triggered"],
            "triggers": [on_case_event(DomainEvent.TREATMENT_DISCHARGED)],
        }),
    ]  # fmt: skip


#: 日报 07:00 daily, 周调度 Monday 07:30, 月总结 1st 08:00 (in DABING_TIMEZONE); each reports the period just ended.
SUMMARY_CRONS = {"daily": "0 7 * * *", "weekly": "30 7 * * 1", "monthly": "0 8 1 * *"}


def scheduled_summaries(timezone: str) -> list[Spec]:
    return [
        (summary_report, {
            "name": period, "tags": [*SUPERVISOR, "reports", "scheduled"],
            "parameters": {"period": period, "previous": True, "actor": "system"},  # all regions
            "schedules": [Cron(cron, timezone=timezone)],
        })
        for period, cron in SUMMARY_CRONS.items()
    ]  # fmt: skip


def operations(settings: Settings) -> list[Spec]:
    """The scheduled backup (tag ``operations``: not a coordinator's step); a late one is not doubled."""
    once = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)
    schedule = Cron(settings.backup_cron, timezone=settings.timezone)
    tags = [*OPERATIONS, "backup", "scheduled"]
    return [(backup_database, {"name": "scheduled", "tags": tags, "schedules": [schedule], "concurrency_limit": once})]


#: Served only when asked (`--with-demo`): it rebuilds its database, so never among a coordinator's steps.
DEMO: Spec = (county_demo, {"name": "demo", "tags": [*OPERATIONS, "demo"]})


def specs(with_demo: bool = False) -> list[Spec]:
    """(flow, deployment options) for everything `serve` runs; the demo only ``with_demo``."""
    settings = get_settings()
    nightly: Spec = (
        nightly_adjustment,
        {
            "name": "nightly",
            "tags": [*OPERATIONS, "nightly", "scheduled"],
            "schedules": [Cron(settings.nightly_cron, timezone=settings.timezone)],
            # one night at a time: a late night makes the next one wait instead of overlapping
            "concurrency_limit": ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE),
        },
    )
    summaries = scheduled_summaries(settings.timezone)
    outbox: Spec = (
        flush_events,
        {
            "name": "outbox",
            "tags": [*OPERATIONS, "events", "scheduled"],
            "schedules": [Cron(settings.events_flush_cron, timezone=settings.timezone)],
            "concurrency_limit": ConcurrencyLimitConfig(
                limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
            ),
        },
    )
    steps = [(f, {"name": name, "tags": COORDINATOR}) for name, f in STEPS]
    reports = [(f, {"name": name, "tags": [*SUPERVISOR, "reports"]}) for name, f in REPORTS]
    demo = [DEMO] if with_demo else []
    return [*steps, *triggered(), *reports, *summaries, nightly, outbox, *operations(settings), *demo]


def deployments(which: list[Spec] | None = None) -> list[Any]:
    return [f.to_deployment(**options) for f, options in (which or specs())]


def serve_all(with_demo: bool = False) -> None:
    """Every deployment on one runner that asks for runs every ``DABING_POLL_SECONDS`` (Prefect: 10 s).

    As ``prefect.serve`` does, with one step between registering the deployments (and so their triggers) and
    serving them: the events the server missed while it or serve was down are sent then, so they start the
    triggered flows late rather than never.

    Runs start in a process that has imported everything already (``runtime.warm_start``; the run starts in
    ~0.4 s instead of ~1.5 s for ``python -m prefect.engine``, README "Latency") unless
    ``DABING_WARM_START=false``. (``Runner.add_flow`` would spawn the loaded flow instead, but Prefect then
    pickles our flow functions by value and loses the module globals their postponed annotations need:
    parameter validation fails.)
    """
    from prefect.runner import Runner

    settings = get_settings()
    served = deployments(specs(with_demo))
    runner = Runner(pause_on_shutdown=False, query_seconds=settings.poll_seconds)
    for deployment in served:
        runner.add_deployment(deployment)
    flush_backlog()
    print(f"serving {len(served)} deployments; Ctrl-C stops", flush=True)
    try:
        asyncio.run(_run(runner, warm=settings.warm_start))
    except KeyboardInterrupt:
        log.info("serve.stopped")


async def _run(runner: Any, *, warm: bool) -> None:
    from runtime.warm_start import install

    engines = install() if warm else None
    try:
        if engines is not None:
            await engines.prime()
        await runner.start()
    finally:
        if engines is not None:
            await engines.close()
            log.info("serve.warm_starts", warm=engines.warm, cold=engines.cold_starts)


def flush_backlog() -> None:
    """Send the outbox's unsent events (never raises: the scheduled ``flush-events/outbox`` tries again)."""
    from tasks.infra.outbox import flush_outbox

    try:
        flush_outbox.fn()
    except Exception:
        log.exception("events.flush_failed")
