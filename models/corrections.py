"""Corrections of patient and case data (issue 17/18): the append-only history tables and their pure rules.

* ``patient_fact``: a patient's poverty status and special groups (特殊人群), each a row with the date it takes
  effect from, the actor and the reason. A row is never changed: a later row supersedes an earlier one from its
  own date on (``facts_on``). ``patient.poverty_status`` is the cache of "now", rewritten from this history in
  the same transaction as each new row.
* ``case_correction``: every coordinator correction of a case (diagnosis corrected, closed, step undone) with
  actor and free-text reason, beside the ``case_transition`` row it appended (if any).

Both tables (like ``case_transition``) refuse UPDATE and DELETE in the database (``tasks/infra/schema.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.common import enum_field, plain_text, utcnow
from models.enums import CaseState, PovertyStatus
from models.errors import BadInput
from models.free_text import no_id_number

#: The effective date of the status a patient was registered with, written as the first history row when a
#: status is first corrected (the registration gives no date; no service date is earlier).
BEGINNING = date(1900, 1, 1)
REASON_MAX = 200


class CorrectionRefused(Exception):
    """A correction the data does not allow (one line naming the case or patient); nothing was written."""


def reason_text(value: str) -> str:
    """A correction's reason as stored: trimmed, 1 to 200 characters, one line, no ID-shaped number (it is
    audit text, never sent in an event or a log). ``BadInput`` naming the field otherwise."""
    text = value.strip()
    if not 1 <= len(text) <= REASON_MAX:
        raise BadInput("reason", f"must be 1 to {REASON_MAX} characters")
    try:
        plain_text(text)
        return no_id_number(text)
    except ValueError as exc:
        raise BadInput("reason", str(exc)) from None


class FactKind(StrEnum):
    """What one ``patient_fact`` row says from its date on."""

    STATUS = "status"  # 贫困属性 is ``value``
    GROUP_ADDED = "group_added"  # belongs to group ``value``
    GROUP_REMOVED = "group_removed"  # no longer belongs to group ``value``


class CorrectionKind(StrEnum):
    DIAGNOSIS = "diagnosis"  # 更正诊断
    CLOSE = "close"  # 结案
    UNDO = "undo"  # 撤销上一步


class PatientFact(SQLModel, table=True):
    """History of a patient's poverty status and groups (append-only)."""

    __tablename__ = "patient_fact"
    __table_args__ = (Index("ix_patient_fact_patient_from", "patient_id", "effective_from"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id")
    kind: FactKind = enum_field(FactKind)
    value: str = Field(max_length=40)
    effective_from: date
    actor: str = Field(max_length=60)
    reason: str = Field(max_length=REASON_MAX)
    recorded_at: datetime = Field(default_factory=utcnow)


class CaseCorrection(SQLModel, table=True):
    """One coordinator correction of a case, with actor and reason (append-only)."""

    __tablename__ = "case_correction"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    kind: CorrectionKind = enum_field(CorrectionKind)
    detail: str = Field(max_length=120)  # what changed: "I10 -> I12.0", "undo of #41 referred -> in_treatment"
    reason: str = Field(max_length=REASON_MAX)
    actor: str = Field(max_length=60)
    transition_id: int | None = Field(default=None, foreign_key="case_transition.id")  # the move it appended
    undone_id: int | None = Field(default=None, foreign_key="case_transition.id")  # the move an undo reverts
    recorded_at: datetime = Field(default_factory=utcnow)


class FactRow(NamedTuple):
    """One history row as the pure rule reads it (``id`` orders rows recorded for the same date)."""

    kind: FactKind
    value: str
    effective_from: date
    id: int


def facts_on(
    rows: Iterable[FactRow], on: date, fallback: PovertyStatus | None = None
) -> tuple[PovertyStatus | None, frozenset[str]]:
    """The poverty status and groups in force on ``on``: for the status, and for each group, the row with the
    latest ``effective_from`` not after ``on`` wins (the later-recorded one for the same date: a correction).
    No status row in force → ``fallback`` (the patient's registered status)."""
    latest: dict[tuple[bool, str], tuple[date, int, FactRow]] = {}
    for row in rows:
        if row.effective_from > on:
            continue
        key = (True, "") if row.kind == FactKind.STATUS else (False, row.value)
        seen = latest.get(key)
        if seen is None or (row.effective_from, row.id) > seen[:2]:
            latest[key] = (row.effective_from, row.id, row)
    status_row = latest.get((True, ""))
    status = PovertyStatus(status_row[2].value) if status_row else fallback
    groups = frozenset(
        g for (is_status, g), (_, _, r) in latest.items() if not is_status and r.kind == FactKind.GROUP_ADDED
    )
    return status, groups


class Step(NamedTuple):
    """One ``case_transition`` row as the undo rule reads it."""

    id: int
    from_state: CaseState | None
    to_state: CaseState


#: Steps an undo may revert by itself, each to its from-state. Admission and discharge opened or closed a stay
#: (a settled stay must be reversed first); the first row (a case opened by screening) has nothing before it.
UNDOABLE: frozenset[CaseState] = frozenset(
    {
        CaseState.CONFIRMED,
        CaseState.TRIAGED,
        CaseState.REFERRED,
        CaseState.CURED,
        CaseState.UNDER_MAINTENANCE,
        CaseState.UNDER_MANAGEMENT,
        CaseState.CLOSED,
    }
)
STAY_STEPS = {
    CaseState.IN_TREATMENT: "it opened a stay (treatment episode): correct the stay instead",
    CaseState.DISCHARGED: "it closed a stay: the stay's bill is corrected by reversing it",
    CaseState.SETTLED: "a settled stay must be reversed (冲销) first",
}


def step_to_undo(
    steps: Sequence[Step], undo_ids: Iterable[int], state: CaseState, corrected: Iterable[int] = ()
) -> Step:
    """The step an undo reverts: the last move not already undone (undo rows pop the move they reverted, so
    undoing twice goes two steps back). Raises ``CorrectionRefused`` when there is none, when the case is no
    longer where that step left it, when the step has rows depending on it (a stay, a settlement), or when it
    was a diagnosis correction's move (``corrected``: undone by correcting the diagnosis again)."""
    undos = set(undo_ids)
    stack: list[Step] = []
    for step in sorted(steps, key=lambda s: s.id):
        if step.id in undos:
            if stack:
                stack.pop()
        else:
            stack.append(step)
    if len(stack) <= 1 or stack[-1].from_state is None:
        raise CorrectionRefused("nothing to undo: the case is at its first step")
    last = stack[-1]
    if last.to_state != state:
        raise CorrectionRefused(
            f"the last step (#{last.id}) left the case {last.to_state.value}, it is now {state.value}"
        )
    if last.id in set(corrected):
        raise CorrectionRefused(f"#{last.id} was a diagnosis correction: correct the diagnosis again instead")
    if last.to_state in STAY_STEPS:
        raise CorrectionRefused(f"cannot undo #{last.id} -> {last.to_state.value}: {STAY_STEPS[last.to_state]}")
    if last.to_state not in UNDOABLE:
        raise CorrectionRefused(f"cannot undo #{last.id} -> {last.to_state.value}")
    return last


class DiagnosisMove(StrEnum):
    """What a corrected diagnosis does to a case (``diagnosis_move``)."""

    RECODE = "recode"  # same special disease (or not yet confirmed): the code changes, nothing else
    TRIAGE = "triage"  # confirmed, not yet triaged: triage it now by the catalogue
    RETRIAGE = "retriage"  # another special disease, before treatment: back to triaged (then referred again)
    RECATEGORISE = "recategorise"  # another special disease during or after treatment: disease and category change
    CLOSE = "close"  # no longer a special disease, before treatment: closed (not_in_catalogue)
    HOLD = "hold"  # no longer a special disease, during or after treatment: unchanged; a coordinator closes it


BEFORE_TREATMENT = frozenset({CaseState.TRIAGED, CaseState.REFERRED})


def diagnosis_move(state: CaseState, old_disease: str | None, new_disease: str | None) -> DiagnosisMove:
    """The pure rule of a diagnosis correction by the case's state and its old and new catalogue disease."""
    if state == CaseState.CLOSED:
        raise CorrectionRefused("the case is closed: undo the close first")
    if state == CaseState.SCREENED:
        return DiagnosisMove.RECODE
    if state == CaseState.CONFIRMED:
        return DiagnosisMove.TRIAGE
    if new_disease == old_disease:
        return DiagnosisMove.RECODE
    if new_disease is None:
        return DiagnosisMove.CLOSE if state in BEFORE_TREATMENT else DiagnosisMove.HOLD
    return DiagnosisMove.RETRIAGE if state in BEFORE_TREATMENT else DiagnosisMove.RECATEGORISE


class CorrectionOutcome(BaseModel):
    """What a correction did to a case (ids and states only)."""

    model_config = ConfigDict(frozen=True)

    case_id: int
    state: CaseState
    changed: bool
    detail: str
    correction_id: int | None = None
    held: str | None = None  # what a coordinator still has to decide
    also_closed: list[int] = []  # died / moved away: the patient's other live cases, closed with it


class PatientFactsNow(BaseModel):
    """A patient's status and groups in force today, after a correction."""

    model_config = ConfigDict(frozen=True)

    patient_id: int
    poverty_status: PovertyStatus
    groups: list[str]
    effective_from: date
