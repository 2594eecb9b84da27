"""Applying pathway moves to the database: one case (row-locked) or many (set-based).

Every move is checked by the pure state machine and appended to ``case_transition`` in the same
transaction as the state change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from sqlalchemy import select, update
from sqlmodel import Session, col

from models.clinical import Case, CaseTransition
from models.common import utcnow
from models.enums import CaseState
from models.errors import CaseNotFound
from models.events import STATE_EVENTS, Change, only_date
from models.pathway import check_transition
from tasks.infra.bulkwrite import append_rows, id_in
from tasks.infra.events import record


def _moved(
    session: Session,
    ids: Sequence[int],
    from_state: CaseState,
    to_state: CaseState,
    actor: str,
    reason: str,
    on: date | None,
) -> None:
    """Queue the domain event for cases that moved (emitted after the commit)."""
    payload = {"from_state": from_state.value, "to_state": to_state.value, "actor": actor, "reason": reason,
               "on": on.isoformat() if on else None}  # fmt: skip
    record(session, Change(STATE_EVENTS[to_state], "case", tuple(ids), payload))


def lock_case(session: Session, case_id: int) -> Case:
    """Load a case with a row lock (SELECT ... FOR UPDATE on PostgreSQL; SQLite locks the file)."""
    case = session.execute(select(Case).where(col(Case.id) == case_id).with_for_update()).scalars().first()
    if case is None:
        raise CaseNotFound(case_id)
    assert isinstance(case, Case)
    return case


def lock_cases(session: Session, case_ids: Sequence[int]) -> dict[int, Case]:
    """``lock_case`` for many cases in one statement per 10,000 ids (none missing: raises CaseNotFound), so a
    loop over them changes loaded rows instead of flushing one UPDATE before each next lock."""
    cases: dict[int, Case] = {}
    for start in range(0, len(case_ids), 10_000):
        part = case_ids[start : start + 10_000]
        stmt = select(Case).where(id_in(session, col(Case.id), part)).with_for_update()
        cases.update((c.id or 0, c) for c in session.execute(stmt).scalars())
    for case_id in case_ids:
        if case_id not in cases:
            raise CaseNotFound(case_id)
    return cases


def move_case(
    session: Session,
    case: Case,
    to_state: CaseState,
    *,
    actor: str,
    reason: str,
    event_id: str | None = None,
    state_reason: str | None = None,
    on: date | None = None,
) -> None:
    """Move one loaded case; raises IllegalTransition naming both states. ``on`` is the business date the move
    took effect (``case_transition.occurred_on``, and the event's)."""
    from_state = CaseState(case.state)
    check_transition(from_state, to_state)
    now = utcnow()
    case.state = to_state
    case.state_reason = state_reason
    case.state_changed_at = now
    session.add(case)
    session.add(
        CaseTransition(
            case_id=case.id or 0,
            from_state=from_state,
            to_state=to_state,
            actor=actor,
            reason=reason,
            at=now,
            occurred_on=on,
            event_id=event_id,
        )
    )
    _moved(session, [case.id or 0], from_state, to_state, actor, reason, on)


def advance_many(
    session: Session,
    case_ids: Sequence[int],
    from_state: CaseState,
    to_state: CaseState,
    *,
    actor: str,
    reason: str,
    state_reason: str | None = None,
    now: datetime | None = None,
    on: date | Mapping[int, date] | None = None,
) -> list[int]:
    """Set-based move of every listed case that is still in ``from_state``, taking effect on the business date
    ``on`` (one for all, or per case: a chunk of discharges of several days).

    Cases already moved (a re-run, a re-delivered event) are skipped, so the call is idempotent.
    Returns the ids that moved.
    """
    check_transition(from_state, to_state)
    if not case_ids:
        return []
    now = now or utcnow()
    moved: list[int] = []
    for start in range(0, len(case_ids), 30_000):  # SQLite's bound-parameter limit is 32,766
        stmt = (
            update(Case)
            .where(id_in(session, col(Case.id), case_ids[start : start + 30_000]), col(Case.state) == from_state)
            .values(state=to_state, state_reason=state_reason, state_changed_at=now)
            .returning(col(Case.id))
        )
        moved.extend(session.execute(stmt).scalars().all())
    if moved:
        dated = on.get if isinstance(on, Mapping) else lambda _: on
        append_rows(
            session,
            "case_transition",
            ("case_id", "from_state", "to_state", "actor", "reason", "at", "occurred_on"),
            ((cid, from_state, to_state, actor, reason, now, dated(cid)) for cid in moved),
        )
        _moved(session, moved, from_state, to_state, actor, reason, only_date(dated(cid) for cid in moved))
    return moved
