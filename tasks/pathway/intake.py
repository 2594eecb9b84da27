"""Screening intake: a whole file (CSV or XLSX) streamed, checked and written in one transaction
(``tasks.pathway.intake_write``), a re-screening of one registered patient, a registration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from prefect import task
from sqlalchemy import select
from sqlmodel import Session, col

from config.catalogue import load_regions
from config.logging import get_logger
from config.policies import settlement_refusal
from config.settings import get_settings
from models import national_id
from models.access import Scope
from models.clinical import Case, CaseTransition, Condition, Screening
from models.common import local_today, utcnow
from models.enums import CaseState, ConditionStatus
from models.errors import BadInput, PatientNotFound
from models.events import Change, DomainEvent
from models.icd import icd10_problem
from models.identity import lookup_hash, protect
from models.intake import Checked, RowChecker, Rows, ScreeningRow
from models.people import Household, Patient, PatientCreate
from models.screening_key import ScreeningKey
from tasks.infra.access import authorize_patient, scope_of
from tasks.infra.db import session_scope
from tasks.infra.errors import storage_errors
from tasks.infra.events import record
from tasks.infra.identity_guard import guarded_keys
from tasks.infra.retry import RETRY_ON_CONFLICT
from tasks.pathway import intake_helper, intake_write, stage
from tasks.pathway.households import Known, insert_or_get, known, refusal, usable
from tasks.pathway.intake_helper import IntakeHelper
from tasks.pathway.intake_read import records
from tasks.pathway.intake_write import ImportReport, stage_prepared, stage_rows, write_staged

__all__ = ["ImportReport", "import_screenings_file", "register_patient", "rescreen_patient", "write_screenings"]

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Suspicion:
    """A suspected condition of a known patient, found at one screening."""

    patient_id: int
    region_code: str
    screened_on: date
    method: str
    icd10: str


def open_cases(session: Session, items: Sequence[Suspicion], actor: str) -> dict[str, int]:
    """Per finding not stored yet (``screening_key``): a screening, its key, the suspected condition and its case
    in state screened. A finding already stored is counted as known, nothing written for it."""
    now = utcnow()
    stored = {
        (p, c, d)
        for p, c, d in session.execute(
            select(col(ScreeningKey.patient_id), col(ScreeningKey.icd10), col(ScreeningKey.screened_on)).where(
                col(ScreeningKey.patient_id).in_({i.patient_id for i in items})
            )
        )
    }
    fresh = list({(i.patient_id, i.icd10, i.screened_on): i for i in reversed(items)
                  if (i.patient_id, i.icd10, i.screened_on) not in stored}.values())[::-1]  # fmt: skip
    case_ids: list[int] = []
    for i in fresh:  # re-screening: one patient, a handful of findings
        screening = Screening(patient_id=i.patient_id, screened_on=i.screened_on, method=i.method, actor=actor)
        session.add(screening)
        session.flush()
        assert screening.id is not None
        session.add(ScreeningKey(patient_id=i.patient_id, icd10=i.icd10, screened_on=i.screened_on,
                                 screening_id=screening.id))  # fmt: skip
        condition = Condition(patient_id=i.patient_id, screening_id=screening.id, icd10=i.icd10,
                              status=ConditionStatus.SUSPECTED, updated_at=now)  # fmt: skip
        session.add(condition)
        session.flush()
        assert condition.id is not None
        case = Case(patient_id=i.patient_id, condition_id=condition.id, region_code=i.region_code,
                    state=CaseState.SCREENED, state_changed_at=now, created_at=now)  # fmt: skip
        session.add(case)
        session.flush()
        assert case.id is not None
        session.add(CaseTransition(case_id=case.id, from_state=None, to_state=CaseState.SCREENED, actor=actor,
                                   reason="screening intake", at=now, occurred_on=i.screened_on))  # fmt: skip
        case_ids.append(case.id)
    session.flush()
    if case_ids:
        record(session, Change(DomainEvent.PATIENT_SCREENED, "case", tuple(case_ids), {"actor": actor}))
    return {"screenings": len(case_ids), "cases": len(case_ids), "first_case_id": min(case_ids, default=0),
            "already_known": len(items) - len(fresh)}  # fmt: skip


def write_screenings(
    session: Session, rows: Sequence[ScreeningRow], actor: str, scope: Scope | None = None
) -> dict[str, int]:
    """Rows built in code (benchmarks, tests) through the file import's path; returns its counts."""
    try:
        stage_rows(session, (Checked.of(r) for r in rows))
        report = write_staged(session, len(rows), actor, scope)
    except BaseException:
        stage.discard(session)
        raise
    return report.model_dump(include={"rows", "new_households", "new_patients", "screenings", "cases",
                                      "first_case_id", "already_known"})  # fmt: skip


def parse_file(path: str, today: date | None = None) -> list[Checked]:
    """Check a whole screening file (CSV in UTF-8/GBK/GB18030, or XLSX) without writing anything: the rows that
    pass, or ImportRejected listing every bad row by line and field (the console shows them before importing)."""
    rows = Rows(RowChecker(load_regions().is_known, today or local_today(get_settings().timezone), settlement_refusal))
    good = list(rows.good(records(Path(path), rows)))
    rows.raise_if_bad(1)
    return good


def import_file(session: Session, path: Path, actor: str, today: date) -> ImportReport:
    """Stream, check and write one file in ``session``'s transaction (see ``import_screenings_file``); a large file
    is read, checked and sealed by a helper process (``tasks.pathway.intake_helper``) while this one stages."""
    scope = scope_of(session, actor)
    try:
        if path.stat().st_size < intake_helper.HELPER_MIN_BYTES:
            rows = Rows(RowChecker(load_regions().is_known, today, settlement_refusal))
            stage_rows(session, rows.good(records(path, rows)))
            rows.raise_if_bad(1)
            return write_staged(session, rows.seen, actor, scope)
        database = session.get_bind().engine.url.render_as_string(hide_password=False)
        with IntakeHelper(path, today, intake_write.CHUNK, guarded_keys(session).key_id, database) as helper:
            stage_prepared(session, helper.chunks())
        return write_staged(session, helper.seen, actor, scope)
    except BaseException:
        stage.discard(session)
        raise


# --- Prefect tasks -------------------------------------------------------------------------------


@task(task_run_name="import-screenings", **RETRY_ON_CONFLICT)
@storage_errors
def import_screenings_file(csv_path: str, actor: str, today: date | None = None) -> ImportReport:
    """All or nothing: any bad row rejects the whole file (ImportRejected lists line and field); a row
    outside the actor's region rejects it too (AccessDenied naming the region and its first line). Findings
    already imported are skipped and counted (a conflict with a concurrent import of the same file retries)."""
    day = today or local_today(get_settings().timezone)
    with session_scope() as s:
        report = import_file(s, Path(csv_path), actor, day)
    log.info("intake.imported", **report.model_dump(exclude={"hint"}))
    return report


@task(task_run_name="rescreen-patient-{patient_id}", **RETRY_ON_CONFLICT)
@storage_errors
def rescreen_patient(patient_id: int, icd10: str, screened_on: date, method: str, actor: str) -> ImportReport:
    """A new suspected condition for an already registered patient (re-screening); the same finding again
    (person, code, date) is reported as already known, nothing written."""
    code = icd10.strip().upper()
    problem = icd10_problem(code)
    if problem is not None:
        raise BadInput("icd10", f"unknown ICD-10 code {code}: {problem}")
    if screened_on > local_today(get_settings().timezone):
        raise BadInput("screened_on", "in the future")
    with session_scope() as s:
        authorize_patient(s, actor, patient_id)
        patient = s.get(Patient, patient_id)
        if patient is None:
            raise PatientNotFound(patient_id)
        if screened_on < patient.birth_date:
            raise BadInput("screened_on", "before the patient's birth date")
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
