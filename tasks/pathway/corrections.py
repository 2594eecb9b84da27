"""Corrections of one case, each audited (``case_correction``: actor, reason) beside the ``case_transition`` row
it appends: a corrected diagnosis re-triages, a close names its reason from a fixed list, an undo returns the
case to the state before its last step. Nothing already written is updated; the current-state columns
(``case.state``, ``condition.icd10``, the case's disease) follow, as any step's do."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from config.catalogue import load_catalogue
from models.care import Referral
from models.catalogue import is_known_icd10, triage
from models.clinical import Case, CaseTransition, Condition
from models.common import age_on, utcnow
from models.corrections import (
    CaseCorrection,
    CorrectionKind,
    CorrectionOutcome,
    CorrectionRefused,
    DiagnosisMove,
    diagnosis_move,
)
from models.enums import CLOSE_REASON_LABELS, CaseState, CloseReason, ReferralStatus
from models.errors import BadInput
from models.events import STATE_EVENTS, Change, DomainEvent
from models.nightly import retriage_move
from models.pathway import check_transition
from models.people import Patient
from tasks.infra.events import record
from tasks.pathway.transitions import lock_case
from tasks.pathway.triage import triage_many

#: Closing these ends the patient's care, not one disease: the patient's other live cases close with it.
PERSON_REASONS = frozenset({CloseReason.DIED, CloseReason.MOVED_AWAY})
#: A case with a stay not yet settled is not closed: the stay is discharged and settled first.
OPEN_STAY = frozenset({CaseState.IN_TREATMENT, CaseState.DISCHARGED})


def append_move(
    session: Session,
    case: Case,
    to_state: CaseState,
    *,
    actor: str,
    reason: str,
    event: DomainEvent,
    on: date | None,
    state_reason: str | None = None,
) -> int:
    """Append the move (``case_transition``, taking effect on the business date ``on``) and change the case's
    state; returns the transition id. The caller has checked the move (a pathway move, or the undo rule)."""
    from_state, now = CaseState(case.state), utcnow()
    case.state, case.state_reason, case.state_changed_at = to_state, state_reason, now
    row = CaseTransition(case_id=case.id or 0, from_state=from_state, to_state=to_state, actor=actor,
                         reason=reason[:120], at=now, occurred_on=on)  # fmt: skip
    session.add_all([case, row])
    session.flush()
    payload = {"from_state": from_state.value, "to_state": to_state.value, "actor": actor, "reason": reason[:120]}
    record(session, Change(event, "case", (case.id or 0,), payload))
    return row.id or 0


def audit(
    session: Session,
    case_id: int,
    kind: CorrectionKind,
    detail: str,
    *,
    actor: str,
    reason: str,
    transition_id: int | None = None,
    undone_id: int | None = None,
) -> int:
    row = CaseCorrection(
        case_id=case_id,
        kind=kind,
        detail=detail[:120],
        reason=reason,
        actor=actor,
        transition_id=transition_id,
        undone_id=undone_id,
    )
    session.add(row)
    session.flush()
    return row.id or 0


def outcome(
    case: Case, detail: str, correction_id: int | None, held: str | None = None, also_closed: list[int] | None = None
) -> CorrectionOutcome:
    return CorrectionOutcome(
        case_id=case.id or 0,
        state=CaseState(case.state),
        changed=correction_id is not None,
        detail=detail,
        correction_id=correction_id,
        held=held,
        also_closed=also_closed or [],
    )


def _same_disease_elsewhere(session: Session, case: Case, disease: str) -> int | None:
    stmt = select(col(Case.id)).where(
        col(Case.patient_id) == case.patient_id, col(Case.disease_code) == disease, col(Case.id) != case.id
    )
    return session.execute(stmt).scalar()


def correct_diagnosis(session: Session, case: Case, icd10: str, on: date, actor: str, reason: str) -> CorrectionOutcome:
    """Correct the case's ICD-10 code and triage it again by the catalogue (``diagnosis_move``)."""
    code = icd10.strip().upper()
    if not is_known_icd10(code):
        raise BadInput("icd10", f"unknown ICD-10 code {code}")
    condition = session.get(Condition, case.condition_id)
    assert condition is not None
    old = condition.icd10
    if old == code:
        return outcome(case, f"diagnosis is already {code}", None)
    born = session.execute(select(col(Patient.birth_date)).where(col(Patient.id) == case.patient_id)).scalar_one()
    catalogue = load_catalogue()
    result = triage(code, catalogue, on, age_on(born, on))
    state, old_disease = CaseState(case.state), case.disease_code
    move = diagnosis_move(state, old_disease, result.disease_code)
    if result.disease_code and move in (DiagnosisMove.RETRIAGE, DiagnosisMove.RECATEGORISE):
        other = _same_disease_elsewhere(session, case, result.disease_code)
        if other is not None:
            raise CorrectionRefused(
                f"case {case.id}: patient already has case {other} of {result.disease_code}; "
                f"close this one (dabing close {case.id} --why duplicate)"
            )
    condition.icd10, condition.updated_at = code, utcnow()
    session.add(condition)
    session.flush()
    text = f"diagnosis corrected {old} -> {code}"
    moved: int | None = None
    held: str | None = None
    if move == DiagnosisMove.TRIAGE:
        triaged, outside = triage_many(session, [case.id or 0], on, actor)
        held = next(iter(outside), None)
        moved = _latest_transition(session, case.id or 0) if triaged else None
        text += ": triaged by the catalogue" if triaged else f": held ({held})"
    elif move in (DiagnosisMove.RETRIAGE, DiagnosisMove.RECATEGORISE):
        assert result.category is not None
        case.disease_code, case.category = result.disease_code, result.category.value
        case.catalogue_version, case.triaged_at = catalogue.version, utcnow()
        text += f": re-triaged {old_disease} -> {result.disease_code} ({result.category.value})"
        target = CaseState.TRIAGED if move == DiagnosisMove.RETRIAGE else retriage_move(state, result.category)
        if target is not None:
            if move == DiagnosisMove.RETRIAGE:
                case.hospital_id = None  # referred for the old disease: to be referred again (case.triaged)
                cancel_pending_referrals(session, case.id or 0)
            moved = append_move(session, case, target, actor=actor, reason=text, event=STATE_EVENTS[target], on=on)
        session.add(case)
    elif move == DiagnosisMove.CLOSE:
        text += ": not a special-treatment disease, closed"
        moved = append_move(
            session,
            case,
            CaseState.CLOSED,
            actor=actor,
            reason=text,
            event=DomainEvent.CASE_CLOSED,
            on=on,
            state_reason=result.reason.value,
        )
    elif move == DiagnosisMove.HOLD:
        held = f"{result.reason.value}: the case stays {state.value}; close it with dabing close {case.id}"
    cid = audit(session, case.id or 0, CorrectionKind.DIAGNOSIS, text, actor=actor, reason=reason, transition_id=moved)
    record(
        session,
        Change(
            DomainEvent.CASE_CORRECTED,
            "case",
            (case.id or 0,),
            {"kind": "diagnosis", "move": move.value, "actor": actor, "on": on.isoformat()},
        ),
    )
    session.refresh(case)
    return outcome(case, text, cid, held=held)


def _latest_transition(session: Session, case_id: int) -> int | None:
    return session.execute(
        select(func.max(col(CaseTransition.id))).where(col(CaseTransition.case_id) == case_id)
    ).scalar()


def cancel_pending_referrals(session: Session, case_id: int) -> None:
    """A referral not yet acted upon is withdrawn (已撤销) when the case goes back before it."""
    session.execute(
        update(Referral)
        .where(col(Referral.case_id) == case_id, col(Referral.status) == ReferralStatus.PENDING)
        .values(status=ReferralStatus.CANCELLED)
    )


def close_case(session: Session, case: Case, why: CloseReason, on: date, actor: str, reason: str) -> CorrectionOutcome:
    """Close the case with a reason from the fixed list; died / moved away close the patient's other live
    cases too. A case with a stay not yet settled is refused (the stay is discharged and settled first)."""
    if case.state == CaseState.CLOSED:
        return outcome(case, f"already closed ({case.state_reason})", None)
    _close_one(session, case, why, on, actor, reason)
    also: list[int] = []
    if why in PERSON_REASONS:
        others = session.execute(
            select(col(Case.id))
            .where(
                col(Case.patient_id) == case.patient_id,
                col(Case.id) != case.id,
                col(Case.state) != CaseState.CLOSED,
            )
            .order_by(col(Case.id))
        ).scalars()
        for other_id in list(others):
            other = lock_case(session, other_id)
            if CaseState(other.state) not in OPEN_STAY:
                _close_one(session, other, why, on, actor, reason)
                also.append(other_id)
    session.refresh(case)
    label = CLOSE_REASON_LABELS[why]
    return outcome(case, f"closed: {why.value} {label}", _last_correction(session, case.id or 0), also_closed=also)


def _close_one(session: Session, case: Case, why: CloseReason, on: date, actor: str, reason: str) -> None:
    state = CaseState(case.state)
    if state in OPEN_STAY:
        raise CorrectionRefused(
            f"case {case.id} is {state.value}: its stay is discharged and settled before the case is closed"
        )
    check_transition(state, CaseState.CLOSED)
    text = f"closed: {why.value} ({CLOSE_REASON_LABELS[why]})"
    tid = append_move(
        session,
        case,
        CaseState.CLOSED,
        actor=actor,
        reason=text,
        event=DomainEvent.CASE_CLOSED,
        on=on,
        state_reason=why.value,
    )
    audit(
        session,
        case.id or 0,
        CorrectionKind.CLOSE,
        f"{state.value} -> closed: {why.value}",
        actor=actor,
        reason=reason,
        transition_id=tid,
    )


def _last_correction(session: Session, case_id: int) -> int | None:
    return session.execute(
        select(func.max(col(CaseCorrection.id))).where(col(CaseCorrection.case_id) == case_id)
    ).scalar()
