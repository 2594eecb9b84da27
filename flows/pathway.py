"""Coordinator flows for one case: confirm → triage, refer, admit, discharge, follow-up.

Flat, typed parameters so the Prefect UI renders a usable form. Each flow is idempotent.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from prefect import flow

from models.enums import CaseState, ReferralDirection
from models.schemas import CaseOutcome
from tasks.steps import admit_case, confirm_case, discharge_case, follow_up_case, refer_case, triage_case


@flow(name="confirm-diagnosis")
async def confirm_diagnosis(
    case_id: int, confirmed_on: date, icd10: str = "", actor: str = "coordinator"
) -> CaseOutcome:
    """Confirm a suspected condition (optionally correcting its ICD-10 code), then triage it."""
    confirmed = confirm_case(case_id, confirmed_on, icd10, actor)
    if confirmed.state != CaseState.CONFIRMED:
        return confirmed
    triaged = triage_case(case_id, confirmed_on, actor)
    # the case moved if either step moved it (a disease outside the catalogue stays confirmed after triage)
    return triaged.model_copy(update={"changed": confirmed.changed or triaged.changed})


@flow(name="refer-case")
async def refer(
    case_id: int,
    referred_on: date,
    urgent: bool = False,
    direction: ReferralDirection = ReferralDirection.INITIAL,
    actor: str = "coordinator",
) -> CaseOutcome:
    """Refer to a designated hospital (green channel when urgent; up/down for two-way referral)."""
    return refer_case(case_id, referred_on, urgent, direction, actor)


@flow(name="admit-case")
async def admit(case_id: int, admitted_on: date, actor: str = "coordinator") -> CaseOutcome:
    return admit_case(case_id, admitted_on, actor)


@flow(name="discharge-case")
async def discharge(
    case_id: int,
    discharged_on: date,
    total_cost: Decimal,
    out_of_scope: Decimal = Decimal("0.00"),
    sessions: int = 0,
    actor: str = "coordinator",
) -> CaseOutcome:
    """Discharge with the bill's totals (yuan, to the fen)."""
    return discharge_case(case_id, discharged_on, total_cost, out_of_scope, sessions, actor)


@flow(name="record-follow-up")
async def record_follow_up(case_id: int, followed_on: date, outcome: str = "stable", actor: str = "coordinator") -> int:
    return follow_up_case(case_id, followed_on, outcome, actor)
