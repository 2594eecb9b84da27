"""Every flow as a served Prefect deployment: the UI's "Run" form is built from the flat parameters."""

from __future__ import annotations

from typing import Any

from prefect import serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.schedules import Cron

from config.settings import get_settings
from flows.demo import county_demo
from flows.intake import import_screenings, screen_patient
from flows.nightly import nightly_adjustment
from flows.pathway import admit, confirm_diagnosis, discharge, record_follow_up, refer
from flows.settlement import settle_discharge

FLOWS: tuple[Any, ...] = (
    import_screenings,
    screen_patient,
    confirm_diagnosis,
    refer,
    admit,
    discharge,
    record_follow_up,
    settle_discharge,
    county_demo,
)


def deployments() -> list[Any]:
    settings = get_settings()
    nightly = nightly_adjustment.to_deployment(
        name="nightly",
        tags=["dabing", "nightly"],
        schedules=[Cron(settings.nightly_cron, timezone=settings.timezone)],
        # one night at a time: a late night makes the next one wait instead of overlapping
        concurrency_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE),
    )
    return [f.to_deployment(name="county", tags=["dabing"]) for f in FLOWS] + [nightly]


def serve_all() -> None:
    serve(*deployments(), pause_on_shutdown=False)
