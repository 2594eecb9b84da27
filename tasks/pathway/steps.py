"""Prefect tasks for one case at a time (coordinator actions). Each opens its own session, locks the
case, checks that the actor's region covers the case's patient (AccessDenied before anything is written),
and is idempotent: asking for the state the case is already in changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from prefect import task
from sqlalchemy import func, select
from sqlmodel import Session, col

from config.settings import get_settings
from models.care import TreatmentEpisode
from models.catalogue import is_known_icd10
from models.clinical import Case
from models.common import local_today
from models.enums import CareSetting, CaseState, FollowUpOutcome, ReferralDirection, TreatmentKind
from models.errors import BadInput
from models.pathway import ADMIT_FROM, IllegalTransition, check_transition
from models.schemas import CaseOutcome
from models.settlement.amounts import BillAmounts
from models.timeline import Step, check_date
from tasks.infra.access import authorize_case
from tasks.infra.db import session_scope
from tasks.infra.retry import RETRY
from tasks.pathway.diagnosis import confirm_many
from tasks.pathway.referral import refer_many
from tasks.pathway.stays import case_dates, hospital_by_code
from tasks.pathway.transitions import advance_many, lock_case
from tasks.pathway.treatment import Discharge, admit_many, discharge_many, finish_many, record_follow_ups
from tasks.pathway.triage import triage_many


def lock_for(session: Session, case_id: int, actor: str) -> Case:
    """The case, row-locked, once the actor is allowed to act on it."""
    case = lock_case(session, case_id)
    authorize_case(session, actor, case)
    return case


def check_step(session: Session, case_id: int, step: Step, on: date) -> None:
    """The step's date against the case's earlier dates and today (``models.timeline``)."""
    check_date(f"case {case_id}", step, on, case_dates(session, case_id), local_today(get_settings().timezone))


def run_step(
    session: Session,
    case_id: int,
    actor: str,
    from_state: CaseState | frozenset[CaseState],
    to_state: CaseState,
    apply: Callable[[], object],
    dated: tuple[Step, date] | None = None,
) -> CaseOutcome:
    """Lock, check the actor, the move against the state machine and the step's date (``dated``), apply it
    with the set-based function."""
    case = lock_for(session, case_id, actor)
    current = CaseState(case.state)
    if current == to_state:
        return CaseOutcome(case_id=case_id, state=current, changed=False, reason="already done")
    check_transition(current, to_state)
    if current not in (from_state if isinstance(from_state, frozenset) else {from_state}):
        raise IllegalTransition(current, to_state)
    if dated is not None:
        check_step(session, case_id, *dated)
    apply()
    session.flush()
    session.refresh(case)
    return CaseOutcome(
        case_id=case_id,
        state=CaseState(case.state),
        changed=CaseState(case.state) != current,
        reason=case.state_reason,
        hospital_id=case.hospital_id,
    )


def with_episode(session: Session, outcome: CaseOutcome) -> CaseOutcome:
    """The outcome with the case's latest treatment episode (the one admit opened, discharge closed)."""
    latest = select(func.max(col(TreatmentEpisode.id))).where(col(TreatmentEpisode.case_id) == outcome.case_id)
    return outcome.model_copy(update={"episode_id": session.execute(latest).scalar()})


@task(task_run_name="confirm-case-{case_id}", **RETRY)
def confirm_case(case_id: int, confirmed_on: date, icd10: str, actor: str) -> CaseOutcome:
    """Confirm the suspected condition; ``icd10`` (optional) corrects the code to the final diagnosis."""
    code = icd10.strip().upper()
    if code and not is_known_icd10(code):
        raise BadInput("icd10", f"unknown ICD-10 code {code}")
    with session_scope() as s:
        return run_step(
            s,
            case_id,
            actor,
            CaseState.SCREENED,
            CaseState.CONFIRMED,
            lambda: confirm_many(s, [case_id], confirmed_on, actor, code or None),
            dated=(Step.CONFIRMED, confirmed_on),
        )


@task(task_run_name="triage-case-{case_id}", **RETRY)
def triage_case(case_id: int, on_date: date, actor: str) -> CaseOutcome:
    """Triage by the catalogue; a disease outside it stays confirmed with reason not_in_catalogue."""
    with session_scope() as s:
        outcome = run_step(
            s, case_id, actor, CaseState.CONFIRMED, CaseState.TRIAGED, lambda: triage_many(s, [case_id], on_date, actor)
        )
    return outcome


@task(task_run_name="refer-case-{case_id}", **RETRY)
def refer_case(
    case_id: int, referred_on: date, urgent: bool, direction: ReferralDirection, actor: str, hospital: str = ""
) -> CaseOutcome:
    """Initial, up (上转) or down (下转) referral to a designated hospital with capacity (``hospital``: the
    coordinator's pick, checked as designated for the case's disease)."""
    with session_scope() as s:
        case = lock_for(s, case_id, actor)
        current = CaseState(case.state)
        check_transition(current, CaseState.REFERRED)
        check_step(s, case_id, Step.REFERRED, referred_on)
        moved, held = refer_many(
            s,
            [case_id],
            referred_on,
            actor,
            urgent={case_id} if urgent else set(),
            direction=direction,
            from_state=current,
            hospital_code=hospital or None,
        )
        s.flush()
        s.refresh(case)
        reason = next(iter(held), None) if not moved else None
        return CaseOutcome(
            case_id=case_id,
            state=CaseState(case.state),
            changed=bool(moved),
            reason=reason,
            hospital_id=case.hospital_id,
        )


@task(task_run_name="admit-case-{case_id}", **RETRY)
def admit_case(
    case_id: int,
    admitted_on: date,
    actor: str,
    setting: CareSetting = CareSetting.INPATIENT,
    kind: TreatmentKind = TreatmentKind.GENERAL,
    hospital_code: str = "",
) -> CaseOutcome:
    """Open a stay of the case: after its referral, or again while it is under maintenance or management (a
    settled case first takes its outcome). ``hospital_code`` admits elsewhere than the referred hospital."""
    with session_scope() as s:
        case = lock_for(s, case_id, actor)
        if case.state == CaseState.SETTLED:
            finish_many(s, [case_id], actor)
            s.refresh(case)
        current = CaseState(case.state)
        hospital_id = hospital_by_code(s, hospital_code) if hospital_code.strip() else None
        outcome = run_step(
            s,
            case_id,
            actor,
            ADMIT_FROM,
            CaseState.IN_TREATMENT,
            lambda: admit_many(
                s, [case_id], admitted_on, actor, setting, kind=kind, from_state=current, hospital_id=hospital_id
            ),
            dated=(Step.ADMITTED, admitted_on),
        )
        return with_episode(s, outcome)


@task(task_run_name="discharge-case-{case_id}", **RETRY)
def discharge_case(case_id: int, discharged_on: date, bill: BillAmounts, actor: str) -> CaseOutcome:
    """Close the open stay with the bill (validated where it entered: ``BillAmounts.parse``)."""
    discharge = Discharge(case_id, discharged_on, bill)
    with session_scope() as s:
        outcome = run_step(
            s,
            case_id,
            actor,
            CaseState.IN_TREATMENT,
            CaseState.DISCHARGED,
            lambda: discharge_many(s, [discharge], actor),
            dated=(Step.DISCHARGED, discharged_on),
        )
        return with_episode(s, outcome)


@task(task_run_name="follow-up-case-{case_id}", **RETRY)
def follow_up_case(case_id: int, followed_on: date, outcome: FollowUpOutcome, actor: str) -> int:
    with session_scope() as s:
        lock_for(s, case_id, actor)
        return record_follow_ups(s, [case_id], followed_on, actor, outcome)


@task(task_run_name="relapse-case-{case_id}", **RETRY)
def relapse_case(case_id: int, on_date: date, actor: str) -> CaseOutcome:
    """A cured case relapses: it re-opens as triaged (and is referred again like any triaged case). A settled
    one-time-cure case takes its outcome (cured) first."""
    with session_scope() as s:
        case = lock_for(s, case_id, actor)
        if case.state == CaseState.SETTLED:
            finish_many(s, [case_id], actor)
            s.refresh(case)
        if case.state == CaseState.CURED:
            check_step(s, case_id, Step.RELAPSED, on_date)
            advance_many(s, [case_id], CaseState.CURED, CaseState.TRIAGED, actor=actor, reason="relapse", on=on_date)
            s.flush()
            s.refresh(case)
            return CaseOutcome(case_id=case_id, state=CaseState(case.state), changed=True, reason="relapse",
                               hospital_id=case.hospital_id)  # fmt: skip
        raise IllegalTransition(CaseState(case.state), CaseState.TRIAGED)
