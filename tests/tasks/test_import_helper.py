"""The screening import with its helper process (``tasks.pathway.intake_helper``: reading, checking, hashing and
sealing in a second process while the import stages): the same stored rows as the import in one process, all or
nothing with a bad row in a later chunk, and the helper ended however the import ends."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session

from models import national_id
from models.identity import Purpose, unseal
from models.intake import ImportRejected
from tasks.infra.db import get_engine
from tasks.infra.identity_guard import guarded_keys
from tasks.pathway import intake_helper, intake_write, stage
from tasks.pathway.intake import import_file, import_screenings_file

from .test_import_files import EN_HEADER, TABLES, counts

TODAY = date(2017, 6, 30)
PEOPLE = [national_id.make("520527", date(1950 + i % 40, 1 + i % 12, 1 + i % 28), 100 + i) for i in range(40)]


def table(n: int = 60) -> list[list[str]]:
    """``n`` rows: 40 people, two to a household, some screened twice (in another chunk), one row repeated."""
    out = []
    for i in range(n):
        p = i % len(PEOPLE)
        status = "general" if p % 3 else "destitute"
        out.append([f"HH{p // 2}", PEOPLE[p], f"某{p}", "520527", status, f"2017-0{3 + i // 40}-01", "I10"])
    out.append(list(out[5]))  # a duplicate of line 7
    return out


def write(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("\n".join([EN_HEADER, *(",".join(r) for r in rows)]) + "\n", encoding="utf-8")
    return path


@pytest.fixture()
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(intake_write, "CHUNK", 7)


def helper_from(monkeypatch: pytest.MonkeyPatch, min_bytes: int) -> list[subprocess.Popen[bytes]]:
    """Files of ``min_bytes`` or more go to the helper; returns the helper processes started."""
    monkeypatch.setattr(intake_helper, "HELPER_MIN_BYTES", min_bytes)
    started: list[subprocess.Popen[bytes]] = []
    popen = subprocess.Popen

    def spy(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        started.append(popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(subprocess, "Popen", spy)
    return started


def stored(session: Session) -> dict[str, list[Any]]:
    """What the import stored, ids left out (PostgreSQL sequences do not roll back) but their order kept:
    people by id with their identity opened, findings by case id."""
    keys = guarded_keys(session)
    people = session.execute(
        text(
            "SELECT h.ref, p.national_id_hash, p.national_id_sealed, p.name_sealed, p.region_code, p.poverty_status, "
            "p.sex, p.birth_date FROM patient p JOIN household h ON h.id = p.household_id ORDER BY p.id"
        )
    ).all()
    findings = session.execute(
        text(
            "SELECT p.national_id_hash, s.screened_on, s.method, co.icd10, co.status, c.state, c.region_code, "
            't.to_state, k.icd10 FROM "case" c JOIN patient p ON p.id = c.patient_id '
            "JOIN condition co ON co.id = c.condition_id JOIN screening s ON s.id = co.screening_id "
            "JOIN screening_key k ON k.screening_id = s.id JOIN case_transition t ON t.case_id = c.id ORDER BY c.id"
        )
    ).all()
    return {
        "people": [
            (
                ref,
                digest,
                unseal(keys, Purpose.NATIONAL_ID, nid, digest),
                unseal(keys, Purpose.NAME, name, digest),
                *rest,
            )
            for ref, digest, nid, name, *rest in people
        ],
        "findings": [tuple(str(v) for v in r) for r in findings],
    }


def import_and_roll_back(path: Path) -> tuple[intake_write.ImportReport, dict[str, list[Any]]]:
    with Session(get_engine()) as session:
        try:
            report = import_file(session, path, "system", TODAY)
            return report, stored(session)
        finally:
            session.rollback()


def test_the_helper_stores_what_one_process_stores(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch, small_chunks: None
) -> None:
    earlier = table()[:10]  # some people stored before: not sealed again
    import_screenings_file.fn(str(write(tmp_path / "earlier.csv", earlier)), "system", today=TODAY)
    path = write(tmp_path / "s.csv", table())
    helpers = helper_from(monkeypatch, 1 << 40)
    alone = import_and_roll_back(path)
    assert helpers == []
    helper_from(monkeypatch, 0)
    helped = import_and_roll_back(path)
    assert len(helpers) == 1 and helpers[0].returncode == 0
    assert helped[1] == alone[1]
    assert helped[0].model_dump(exclude={"first_case_id"}) == alone[0].model_dump(exclude={"first_case_id"})
    report, rows = helped
    assert (report.rows, report.new_patients, report.duplicate_lines, report.already_known) == (61, 30, [62], 10)
    assert [p[2] for p in rows["people"]] == PEOPLE, "patient ids follow the file's lines"


def test_a_bad_row_in_a_later_chunk_writes_nothing(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch, small_chunks: None
) -> None:
    rows = table()
    rows[44][5] = "2017-02-30"  # line 46, the seventh chunk
    rows[50][1] = "not a number"  # line 52: reported too
    helpers = helper_from(monkeypatch, 0)
    with pytest.raises(ImportRejected) as err:
        import_screenings_file.fn(str(write(tmp_path / "s.csv", rows)), "system", today=TODAY)
    assert [(e.line, e.field) for e in err.value.errors] == [(46, "screened_on"), (52, "national_id")]
    assert "not a number" not in str(err.value)
    assert counts() == [0] * len(TABLES)
    assert len(helpers) == 1 and helpers[0].returncode is not None


def test_the_helper_ends_when_the_import_fails(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch, small_chunks: None
) -> None:
    helpers = helper_from(monkeypatch, 0)
    add = stage.add
    calls: list[int] = []

    def failing(session: Session, *args: Any) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full")
        add(session, *args)

    monkeypatch.setattr(stage, "add", failing)
    with pytest.raises(OSError, match="disk full"):
        import_screenings_file.fn(str(write(tmp_path / "s.csv", table())), "system", today=TODAY)
    assert len(helpers) == 1 and helpers[0].returncode is not None
    assert counts() == [0] * len(TABLES)
