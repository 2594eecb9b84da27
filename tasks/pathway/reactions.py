"""Steps started by domain events (deployment triggers). Each re-checks the case under its row lock, so a
re-delivered event (events are at-least-once) or a step a coordinator already did changes nothing."""

from __future__ import annotations

from datetime import date

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import select
from sqlmodel import col

from models.care import Hospital
from models.clinical import Case
from models.enums import CaseState, ReferralDirection
from models.schemas import CaseOutcome, StepResult
from tasks.infra.access import authorize_case
from tasks.infra.db import session_scope
from tasks.infra.retry import RETRY, RETRY_ON_CONFLICT
from tasks.pathway.referral import refer_many
from tasks.pathway.transitions import lock_case
from tasks.pathway.waiting import refer_waiting


@task(task_run_name="refer-if-triaged-{case_id}", cache_policy=NO_CACHE, **RETRY)
def refer_if_triaged(case_id: int, referred_on: date, actor: str) -> CaseOutcome:
    """Initial referral of a triaged case; any other state (already referred, closed, ...) is left alone."""
    with session_scope() as s:
        case = lock_case(s, case_id)
        authorize_case(s, actor, case)
        current = CaseState(case.state)
        if current != CaseState.TRIAGED:
            return CaseOutcome(
                case_id=case_id, state=current, changed=False, reason=f"nothing to do: case is {current}"
            )
        moved, held = refer_many(s, [case_id], referred_on, actor, direction=ReferralDirection.INITIAL)
        s.flush()
        s.refresh(case)
        return CaseOutcome(
            case_id=case_id,
            state=CaseState(case.state),
            changed=bool(moved),
            reason=None if moved else next(iter(held), None),
            hospital_id=case.hospital_id,
        )


@task(task_run_name="refer-waiting-after-{case_id}", cache_policy=NO_CACHE, **RETRY_ON_CONFLICT)
def refer_waiting_after_discharge(case_id: int, on: date, actor: str) -> StepResult:
    """A stay at the case's hospital ended (event ``treatment.discharged``): refer the waiting cases that
    hospital has room for now, first come first (green channel before). Set-based under the capacity lock, so
    two discharges (or a re-delivered event) never refer more cases than there are free places."""
    with session_scope() as s:
        hospital_id = s.execute(select(col(Case.hospital_id)).where(col(Case.id) == case_id)).scalar()
        code = s.execute(select(col(Hospital.code)).where(col(Hospital.id) == hospital_id)).scalar()
        if code is None:
            return StepResult(step="refer-waiting", considered=0, moved=0)
        moved, held = refer_waiting(s, on, actor, hospital_code=code)
    return StepResult(step="refer-waiting", considered=len(moved) + sum(held.values()), moved=len(moved), held=held)
