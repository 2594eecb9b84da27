"""The one registry of deployments: every flow `dabing serve` runs, with its name, tags, schedule, triggers and
concurrency. ``prefect.yaml`` (workers) is generated from it: ``dabing deployments write-yaml``
(``runtime/prefect_yaml.py``); ``tests/runtime/test_prefect_yaml.py`` fails when the committed file is stale."""

from __future__ import annotations

from typing import Any

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.events import DeploymentEventTrigger
from prefect.schedules import Cron

from config.settings import Settings, get_settings
from flows.alarms import alarm_step_flow
from flows.backup import backup_database
from flows.bulletin import bulletin_report
from flows.contracts import end as end_contract
from flows.contracts import renew as renew_contract
from flows.contracts import sign as sign_contract
from flows.correction import resettle, reverse
from flows.corrections import change_patient_groups, close_case, correct_diagnosis, correct_poverty_status, undo_step
from flows.demo import county_demo
from flows.intake import import_screenings, screen_patient
from flows.lists import import_list
from flows.nightly import nightly_adjustment
from flows.outbox import flush_events
from flows.pathway import admit, confirm_diagnosis, discharge, record_follow_up, refer, relapse
from flows.reactions import refer_triaged, refer_waiting_on_discharge
from flows.recorded import check_recorded
from flows.referral import accept, decline
from flows.reports import export_ledger, summary_report
from flows.settlement import settle_discharge, settle_discharged
from flows.simulation import simulate_policy
from flows.stays import admit_patient, discharge_and_settle, settle_one_stay
from models.events import DomainEvent

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
    ("admit-stay", admit_patient),  # stays of any patient (flows/stays.py)
    ("discharge-stay", discharge_and_settle),
    ("settle-stay", settle_one_stay),
    ("relapse", relapse),
    ("status", correct_poverty_status),
    ("groups", change_patient_groups),
    ("diagnosis", correct_diagnosis),
    ("close", close_case),
    ("undo", undo_step),
    ("sign", sign_contract),
    ("renew", renew_contract),
    ("end", end_contract),
    ("reverse", reverse),
    ("resettle", resettle),
    ("accept", accept),
    ("decline", decline),
)
REPORTS: tuple[tuple[str, Any], ...] = (
    ("simulate", simulate_policy),
    ("ledger", export_ledger),
    ("summary", summary_report),
    ("bulletin", bulletin_report),
    ("check", check_recorded),
)
#: 外部名单 (扶贫办 / 民政 / 医保) imported by a supervisor or coordinator for the 四个一致 check.
LISTS: Spec = (import_list, {"name": "import-list", "tags": [*SUPERVISOR, "lists"]})


def on_case_event(event: DomainEvent, **parameters: str) -> DeploymentEventTrigger:
    """Start the deployment when one case (a coordinator's action, not a bulk batch) emits ``event``."""
    return DeploymentEventTrigger(
        name=f"on {event.value}",
        expect={event.value},
        match={"prefect.resource.id": "dabing.case.*"},
        parameters={"case_id": "{{ event.payload.ids[0] }}", **parameters},
    )


def triggered() -> list[Spec]:
    """The event-driven part of the pathway: triaged → referred, discharged → settled and the waiting referred."""
    return [
        (refer_triaged, {
            "name": "on-triaged", "tags": [*COORDINATOR, "event-triggered"],
            "triggers": [on_case_event(DomainEvent.CASE_TRIAGED, on="{{ event.payload.on }}")],
        }),
        (settle_discharged, {
            "name": "on-discharged", "tags": [*COORDINATOR, "event-triggered"],
            "triggers": [on_case_event(DomainEvent.TREATMENT_DISCHARGED)],
        }),
        (refer_waiting_on_discharge, {
            "name": "waiting-on-discharged", "tags": [*COORDINATOR, "event-triggered"],
            "triggers": [on_case_event(DomainEvent.TREATMENT_DISCHARGED, on="{{ event.payload.on }}")],
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


#: 季通报 on the 1st of January/April/July/October 09:00, 年考核 on 2 January 09:00: the period just ended.
BULLETIN_CRONS = {"quarterly": "0 9 1 1,4,7,10 *", "annual": "0 9 2 1 *"}


def scheduled_bulletins(timezone: str) -> list[Spec]:
    return [
        (bulletin_report, {
            "name": kind, "tags": [*SUPERVISOR, "reports", "scheduled"],
            "parameters": {"kind": kind, "actor": "system"},  # every region, ranked per county
            "schedules": [Cron(cron, timezone=timezone)],
        })
        for kind, cron in BULLETIN_CRONS.items()
    ]  # fmt: skip


def operations(settings: Settings) -> list[Spec]:
    """The scheduled backup (tag ``operations``: not a coordinator's step); a late one is not doubled."""
    once = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)
    schedule = Cron(settings.backup_cron, timezone=settings.timezone)
    tags = [*OPERATIONS, "backup", "scheduled"]
    return [
        (backup_database, {"name": "daily-backup", "tags": tags, "schedules": [schedule], "concurrency_limit": once})
    ]


#: Served only when asked (`--with-demo`): it rebuilds its database, so never among a coordinator's steps.
DEMO: Spec = (county_demo, {"name": "demo", "tags": [*OPERATIONS, "demo"]})


def specs(with_demo: bool = False, settings: Settings | None = None) -> list[Spec]:
    """(flow, deployment options) for everything `serve` runs; the demo only ``with_demo``."""
    settings = settings or get_settings()
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
    summaries = [*scheduled_summaries(settings.timezone), *scheduled_bulletins(settings.timezone)]
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
    alarms: Spec = (alarm_step_flow, {"name": "alarm", "tags": [*COORDINATOR, "alarms"]})
    return [*steps, alarms, *triggered(), *reports, LISTS, *summaries, nightly, outbox, *operations(settings), *demo]


def deployments(which: list[Spec] | None = None) -> list[Any]:
    return [f.to_deployment(**options) for f, options in (which or specs())]
