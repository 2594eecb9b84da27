"""Flows started by domain events (see ``runtime/serve.py`` for the triggers). Orchestration only.

They act as the system actor ``events``, which no coordinator's form can name (``tasks.infra.access.check_person``);
they take no actor parameter."""

from __future__ import annotations

from prefect import flow

from config.settings import get_settings
from flows.context import run_context
from flows.params import CaseId, DischargedOnEvent, TriagedOn
from models.common import local_today
from models.schemas import CaseOutcome, StepResult
from tasks.pathway.reactions import refer_if_triaged, refer_waiting_after_discharge
from tasks.reports.artifacts import publish_case_step

EVENTS_ACTOR = "events"  # the actor recorded in case_transition for steps an event started


@flow(name="refer-triaged", flow_run_name="refer-triaged-case-{case_id}")
async def refer_triaged(case_id: CaseId, on: TriagedOn = None) -> CaseOutcome:
    """分类后自动转诊：病例分类事件触发，转到有床位的定点医院。
    A case was triaged (event ``case.triaged``): refer it to a designated hospital with capacity.
    ``on`` is the triage date carried by the event (default: today in the county's time zone)."""
    with run_context(case_id=case_id):
        outcome = refer_if_triaged(case_id, on or local_today(get_settings().timezone), EVENTS_ACTOR)
        publish_case_step("自动转诊", outcome)
        return outcome


@flow(name="refer-waiting", flow_run_name="refer-waiting-after-case-{case_id}")
async def refer_waiting_on_discharge(case_id: CaseId, on: DischargedOnEvent = None) -> StepResult:
    """出院后候诊转诊：出院事件触发，床位空出后按候诊名单（绿色通道优先，再按等候时间）转诊。
    A stay ended (event ``treatment.discharged``): refer the waiting cases its hospital has room for now."""
    with run_context(case_id=case_id):
        return refer_waiting_after_discharge(case_id, on or local_today(get_settings().timezone), EVENTS_ACTOR)
