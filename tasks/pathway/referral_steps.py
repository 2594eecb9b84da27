"""Prefect tasks for a coordinator's referral decisions on one referral: accept, decline (and re-refer to the
next suitable hospital, or back to the waiting list). Each locks the referral's case, checks the actor's
region, and is idempotent (asking for the status the referral already has changes nothing)."""

from __future__ import annotations

from datetime import date

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import func, select
from sqlmodel import Session, col

from models.care import Hospital, Referral
from models.clinical import Case
from models.enums import CaseState, ReferralReason, ReferralStatus
from models.errors import BadInput, NotFound
from models.events import Change, DomainEvent
from models.referral_history import OPEN_REFERRAL, DeclineReason, ReferralOutcome
from tasks.infra.access import authorize_case
from tasks.infra.db import session_scope
from tasks.infra.events import record
from tasks.infra.retry import RETRY
from tasks.pathway.referral import refer_many
from tasks.pathway.referral_status import change_status
from tasks.pathway.transitions import advance_many, lock_case

STEP = {**RETRY, "cache_policy": NO_CACHE}


def lock_referral(session: Session, referral_id: int, actor: str) -> tuple[Referral, Case]:
    """The referral and its case (row-locked) once the actor may act on the case; NotFound for a bad id."""
    case_id = session.execute(select(col(Referral.case_id)).where(col(Referral.id) == referral_id)).scalar()
    if case_id is None:
        raise NotFound("referral", referral_id)
    case = lock_case(session, case_id)
    authorize_case(session, actor, case)
    referral = session.get(Referral, referral_id, populate_existing=True)
    assert referral is not None
    return referral, case


def _outcome(session: Session, referral: Referral, case: Case, changed: bool, reason: str | None) -> ReferralOutcome:
    session.flush()
    session.refresh(case)
    session.refresh(referral)
    newest = session.execute(select(func.max(col(Referral.id))).where(col(Referral.case_id) == case.id)).scalar()
    code = session.execute(select(col(Hospital.code)).where(col(Hospital.id) == case.hospital_id)).scalar()
    return ReferralOutcome(
        referral_id=referral.id or 0,
        case_id=case.id or 0,
        status=ReferralStatus(referral.status),
        changed=changed,
        reason=reason,
        case_state=CaseState(case.state),
        next_referral_id=newest if newest != referral.id else None,
        hospital_code=code,
    )


def _refuse(referral: Referral, action: str, allowed: str) -> BadInput:
    return BadInput("referral", f"referral {referral.id} is {referral.status}; only {allowed} one can be {action}")


@task(task_run_name="accept-referral-{referral_id}", **STEP)
def accept_referral(referral_id: int, accepted_on: date, actor: str) -> ReferralOutcome:
    """待接收 → 已接收: the designated hospital accepts the referral (the bed stays reserved)."""
    with session_scope() as s:
        referral, case = lock_referral(s, referral_id, actor)
        status = ReferralStatus(referral.status)
        if status == ReferralStatus.ACCEPTED:
            return _outcome(s, referral, case, False, "already done")
        if status != ReferralStatus.PENDING:
            raise _refuse(referral, "accepted", "a pending")
        change_status(s, [(referral_id, status)], ReferralStatus.ACCEPTED, actor, accepted_on)
        payload = {"referral_id": referral_id, "actor": actor, "on": accepted_on.isoformat()}
        record(s, Change(DomainEvent.REFERRAL_ACCEPTED, "case", (case.id or 0,), payload))
        return _outcome(s, referral, case, True, None)


@task(task_run_name="decline-referral-{referral_id}", **STEP)
def decline_referral(referral_id: int, reason: DeclineReason, declined_on: date, actor: str) -> ReferralOutcome:
    """待接收/已接收 → 已拒收 with the hospital's reason; the case is re-referred to the next suitable designated
    hospital (never one that declined it), or waits on the waiting list (triaged, no_capacity)."""
    reason = DeclineReason(reason)
    with session_scope() as s:
        referral, case = lock_referral(s, referral_id, actor)
        status = ReferralStatus(referral.status)
        if status == ReferralStatus.DECLINED:
            return _outcome(s, referral, case, False, "already done")
        if status not in OPEN_REFERRAL:
            raise _refuse(referral, "declined", "a pending or accepted")
        change_status(s, [(referral_id, status)], ReferralStatus.DECLINED, actor, declined_on, reason.value)
        payload = {"referral_id": referral_id, "reason": reason.value, "actor": actor, "on": declined_on.isoformat()}
        record(s, Change(DomainEvent.REFERRAL_DECLINED, "case", (case.id or 0,), payload))
        if CaseState(case.state) == CaseState.REFERRED and case.hospital_id == referral.hospital_id:
            case.hospital_id = referral.from_hospital_id  # back where it was before this referral
            s.add(case)
            s.flush()
            urgent = {case.id or 0} if referral.urgent else set()
            moved, held = refer_many(
                s,
                [case.id or 0],
                declined_on,
                actor,
                urgent=urgent,
                direction=referral.direction,
                from_state=CaseState.REFERRED,
            )
            if not moved:
                why = next(iter(held), ReferralReason.NO_CAPACITY.value)
                advance_many(
                    s,
                    [case.id or 0],
                    CaseState.REFERRED,
                    CaseState.TRIAGED,
                    actor=actor,
                    reason="referral declined; waiting",
                    state_reason=why,
                    on=declined_on,
                )
        return _outcome(s, referral, case, True, reason.value)
