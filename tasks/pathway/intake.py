"""Writing validated screening rows: households, patients, screenings, suspected conditions and
their cases, in one transaction (set-based: a few statements per table, whatever the row count)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from prefect import task
from pydantic import BaseModel
from sqlalchemy import insert
from sqlmodel import Session, col

from config.catalogue import load_regions
from config.logging import get_logger
from config.policies import settlement_refusal
from models import national_id
from models.access import Scope
from models.catalogue import is_known_icd10
from models.clinical import Case, CaseTransition, Condition, Screening
from models.common import utcnow
from models.enums import CaseState, ConditionStatus
from models.errors import BadInput, PatientNotFound
from models.events import Change, DomainEvent
from models.identity import lookup_hash, protect
from models.intake import ScreeningRow, decode_csv, parse_screenings
from models.people import Household, Patient, PatientCreate
from tasks.infra.access import authorize_patient, scope_of
from tasks.infra.db import session_scope
from tasks.infra.errors import storage_errors
from tasks.infra.events import record
from tasks.infra.identity_guard import guarded_keys
from tasks.infra.retry import RETRY
from tasks.pathway.households import Known, insert_or_get, known, refusal, usable

log = get_logger(__name__)


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


def _check_rows(
    scope: Scope | None, actor: str, rows: Sequence[ScreeningRow], hash_of: dict[str, str], people: dict[str, Known],
    homes: dict[str, Known],
) -> None:  # fmt: skip
    """Every row usable (``tasks.pathway.households.usable``); the first one that is not refuses the whole file."""
    for r in rows:
        if not usable(scope, r.region_code, people.get(hash_of[r.national_id]), homes.get(r.household_ref)):
            raise refusal(actor, scope, r.region_code, f" (line {r.line})")


def write_screenings(
    session: Session, rows: Sequence[ScreeningRow], actor: str, scope: Scope | None = None
) -> dict[str, int]:
    """Insert everything for validated rows; returns counts. Existing people are reused (re-screening), also
    when a concurrent import inserted them meanwhile. Every row must be usable (its household of its region;
    with the actor's ``scope``, its region and its known person within it): checked before anything is
    written and again on the rows a concurrent writer committed (bulk callers without an actor pass none)."""
    keys = guarded_keys(session)
    hash_of = {n: lookup_hash(keys, n) for n in {r.national_id for r in rows}}  # people are found by hash
    hashes, refs = sorted(hash_of.values()), sorted({r.household_ref for r in rows})
    people, homes = known(session, Patient, "national_id_hash", hashes), known(session, Household, "ref", refs)
    _check_rows(scope, actor, rows, hash_of, people, homes)
    now = utcnow()
    by_ref = {r.household_ref: r for r in reversed(rows)}
    new_households = insert_or_get(
        session,
        Household,
        "ref",
        [
            {
                "ref": ref,
                "region_code": by_ref[ref].region_code,
                "poverty_status": by_ref[ref].poverty_status,
                "created_at": now,
            }
            for ref in refs
            if ref not in homes
        ],
    )
    homes = known(session, Household, "ref", refs) if len(homes) < len(refs) else homes
    by_id = {r.national_id: r for r in reversed(rows)}
    new_patients = insert_or_get(
        session,
        Patient,
        "national_id_hash",
        [
            {
                "household_id": homes[by_id[n].household_ref].id,
                **protect(keys, n, by_id[n].name),
                "region_code": by_id[n].region_code,
                "poverty_status": by_id[n].poverty_status,
                "sex": national_id.sex(n),
                "birth_date": national_id.birth_date(n),
                "created_at": now,
            }
            for n in sorted(hash_of)
            if hash_of[n] not in people
        ],
    )
    people = known(session, Patient, "national_id_hash", hashes) if len(people) < len(hashes) else people
    _check_rows(scope, actor, rows, hash_of, people, homes)  # a concurrent writer's rows: the same rules

    opened = open_cases(
        session,
        [Suspicion(people[hash_of[r.national_id]].id, r.region_code, r.screened_on, r.method, r.icd10) for r in rows],
        actor,
    )
    return {"rows": len(rows), "new_households": new_households, "new_patients": new_patients, **opened}


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
    return parse_screenings(
        text, known_region=regions.is_known, known_icd10=is_known_icd10, settled_region=settlement_refusal
    )


@task(task_run_name="import-screenings", **RETRY)
@storage_errors
def import_screenings_file(csv_path: str, actor: str) -> ImportReport:
    """All or nothing: any bad row rejects the whole file (ImportRejected lists line and field); a row
    outside the actor's region rejects it too (AccessDenied naming the region and its first line)."""
    rows = parse_file(csv_path)
    with session_scope() as s:
        counts = write_screenings(s, rows, actor, scope_of(s, actor))
    log.info("intake.imported", **counts)
    return ImportReport(**counts)


@task(task_run_name="rescreen-patient-{patient_id}", **RETRY)
@storage_errors
def rescreen_patient(patient_id: int, icd10: str, screened_on: date, method: str, actor: str) -> ImportReport:
    """A new suspected condition for an already registered patient (re-screening)."""
    code = icd10.strip().upper()
    if not is_known_icd10(code):
        raise BadInput("icd10", f"unknown ICD-10 code {code}")
    with session_scope() as s:
        authorize_patient(s, actor, patient_id)
        patient = s.get(Patient, patient_id)
        if patient is None:
            raise PatientNotFound(patient_id)
        counts = open_cases(s, [Suspicion(patient_id, patient.region_code, screened_on, method, code)], actor)
    return ImportReport(rows=1, new_households=0, new_patients=0, **counts)


@storage_errors
def register_patient(person: PatientCreate, actor: str) -> int:
    """Identity enters here (CLI), never through a Prefect parameter. Returns the internal id, also for a
    person already registered (found by the lookup hash) or registered concurrently. Refused with one message
    (``tasks.pathway.households.refusal``) when the region is outside the actor's scope, the person is registered in a
    region outside it, or the household ref belongs to another region: nothing says which, nor an id."""
    if not load_regions().is_known(person.region_code):
        raise BadInput("region_code", f"unknown region {person.region_code}")
    if refused := settlement_refusal(person.region_code):
        raise BadInput("region_code", f"region {person.region_code} {refused}")
    keys, region = guarded_keys(), person.region_code
    digest = lookup_hash(keys, person.national_id)
    with session_scope() as s:
        scope = scope_of(s, actor)

        def check() -> tuple[Known | None, Known | None]:
            found = known(s, Patient, "national_id_hash", [digest]).get(digest)
            home = known(s, Household, "ref", [person.household_ref]).get(person.household_ref)
            if not usable(scope, region, found, home):
                raise refusal(actor, scope, region)
            return found, home

        found, home = check()
        if found is not None:
            return found.id
        if home is None:
            row = {"ref": person.household_ref, "region_code": region, "poverty_status": person.poverty_status}
            insert_or_get(s, Household, "ref", [{**row, "created_at": utcnow()}])
            found, home = check()
        assert home is not None
        added = insert_or_get(s, Patient, "national_id_hash", [{
            "household_id": home.id,
            **protect(keys, person.national_id, person.name),
            "region_code": region,
            "poverty_status": person.poverty_status,
            "sex": national_id.sex(person.national_id),
            "birth_date": national_id.birth_date(person.national_id),
            "created_at": utcnow(),
        }])  # fmt: skip
        found, _ = check()  # a concurrent registration of the same person: theirs, under the same rules
        assert found is not None
        if added:
            record(
                s,
                Change(DomainEvent.PATIENT_REGISTERED, "patient", (found.id,), {"region_code": region, "actor": actor}),
            )
            log.info("patient.registered", patient_id=found.id, region_code=region, actor=actor)
        return found.id
