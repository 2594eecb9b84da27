"""Every flow as a served Prefect deployment: the UI's "Run" form is built from the flat parameters."""

from __future__ import annotations

from typing import Any

from prefect import serve

from flows.demo import county_demo
from flows.intake import import_screenings, screen_patient
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
    return [f.to_deployment(name="county", tags=["dabing"]) for f in FLOWS]


def serve_all() -> None:
    serve(*deployments(), pause_on_shutdown=False)
