"""A chunk's cases as they stood on a past night: the state in force then, not the state now.

``case_dates`` dates each case's CURRENT state by business dates. A case whose current state began after the
night (or whose state has no business date of its own: closed) may have stood elsewhere on the night, e.g. a
case triaged in June, waiting all summer and admitted in October is ``untreated`` on a replayed 09-30 night
although it is in treatment now. Such rows take the last move that had taken effect by the night
(``case_transition.occurred_on``; the latest recorded wins, so an undo outranks the step it reverts) and that
state's start, dated the way ``case_dates`` dates it, from what had happened by the night. A case with no such
move (not screened yet, or moved before migration 0022 recorded business dates) has no state that night and is
not judged.

Only rows whose state changed since the day before the night are looked at: a move is never dated after the
day it is recorded, so a state recorded before the night was in force on it. Tonight's run looks at almost
none; a night replayed years later at every case that moved on since."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, and_, case, exists, func, literal, null, select
from sqlmodel import Session, col

from models.care import Referral, TreatmentEpisode
from models.clinical import Case, CaseTransition, Condition, Screening
from models.enums import CaseState
from models.nightly import OUTCOME_STATES
from tasks.nightly.found import COUNTED, dates


def _latest(column: Any, case_col: Any, night: Any, *where: Any) -> Any:
    """The latest ``column`` of the case on or before the night (a correlated scalar)."""
    return select(func.max(column)).where(case_col == dates.c.case_id, column <= night, *where).scalar_subquery()


def state_start(state: Any, screened: Any, confirmed: Any, referred: Any, admitted: Any, discharged: Any) -> Any:
    """The business date a case's ``state`` began (SQL), from its dates: screening (or confirmation), confirmation,
    latest referral (or confirmation), admission, latest discharge (or confirmation, never admitted); NULL for a
    state without one (closed). ``case_dates`` gives it the case's dates now, ``rewind_dates`` those by a night."""
    return case(
        (state == CaseState.SCREENED.value, func.coalesce(screened, confirmed)),
        (state.in_([CaseState.CONFIRMED.value, CaseState.TRIAGED.value]), confirmed),
        (state == CaseState.REFERRED.value, func.coalesce(referred, confirmed)),
        (state == CaseState.IN_TREATMENT.value, admitted),
        (state.in_([CaseState.DISCHARGED.value, CaseState.SETTLED.value]), discharged),
        (state.in_([s.value for s in OUTCOME_STATES]), func.coalesce(discharged, confirmed)),
        else_=null(),
    )


def moved_since(night: date) -> datetime:
    """A case whose state was recorded before this instant had that state on ``night`` already (a move is never
    dated after the day it is recorded; a day's margin for the county's time zone)."""
    return datetime.combine(night - timedelta(days=1), time.min, tzinfo=UTC)


def state_on(case_id: Any, night: date) -> Any:
    """The state the case had on ``night`` (a correlated scalar): its last move that had taken effect by then,
    the latest recorded first; NULL when none."""
    return (
        select(col(CaseTransition.to_state))
        .where(col(CaseTransition.case_id) == case_id, col(CaseTransition.occurred_on) <= literal(night, Date))
        .order_by(col(CaseTransition.id).desc())
        .limit(1)
        .scalar_subquery()
    )


def rewind_dates(session: Session, night: date) -> int:
    """Put the state in force on ``night`` and its start into the chunk's ``nightly_dates`` rows whose current
    state began after it; returns how many rows were looked at."""
    on = literal(night, Date)
    moved_on = exists().where(col(Case.id) == dates.c.case_id, col(Case.state_changed_at) >= moved_since(night))
    then = state_on(dates.c.case_id, night)
    stale = and_(func.coalesce(dates.c.since, literal(date.max, Date)) > on, moved_on)
    looked = session.execute(
        dates.update().where(stale).values(state=then, since=null(), rewound=1), execution_options=COUNTED
    )
    n = int(getattr(looked, "rowcount", 0) or 0)
    if not n:
        return 0
    te, state = TreatmentEpisode, dates.c.state
    screened = (
        select(col(Screening.screened_on))
        .join(Condition, col(Condition.screening_id) == col(Screening.id))
        .join(Case, col(Case.condition_id) == col(Condition.id))
        .where(col(Case.id) == dates.c.case_id)
        .scalar_subquery()
    )
    referred = _latest(col(Referral.referred_on), col(Referral.case_id), on)
    admitted = _latest(col(te.admitted_on), col(te.case_id), on)
    discharged = _latest(col(te.discharged_on), col(te.case_id), on)
    since = state_start(state, screened, dates.c.confirmed, referred, admitted, discharged)  # as of the night
    session.execute(dates.update().where(dates.c.rewound == 1, state.is_not(None)).values(since=since))
    return n
