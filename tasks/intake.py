"""Writing validated screening rows: households, patients, screenings, suspected conditions and
their cases, in one transaction (set-based: a few statements per table, whatever the row count)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from prefect import task
from pydantic import BaseModel
from sqlalchemy import insert, select
from sqlmodel import Session, col

from config.catalogue import load_regions
from config.logging import get_logger
from models import national_id
from models.access import Scope
from models.catalogue import is_known_icd10
from models.clinical import Case, CaseTransition, Condition, Screening
from models.common import utcnow
from models.enums import CaseState, ConditionStatus
from models.events import Change, DomainEvent
from models.identity import lookup_hash, protect
from models.intake import ScreeningRow, decode_csv, parse_screenings
from models.people import Household, Patient, PatientCreate
from tasks.access import authorize_patient, authorize_region, authorize_rows, scope_of
from tasks.db import session_scope
from tasks.events import record
from tasks.identity_guard import guarded_keys
from tasks.retry import RETRY

_PART = 900  # keeps IN (...) lists under SQLite's bound-parameter limit
log = get_logger(__name__)


def _existing(session: Session, column: Any, key_col: Any, keys: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(keys), _PART):
        part = keys[start : start + _PART]
        for key, ident in session.execute(select(key_col, column).where(key_col.in_(part))):
            found[key] = ident
    return found


def _insert_returning(session: Session, table: Any, key: str, rows: list[dict[str, object]]) -> dict[Any, int]:
    if not rows:
        return {}
    stmt = insert(table).returning(table.id, getattr(table, key), sort_by_parameter_order=True)
    return {k: i for i, k in session.execute(stmt, rows)}


@dataclass(frozen=True, slots=True)
class Suspicion:
    """A suspected condition of a known patient, found at one screening visit."""

    patient_id: int
    region_code: str
    screened_on: date
    method: str
    icd10: str


def open_cases(session: Session, items: Sequence[Suspicion], actor: str) -> dict[str, int]:
    """Screenings (one per patient and visit), suspected conditions and their cases in state screened."""
    now = utcnow()
    visits = sorted({(i.patient_id, i.screened_on, i.method) for i in items})
    stmt = insert(Screening).returning(col(Screening.id), sort_by_parameter_order=True)
    screening_ids = dict(
        zip(
            visits,
            session.execute(
                stmt,
                [
                    {"patient_id": p, "screened_on": d, "method": m, "actor": actor, "created_at": now}
                    for p, d, m in visits
                ],
            ).scalars(),
            strict=True,
        )
    )
    cond_stmt = insert(Condition).returning(col(Condition.id), sort_by_parameter_order=True)
    condition_ids = (
        session.execute(
            cond_stmt,
            [
                {
                    "patient_id": i.patient_id,
                    "screening_id": screening_ids[(i.patient_id, i.screened_on, i.method)],
                    "icd10": i.icd10,
                    "status": ConditionStatus.SUSPECTED,
                    "updated_at": now,
                }
                for i in items
            ],
        )
        .scalars()
        .all()
    )
    case_stmt = insert(Case).returning(col(Case.id), sort_by_parameter_order=True)
    case_ids = (
        session.execute(
            case_stmt,
            [
                {
                    "patient_id": i.patient_id,
                    "condition_id": cid,
                    "region_code": i.region_code,
                    "state": CaseState.SCREENED,
                    "green_channel": False,
                    "state_changed_at": now,
                    "created_at": now,
                }
                for i, cid in zip(items, condition_ids, strict=True)
            ],
        )
        .scalars()
        .all()
    )
    session.execute(
        insert(CaseTransition),
        [
            {
                "case_id": c,
                "from_state": None,
                "to_state": CaseState.SCREENED,
                "actor": actor,
                "reason": "screening intake",
                "at": now,
            }
            for c in case_ids
        ],
    )
    record(session, Change(DomainEvent.PATIENT_SCREENED, "case", tuple(case_ids), {"actor": actor}))
    return {"screenings": len(visits), "cases": len(case_ids), "first_case_id": min(case_ids, default=0)}


def write_screenings(
    session: Session, rows: Sequence[ScreeningRow], actor: str, scope: Scope | None = None
) -> dict[str, int]:
    """Insert everything for validated rows; returns counts. Existing people are reused (re-screening).
    With the actor's ``scope``, every row's region and every existing person must be within it (checked
    before anything is written; bulk callers without an actor pass none)."""
    keys = guarded_keys(session)
    hash_of = {n: lookup_hash(keys, n) for n in {r.national_id for r in rows}}  # people are found by hash
    ids = sorted(hash_of)
    patients = _existing(session, col(Patient.id), col(Patient.national_id_hash), sorted(hash_of.values()))
    if scope is not None:
        regions: dict[str, int] = {}
        for r in rows:
            regions.setdefault(r.region_code, r.line)
        authorize_rows(session, scope, regions, list(patients.values()))
    now = utcnow()
    refs = sorted({r.household_ref for r in rows})
    households = _existing(session, col(Household.id), col(Household.ref), refs)
    first_by_ref = {r.household_ref: r for r in reversed(rows)}
    new_households = [
        {
            "ref": ref,
            "region_code": first_by_ref[ref].region_code,
            "poverty_status": first_by_ref[ref].poverty_status,
            "created_at": now,
        }
        for ref in refs
        if ref not in households
    ]
    households |= _insert_returning(session, Household, "ref", new_households)
    first_by_id = {r.national_id: r for r in reversed(rows)}
    new_patients = [
        {
            "household_id": households[first_by_id[n].household_ref],
            **protect(keys, n, first_by_id[n].name),
            "region_code": first_by_id[n].region_code,
            "poverty_status": first_by_id[n].poverty_status,
            "sex": national_id.sex(n),
            "birth_date": national_id.birth_date(n),
            "created_at": now,
        }
        for n in ids
        if hash_of[n] not in patients
    ]
    patients |= _insert_returning(session, Patient, "national_id_hash", new_patients)

    opened = open_cases(
        session,
        [Suspicion(patients[hash_of[r.national_id]], r.region_code, r.screened_on, r.method, r.icd10) for r in rows],
        actor,
    )
    return {"rows": len(rows), "new_households": len(new_households), "new_patients": len(new_patients), **opened}


# --- Prefect tasks -------------------------------------------------------------------------------


class ImportReport(BaseModel):
    """Counts only: safe for Prefect results and logs."""

    rows: int
    new_households: int
    new_patients: int
    screenings: int
    cases: int
    first_case_id: int


def parse_file(path: str) -> list[ScreeningRow]:
    """Read and validate a whole screening CSV against the regions and the ICD-10 rule."""
    text = decode_csv(Path(path).read_bytes())
    regions = load_regions()
    return parse_screenings(text, known_region=regions.is_known, known_icd10=is_known_icd10)


@task(task_run_name="import-screenings", **RETRY)
def import_screenings_file(csv_path: str, actor: str) -> ImportReport:
    """All or nothing: any bad row rejects the whole file (ImportRejected lists line and field); a row
    outside the actor's region rejects it too (AccessDenied naming the region and its first line)."""
    rows = parse_file(csv_path)
    with session_scope() as s:
        counts = write_screenings(s, rows, actor, scope_of(s, actor))
    log.info("intake.imported", **counts)
    return ImportReport(**counts)


@task(task_run_name="screen-patient-{patient_id}", **RETRY)
def screen_patient_task(patient_id: int, icd10: str, screened_on: date, method: str, actor: str) -> ImportReport:
    """A new suspected condition for an already registered patient (re-screening)."""
    code = icd10.strip().upper()
    if not is_known_icd10(code):
        raise ValueError(f"icd10: unknown ICD-10 code {code}")
    with session_scope() as s:
        authorize_patient(s, actor, patient_id)
        patient = s.get(Patient, patient_id)
        if patient is None:
            raise LookupError(f"patient_id: patient {patient_id} does not exist")
        counts = open_cases(s, [Suspicion(patient_id, patient.region_code, screened_on, method, code)], actor)
    return ImportReport(rows=1, new_households=0, new_patients=0, **counts)


def register_patient(person: PatientCreate, actor: str) -> int:
    """Identity enters here (CLI), never through a Prefect parameter. Returns the internal id (also for a
    person already registered, found by the lookup hash: then the actor must cover that patient's region)."""
    if not load_regions().is_known(person.region_code):
        raise ValueError(f"region_code: unknown region {person.region_code}")
    keys = guarded_keys()
    with session_scope() as s:
        authorize_region(s, actor, person.region_code)
        by_hash = col(Patient.national_id_hash) == lookup_hash(keys, person.national_id)
        existing = s.execute(select(col(Patient.id)).where(by_hash)).scalar()
        if existing is not None:
            authorize_patient(s, actor, int(existing))
            return int(existing)
        hh = s.execute(select(col(Household.id)).where(col(Household.ref) == person.household_ref)).scalar()
        if hh is None:
            household = Household(
                ref=person.household_ref, region_code=person.region_code, poverty_status=person.poverty_status
            )
            s.add(household)
            s.flush()
            hh = household.id
        assert hh is not None
        patient = Patient(
            household_id=hh,
            **protect(keys, person.national_id, person.name),
            region_code=person.region_code,
            poverty_status=person.poverty_status,
            sex=national_id.sex(person.national_id),
            birth_date=national_id.birth_date(person.national_id),
        )
        s.add(patient)
        s.flush()
        assert patient.id is not None
        payload = {"region_code": person.region_code, "actor": actor}
        record(s, Change(DomainEvent.PATIENT_REGISTERED, "patient", (patient.id,), payload))
        log.info("patient.registered", patient_id=patient.id, region_code=person.region_code, actor=actor)
        return patient.id
