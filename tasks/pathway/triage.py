"""Triage (分类救治) of confirmed cases against the disease catalogue, set-based per chunk.

Triage uses the catalogue version in force on the day (``config/data/diseases.yaml``). A confirmed condition
outside it stays CONFIRMED with ``state_reason`` not_in_catalogue (or catalogue_inactive: a later version lists
it) and the version stamped, so the night that version takes effect triages it (``tasks.pathway.retriage``);
a second case of the same special disease for the same patient is closed as a duplicate.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from config.catalogue import load_catalogue_history
from models.catalogue_history import triage_on
from models.clinical import Case, Condition
from models.common import age_on, utcnow
from models.enums import CaseState
from models.people import Patient
from tasks.pathway.transitions import advance_many

_PART = 900


def triage_many(
    session: Session, case_ids: Sequence[int], on_date: date, actor: str, *, reason: str = "triaged by catalogue"
) -> tuple[list[int], dict[str, int]]:
    """CONFIRMED → TRIAGED with disease and category by the version in force on ``on_date`` (``reason`` is the
    audit's, e.g. catalogue_2018 when a new version triages held cases). Returns (moved ids, held counts)."""
    history = load_catalogue_history()
    in_force = history.on(on_date)
    version = in_force.version if in_force is not None else None
    rows: list[Any] = []
    for start in range(0, len(case_ids), _PART):
        rows.extend(
            session.execute(
                select(col(Case.id), col(Case.patient_id), col(Condition.icd10), col(Patient.birth_date))
                .join(Condition, col(Condition.id) == col(Case.condition_id))
                .join(Patient, col(Patient.id) == col(Case.patient_id))
                .where(col(Case.id).in_(case_ids[start : start + _PART]), col(Case.state) == CaseState.CONFIRMED)
                .order_by(col(Case.id))
            ).all()
        )
    patients = sorted({r.patient_id for r in rows})
    taken: set[tuple[int, str]] = set()
    for start in range(0, len(patients), _PART):
        taken.update(
            session.execute(
                select(col(Case.patient_id), col(Case.disease_code)).where(
                    col(Case.patient_id).in_(patients[start : start + _PART]),
                    col(Case.disease_code).is_not(None),
                )
            ).tuples()
        )
    triaged: list[dict[str, Any]] = []
    outside: dict[str, list[int]] = {}
    duplicates: list[int] = []
    now = utcnow()
    for case_id, patient_id, icd10, born in rows:
        result = triage_on(icd10, history, on_date, age_on(born, on_date))
        if result.disease_code is None or result.category is None:
            outside.setdefault(result.reason.value, []).append(case_id)
        elif (patient_id, result.disease_code) in taken:
            duplicates.append(case_id)
        else:
            taken.add((patient_id, result.disease_code))
            triaged.append(
                {
                    "id": case_id,
                    "disease_code": result.disease_code,
                    "category": result.category.value,
                    "catalogue_version": version,
                    "triaged_at": now,
                }
            )
    if triaged:
        session.execute(update(Case), triaged)
    moved = advance_many(
        session,
        [t["id"] for t in triaged],
        CaseState.CONFIRMED,
        CaseState.TRIAGED,
        actor=actor,
        reason=reason,
        now=now,
        on=on_date,
    )
    for why, ids in outside.items():
        for start in range(0, len(ids), _PART):
            session.execute(
                update(Case)
                .where(col(Case.id).in_(ids[start : start + _PART]))
                .values(state_reason=why, catalogue_version=version)
            )
    closed = advance_many(
        session,
        duplicates,
        CaseState.CONFIRMED,
        CaseState.CLOSED,
        actor=actor,
        reason="duplicate of an open case of the same disease",
        state_reason="duplicate",
        on=on_date,
    )
    held = {why: len(ids) for why, ids in outside.items()}
    if closed:
        held["duplicate"] = len(closed)
    return moved, held
