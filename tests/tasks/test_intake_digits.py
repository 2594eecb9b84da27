"""The same person typed with ASCII, full-width and Arabic-Indic digits (ID number and region code) is one
patient on SQLite and PostgreSQL: one lookup hash, one case per disease, and the FHIR file holds the ASCII
number."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from models.clinical import Case, Condition
from models.enums import PovertyStatus
from models.people import Patient, PatientCreate
from tasks.infra.db import session_scope
from tasks.pathway.intake import import_screenings_file, register_patient
from tasks.reports.fhir_export import export_fhir
from tests.tasks.intake_race import HEADER, arabic_indic, count, fullwidth, people

ACTOR = "xinping-coordinator"


def _one_person_three_ways(tmp_path: Path) -> None:
    (nid,) = people(1)
    typed = [(nid, "530427", "I10"), (fullwidth(nid), fullwidth("530427"), "E11.9"),
             (arabic_indic(nid), arabic_indic("530427"), "N18.5")]  # fmt: skip
    for i, (number, region, icd10) in enumerate(typed):
        path = tmp_path / f"d{i}.csv"
        path.write_text(HEADER + f"HD,{number},杜某,{region},general,2017-03-0{i + 1},{icd10}\n", encoding="utf-8")
        import_screenings_file.fn(str(path), ACTOR)
    person = PatientCreate(household_ref="HD", national_id=fullwidth(nid), name="杜某",
                           region_code=arabic_indic("530427"), poverty_status=PovertyStatus.GENERAL)  # fmt: skip
    pid = register_patient(person, ACTOR)

    assert count(Patient) == 1, "one patient, whatever digits were typed"
    with session_scope() as s:
        patient = s.get(Patient, pid)
        assert patient is not None and patient.region_code == "530427"
        per_disease = s.execute(
            select(col(Condition.icd10)).join(Case, col(Case.condition_id) == col(Condition.id))
        ).scalars()
        assert sorted(per_disease) == ["E11.9", "I10", "N18.5"], "one case per disease"
    text = export_fhir(pid, tmp_path / "p.json", ACTOR).read_text(encoding="utf-8")
    assert nid in text and fullwidth(nid) not in text and arabic_indic(nid) not in text


def test_unicode_digits_are_one_person_sqlite(tmp_path: Path, db_url: str) -> None:
    _one_person_three_ways(tmp_path)


@pytest.mark.postgres
def test_unicode_digits_are_one_person_postgres(tmp_path: Path, pg_url: str) -> None:
    _one_person_three_ways(tmp_path)
