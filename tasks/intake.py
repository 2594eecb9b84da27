"""Writing validated screening rows: households, patients, screenings, suspected conditions and
their cases, in one transaction (set-based: a few statements per table, whatever the row count)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import insert, select
from sqlmodel import Session

from models import national_id
from models.clinical import Case, CaseTransition, Condition, Screening
from models.common import utcnow
from models.enums import CaseState, ConditionStatus
from models.intake import ScreeningRow
from models.people import Household, Patient

_PART = 900  # keeps IN (...) lists under SQLite's bound-parameter limit


def _existing(session: Session, column: object, key_col: object, keys: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(keys), _PART):
        part = keys[start : start + _PART]
        for key, ident in session.execute(select(key_col, column).where(key_col.in_(part))):  # type: ignore[attr-defined, call-overload]
            found[key] = ident
    return found


def _insert_returning(session: Session, table: type, key: str, rows: list[dict[str, object]]) -> dict[object, int]:
    if not rows:
        return {}
    stmt = insert(table).returning(table.id, getattr(table, key), sort_by_parameter_order=True)  # type: ignore[attr-defined]
    return {k: i for i, k in session.execute(stmt, rows)}


def write_screenings(session: Session, rows: Sequence[ScreeningRow], actor: str) -> dict[str, int]:
    """Insert everything for validated rows; returns counts. Existing people are reused (re-screening)."""
    now = utcnow()
    refs = sorted({r.household_ref for r in rows})
    households = _existing(session, Household.id, Household.ref, refs)
    first_by_ref = {r.household_ref: r for r in reversed(rows)}
    new_households = [
        {"ref": ref, "region_code": first_by_ref[ref].region_code,
         "poverty_status": first_by_ref[ref].poverty_status, "created_at": now}
        for ref in refs if ref not in households
    ]
    households |= _insert_returning(session, Household, "ref", new_households)  # type: ignore[arg-type]
    ids = sorted({r.national_id for r in rows})
    patients = _existing(session, Patient.id, Patient.national_id, ids)
    first_by_id = {r.national_id: r for r in reversed(rows)}
    new_patients = [
        {"household_id": households[first_by_id[n].household_ref], "national_id": n,
         "name": first_by_id[n].name, "region_code": first_by_id[n].region_code,
         "poverty_status": first_by_id[n].poverty_status, "sex": national_id.sex(n),
         "birth_date": national_id.birth_date(n), "created_at": now}
        for n in ids if n not in patients
    ]
    patients |= _insert_returning(session, Patient, "national_id", new_patients)  # type: ignore[arg-type]

    visits = sorted({(patients[r.national_id], r.screened_on, r.method) for r in rows})
    screening_rows = [
        {"patient_id": p, "screened_on": d, "method": m, "actor": actor, "created_at": now} for p, d, m in visits
    ]
    stmt = insert(Screening).returning(Screening.id, sort_by_parameter_order=True)  # type: ignore[arg-type]
    screening_ids = dict(zip(visits, session.execute(stmt, screening_rows).scalars(), strict=True))

    keyed: list[tuple[int, date, str, ScreeningRow]] = [
        (patients[r.national_id], r.screened_on, r.method, r) for r in rows
    ]
    cond_stmt = insert(Condition).returning(Condition.id, sort_by_parameter_order=True)  # type: ignore[arg-type]
    condition_ids = session.execute(cond_stmt, [
        {"patient_id": p, "screening_id": screening_ids[(p, d, m)], "icd10": r.icd10,
         "status": ConditionStatus.SUSPECTED, "updated_at": now}
        for p, d, m, r in keyed
    ]).scalars().all()
    case_stmt = insert(Case).returning(Case.id, sort_by_parameter_order=True)  # type: ignore[arg-type]
    case_ids = session.execute(case_stmt, [
        {"patient_id": p, "condition_id": cid, "region_code": r.region_code, "state": CaseState.SCREENED,
         "green_channel": False, "state_changed_at": now, "created_at": now}
        for (p, _d, _m, r), cid in zip(keyed, condition_ids, strict=True)
    ]).scalars().all()
    session.execute(insert(CaseTransition), [
        {"case_id": c, "from_state": None, "to_state": CaseState.SCREENED, "actor": actor,
         "reason": "screening intake", "at": now}
        for c in case_ids
    ])
    return {"rows": len(rows), "new_households": len(new_households),
            "new_patients": len(new_patients), "screenings": len(visits), "cases": len(case_ids)}
