"""Flows started by domain events (see ``flows/serve.py`` for the triggers). Orchestration only."""

from __future__ import annotations

from datetime import date

from prefect import flow

from config.settings import get_settings
from models.common import local_today
from models.schemas import CaseOutcome
from tasks.reactions import refer_if_triaged

EVENTS_ACTOR = "events"  # the actor recorded in case_transition for steps an event started


@flow(name="refer-triaged", flow_run_name="refer-triaged-case-{case_id}")
async def refer_triaged(case_id: int, on: date | None = None, actor: str = EVENTS_ACTOR) -> CaseOutcome:
    """A case was triaged (event ``case.triaged``): refer it to a designated hospital with capacity.
    ``on`` is the triage date carried by the event (default: today in the county's time zone)."""
    return refer_if_triaged(case_id, on or local_today(get_settings().timezone), actor)
