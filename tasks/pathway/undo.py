"""Undo a wrong step (撤销上一步): the case returns to the state before its last step not already undone, by a new
audited move (``case_transition`` + ``case_correction``), never by rewriting the step. The pure rule
(``models.corrections.step_to_undo``) refuses a step a stay or a settlement depends on."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlmodel import Session, col

from models.care import Referral
from models.clinical import Case, CaseTransition, Condition
from models.common import utcnow
from models.corrections import CaseCorrection, CorrectionKind, CorrectionOutcome, CorrectionRefused, Step, step_to_undo
from models.enums import CaseState, ConditionStatus
from models.events import DomainEvent
from tasks.pathway.corrections import append_move, audit, cancel_pending_referrals, outcome


def undo_last(session: Session, case: Case, actor: str, reason: str) -> CorrectionOutcome:
    """Return the case to the state before its last step (not already undone), as a new audited move."""
    steps = [
        Step(tid, CaseState(f) if f else None, CaseState(t))
        for tid, f, t in session.execute(
            select(col(CaseTransition.id), col(CaseTransition.from_state), col(CaseTransition.to_state)).where(
                col(CaseTransition.case_id) == case.id
            )
        ).tuples()
    ]
    marked = session.execute(
        select(col(CaseCorrection.kind), col(CaseCorrection.transition_id)).where(
            col(CaseCorrection.case_id) == case.id, col(CaseCorrection.transition_id).is_not(None)
        )
    ).tuples()
    by_kind: dict[str, list[int]] = {}
    for kind, tid in marked:
        by_kind.setdefault(kind, []).append(tid)
    try:
        step = step_to_undo(
            steps,
            by_kind.get(CorrectionKind.UNDO, []),
            CaseState(case.state),
            by_kind.get(CorrectionKind.DIAGNOSIS, []),
        )
    except CorrectionRefused as exc:
        raise CorrectionRefused(f"case {case.id}: {exc}") from None
    assert step.from_state is not None
    _revert_side_effects(session, case, step)
    text = f"undo of #{step.id} {step.from_state.value} -> {step.to_state.value}"
    began = session.execute(  # the restored state is in force from the date it first began, as if never left
        select(col(CaseTransition.occurred_on))
        .where(col(CaseTransition.case_id) == case.id, col(CaseTransition.id) < step.id,
               col(CaseTransition.to_state) == step.from_state)
        .order_by(col(CaseTransition.id).desc())
        .limit(1)
    ).scalar()  # fmt: skip
    tid = append_move(
        session, case, step.from_state, actor=actor, reason=text, event=DomainEvent.CASE_CORRECTED, on=began
    )
    cid = audit(
        session,
        case.id or 0,
        CorrectionKind.UNDO,
        text,
        actor=actor,
        reason=reason,
        transition_id=tid,
        undone_id=step.id,
    )
    session.refresh(case)
    return outcome(case, text, cid)


def _revert_side_effects(session: Session, case: Case, step: Step) -> None:
    """What the undone step wrote besides the move, put back on the current-state columns."""
    if step.to_state == CaseState.CONFIRMED:
        session.execute(
            update(Condition)
            .where(col(Condition.id) == case.condition_id)
            .values(status=ConditionStatus.SUSPECTED, confirmed_on=None, updated_at=utcnow())
        )
    elif step.to_state == CaseState.TRIAGED and step.from_state == CaseState.CONFIRMED:
        case.disease_code = case.category = case.catalogue_version = None
        case.triaged_at = None
    elif step.to_state == CaseState.REFERRED:
        latest = (
            session.execute(select(Referral).where(col(Referral.case_id) == case.id).order_by(col(Referral.id).desc()))
            .scalars()
            .first()
        )
        case.hospital_id = latest.from_hospital_id if latest is not None else None
        cancel_pending_referrals(session, case.id or 0)
