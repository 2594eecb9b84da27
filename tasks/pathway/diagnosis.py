"""Confirming or ruling out suspected conditions (核准患病), set-based over a chunk of cases."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select, update
from sqlmodel import Session, col

from models.clinical import Case, Condition
from models.common import utcnow
from models.enums import CaseState, ConditionStatus
from tasks.pathway.transitions import advance_many

_PART = 900


def _set_conditions(
    session: Session,
    case_ids: Sequence[int],
    status: ConditionStatus,
    confirmed_on: date | None,
    icd10: str | None = None,
) -> None:
    values: dict[str, object] = {"status": status, "confirmed_on": confirmed_on, "updated_at": utcnow()}
    if icd10:
        values["icd10"] = icd10.strip().upper()
    for start in range(0, len(case_ids), _PART):
        cond_ids = select(col(Case.condition_id)).where(col(Case.id).in_(case_ids[start : start + _PART]))
        session.execute(update(Condition).where(col(Condition.id).in_(cond_ids)).values(**values))


def confirm_many(
    session: Session, case_ids: Sequence[int], confirmed_on: date, actor: str, icd10: str | None = None
) -> list[int]:
    """SCREENED → CONFIRMED; the condition becomes confirmed (optionally with the final ICD-10 code)."""
    moved = advance_many(
        session,
        case_ids,
        CaseState.SCREENED,
        CaseState.CONFIRMED,
        actor=actor,
        reason="diagnosis confirmed",
        on=confirmed_on,
    )
    if moved:
        _set_conditions(session, moved, ConditionStatus.CONFIRMED, confirmed_on, icd10)
    return moved


def rule_out_many(session: Session, case_ids: Sequence[int], actor: str, on: date | None = None) -> list[int]:
    """SCREENED → CLOSED: the hospital did not confirm the suspicion (on ``on``, when known)."""
    moved = advance_many(
        session,
        case_ids,
        CaseState.SCREENED,
        CaseState.CLOSED,
        actor=actor,
        reason="suspicion ruled out",
        state_reason="ruled_out",
        on=on,
    )
    if moved:
        _set_conditions(session, moved, ConditionStatus.RULED_OUT, None)
    return moved
