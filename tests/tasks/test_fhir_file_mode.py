"""The FHIR Bundle file holds the national ID number: it is readable by its owner only (0600), from
creation, also when it replaces an older file (issue 22, item 10)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from models import national_id
from models.enums import PovertyStatus
from models.people import PatientCreate
from tasks.pathway.intake import register_patient
from tasks.reports.fhir_export import export_fhir


@pytest.fixture()
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)  # files 0644 unless created otherwise
    yield
    os.umask(old)


@pytest.mark.usefixtures("usual_umask")
@pytest.mark.parametrize("older_file", [False, True])
def test_the_fhir_file_is_written_0600(db_url: str, tmp_path: Path, older_file: bool) -> None:
    nid = national_id.make("520527", date(1960, 1, 2), 5)
    person = PatientCreate(
        household_ref="H1", national_id=nid, name="张三", region_code="520527", poverty_status=PovertyStatus.GENERAL
    )
    pid = register_patient(person, "system")
    out = tmp_path / "fhir" / "p.json"
    if older_file:
        out.parent.mkdir()
        out.write_text("{}", encoding="utf-8")
        out.chmod(0o644)
    assert export_fhir(pid, out, "system") == out
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert nid in out.read_text(encoding="utf-8")
    assert [p.name for p in out.parent.iterdir()] == ["p.json"], "no temporary file left behind"
