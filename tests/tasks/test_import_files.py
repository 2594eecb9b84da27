"""The screening import against a real database (SQLite; PostgreSQL where marked): idempotent re-import,
duplicates inside a file, a changed poverty status reported, GBK/GB18030/UTF-8-BOM CSV and XLSX with Chinese
headers, streamed in chunks, a bad row rejecting the file with one line and nothing written."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlmodel import col

from models import national_id
from models.clinical import Case, CaseTransition, Condition, Screening
from models.intake import ImportRejected
from models.people import Household, Patient
from models.screening_key import ScreeningKey
from tasks.infra.db import session_scope
from tasks.pathway import intake_write
from tasks.pathway.intake import import_screenings_file

ZH_HEADER = "户编号,身份证号,姓名,行政区划代码,贫困属性,筛查日期,诊断编码"
EN_HEADER = "household_ref,national_id,name,region_code,poverty_status,screened_on,icd10"
A = national_id.make("520527", date(1950, 3, 1), 11)
B = national_id.make("520527", date(2012, 6, 1), 12)
TABLES = (Household, Patient, Screening, ScreeningKey, Condition, Case, CaseTransition)
ACTOR = "system"  # rows of any region


def rows(status_a: str = "特困") -> list[list[str]]:
    return [
        ["H1", A, "张三", "520527", status_a, "2017-03-01", "I10.x00x002"],
        ["H1", A, "张三", "520527", status_a, "2017-03-01", "C34.900x001"],
        ["H2", B, "李四", "520527", "建档立卡", "2017-03-02", "Q21.0"],
    ]


def write_csv(path: Path, table: list[list[str]], encoding: str, header: str = ZH_HEADER) -> str:
    body = "\n".join([header, *(",".join(r) for r in table)]) + "\n"
    path.write_bytes(body.encode(encoding))
    return str(path)


def write_xlsx(path: Path, table: list[list[str]]) -> str:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(ZH_HEADER.split(","))
    for r in table:
        sheet.append([*r[:5], date.fromisoformat(r[5]), r[6]])  # a date cell, as Excel stores it
    book.save(path)
    return str(path)


def counts() -> list[int]:
    with session_scope() as s:
        return [int(s.execute(select(func.count()).select_from(t)).scalar_one()) for t in TABLES]


def _run(path: str) -> intake_write.ImportReport:
    return import_screenings_file.fn(path, ACTOR, today=date(2017, 6, 30))


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("gbk", "Excel on Chinese Windows saves CSV as GBK"),
        ("gb18030", "GB18030, the superset of GBK"),
        ("utf-8-sig", "Excel's 'CSV UTF-8' starts with a BOM"),
        ("utf-8", "plain UTF-8"),
        ("xlsx", "an Excel workbook with Chinese headers"),
    ],
)
def test_formats_with_chinese_headers(tmp_path: Path, db_url: str, kind: str, reason: str) -> None:
    path = write_xlsx(tmp_path / "s.xlsx", rows()) if kind == "xlsx" else write_csv(tmp_path / "s.csv", rows(), kind)
    report = _run(path)
    assert (report.new_patients, report.cases) == (2, 3), reason
    with session_scope() as s:
        statuses = sorted(s.execute(select(col(Patient.poverty_status))).scalars())
    assert statuses == ["destitute", "registered_poor"], reason


def _reimport(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", rows(), "gbk")
    first = _run(path)
    assert (first.screenings, first.cases, first.already_known) == (3, 3, 0)
    before = counts()
    again = _run(path)
    assert counts() == before, "a re-import writes nothing new"
    assert (again.rows, again.screenings, again.cases, again.already_known, again.new_patients) == (3, 0, 0, 3, 0)
    more = write_csv(tmp_path / "more.csv", [*rows(), ["H2", B, "李四", "520527", "建档立卡", "2017-04-02", "Q21.0"]],
                     "utf-8")  # fmt: skip
    third = _run(more)
    assert (third.screenings, third.already_known) == (1, 3), "only the new finding (another date) is written"


def test_reimport_is_idempotent_sqlite(tmp_path: Path, db_url: str) -> None:
    _reimport(tmp_path)


@pytest.mark.postgres
def test_reimport_is_idempotent_postgres(tmp_path: Path, pg_url: str) -> None:
    _reimport(tmp_path)


def test_duplicate_rows_in_a_file_are_collapsed_and_reported(tmp_path: Path, db_url: str) -> None:
    table = rows()
    table.insert(2, list(table[0]))  # line 4 repeats line 2
    report = _run(write_csv(tmp_path / "s.csv", table, "utf-8"))
    assert (report.rows, report.cases, report.duplicates_in_file, report.duplicate_lines) == (4, 3, 1, [4])


def test_a_changed_poverty_status_is_reported_not_ignored(tmp_path: Path, db_url: str) -> None:
    _run(write_csv(tmp_path / "a.csv", rows(), "utf-8"))
    report = _run(write_csv(tmp_path / "b.csv", rows(status_a="普通"), "utf-8"))
    assert (report.status_differs, report.status_differs_lines) == (1, [2])
    assert report.hint is not None and "dabing correct status" in report.hint
    with session_scope() as s:
        assert s.execute(select(col(Patient.poverty_status)).order_by(col(Patient.id))).scalars().first() == "destitute"


def test_same_person_with_two_statuses_in_one_file_is_an_error(tmp_path: Path, db_url: str) -> None:
    table = rows()
    table[1][4] = "普通"
    with pytest.raises(ImportRejected) as err:
        _run(write_csv(tmp_path / "s.csv", table, "utf-8"))
    assert [str(e) for e in err.value.errors] == [
        "line 3: poverty_status: same person as line 2 with another poverty status"
    ]
    assert counts() == [0] * len(TABLES)


def test_a_bad_row_is_one_line_and_nothing_is_written(tmp_path: Path, db_url: str) -> None:
    table = rows()
    table[2][6] = "K99"
    with pytest.raises(ImportRejected) as err:
        _run(write_csv(tmp_path / "s.csv", table, "gbk"))
    assert str(err.value) == (
        "1 bad row(s), nothing imported: line 4: icd10: unknown ICD-10 code K99: K99 is not a WHO ICD-10 category"
    )
    assert counts() == [0] * len(TABLES)


def test_undecodable_bytes_name_the_line(tmp_path: Path, db_url: str) -> None:
    path = tmp_path / "s.csv"
    good = "\n".join([EN_HEADER, ",".join(rows()[0])]).encode("gbk")
    path.write_bytes(good + b"\nH9,\x81\x30\x81,x\n")  # a truncated four-byte GB18030 sequence
    with pytest.raises(ImportRejected) as err:
        _run(str(path))
    assert [(e.line, e.field) for e in err.value.errors] == [(3, "file")]
    assert counts() == [0] * len(TABLES)


def test_rows_are_staged_in_chunks(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory does not grow with the file: the import never holds more than one chunk of rows."""
    people = [national_id.make("520527", date(1960, 1, 1 + i % 28), i) for i in range(50)]
    table = [[f"H{i}", nid, "某", "520527", "低保", "2017-03-01", "E11.9"] for i, nid in enumerate(people)]
    sizes: list[int] = []
    staged = intake_write.staged

    def spy(keys: object, batch: list[object], stored: object) -> Any:
        sizes.append(len(batch))
        return staged(keys, batch, stored)  # type: ignore[arg-type]

    monkeypatch.setattr(intake_write, "CHUNK", 7)
    monkeypatch.setattr(intake_write, "staged", spy)
    report = _run(write_csv(tmp_path / "s.csv", table, "utf-8"))
    assert report.cases == 50
    assert max(sizes) == 7 and sum(sizes) == 50 and len(sizes) == 8


def test_no_stage_is_left_behind(tmp_path: Path, db_url: str) -> None:
    _run(write_csv(tmp_path / "s.csv", rows(), "utf-8"))
    with session_scope() as s:
        if s.get_bind().dialect.name == "sqlite":
            assert s.execute(text("SELECT count(*) FROM sqlite_temp_master")).scalar_one() == 0
