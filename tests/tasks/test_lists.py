"""External lists: CSV in UTF-8 or GBK and XLSX with Chinese headers, people matched by the keyed hash or the
household number, a re-import of the same source and date writes nothing new, unmatched rows by line only, a
bad row rejects the file, and no ID number in the report."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from models import national_id
from models.enums import PovertyStatus
from models.errors import BadInput
from models.external_lists import ListSource
from models.intake import ImportRejected
from models.people import ExternalStatus, Patient
from tasks.infra.db import session_scope
from tasks.lists.importer import import_external_list
from tasks.pathway.intake import import_screenings_file

A = national_id.make("520527", date(1950, 3, 1), 11)
B = national_id.make("520527", date(1960, 6, 1), 12)
NOBODY = national_id.make("520527", date(1970, 1, 1), 13)
DAY = date(2017, 11, 1)


def _people(tmp_path: Path) -> dict[str, int]:
    csv = tmp_path / "screening.csv"
    csv.write_text(
        "household_ref,national_id,name,region_code,poverty_status,screened_on,icd10\n"
        f"H1,{A},张三,520527,registered_poor,2017-03-01,I10\n"
        f"H2,{B},李四,520527,minimum_living,2017-03-01,E11.9\n",
        encoding="utf-8",
    )
    import_screenings_file.fn(str(csv), "coordinator")
    with session_scope() as s:
        ids = list(s.execute(select(Patient.id).order_by(Patient.id)).scalars())
    return {"A": ids[0], "B": ids[1]}


@pytest.fixture()
def people(tmp_path: Path, db_url: str) -> dict[str, int]:
    return _people(tmp_path)


def _rows() -> list[tuple[int, str, date, str | None, bool | None]]:
    with session_scope() as s:
        stmt = select(
            ExternalStatus.patient_id,
            ExternalStatus.source,
            ExternalStatus.list_date,
            ExternalStatus.poverty_status,
            ExternalStatus.insured,
        ).order_by(ExternalStatus.patient_id, ExternalStatus.source)
        return [(p, src, d, str(st) if st else None, ins) for p, src, d, st, ins in s.execute(stmt).tuples()]


def test_csv_utf8_then_reimport_writes_nothing(tmp_path: Path, people: dict[str, int]) -> None:
    _reimport(tmp_path, people)


def test_reimport_postgres(tmp_path: Path, pg_url: str) -> None:
    _reimport(tmp_path, _people(tmp_path))


def _reimport(tmp_path: Path, people: dict[str, int]) -> None:
    path = tmp_path / "民政.csv"
    path.write_text(f"身份证号,状态\n{A},低保\n{NOBODY},特困\n\n{B.lower()},特困供养\n", encoding="utf-8-sig")
    first = import_external_list.fn(str(path), ListSource.CIVIL_AFFAIRS, DAY, "coordinator")
    assert (first.rows, first.matched, first.written, first.already, first.unmatched_lines) == (3, 2, 2, 0, [3])
    assert _rows() == [
        (people["A"], "civil_affairs", DAY, "minimum_living", None),
        (people["B"], "civil_affairs", DAY, "destitute", None),
    ]
    again = import_external_list.fn(str(path), ListSource.CIVIL_AFFAIRS, DAY, "coordinator")
    assert (again.written, again.already) == (0, 2)
    assert len(_rows()) == 2
    text = json.dumps(first.model_dump(mode="json"), ensure_ascii=False)
    assert A not in text and NOBODY not in text


def test_gbk_csv_and_household_rows(tmp_path: Path, people: dict[str, int]) -> None:
    path = tmp_path / "扶贫办.csv"
    path.write_bytes("户编号,贫困属性\nH1,建档立卡\nH9,监测户\n".encode("gbk"))
    report = import_external_list.fn(str(path), ListSource.POVERTY_OFFICE, DAY, "coordinator")
    assert (report.written, report.unmatched_lines) == (1, [3])
    assert _rows() == [(people["A"], "poverty_office", DAY, "registered_poor", None)]


def test_xlsx_insurance_list(tmp_path: Path, people: dict[str, int]) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["公民身份号码", "参保状态"])
    ws.append([A, "已参保"])
    ws.append([B, "未参保"])
    path = tmp_path / "医保.xlsx"
    wb.save(path)
    report = import_external_list.fn(str(path), ListSource.INSURANCE, DAY, "coordinator")
    assert report.written == 2
    assert _rows() == [(people["A"], "insurance", DAY, None, True), (people["B"], "insurance", DAY, None, False)]


@pytest.mark.parametrize(
    ("body", "source", "message"),
    [
        pytest.param(f"身份证号,状态\n{A},低保\n{A[:17]}0,低保\n", ListSource.CIVIL_AFFAIRS, "line 3: national_id",
                     id="bad check digit"),
        pytest.param(f"身份证号,状态\n{A},建档立卡\n", ListSource.CIVIL_AFFAIRS, "line 2: status",
                     id="a status civil affairs does not give"),
        pytest.param("姓名,状态\n张三,低保\n", ListSource.CIVIL_AFFAIRS, "line 1: national_id or household_ref",
                     id="no ID or household column"),
        pytest.param(f"身份证号,参保状态\n{A},也许\n", ListSource.INSURANCE, "line 2: status", id="insured: yes/no"),
    ],
)  # fmt: skip
def test_bad_row_rejects_file(
    tmp_path: Path, people: dict[str, int], body: str, source: ListSource, message: str
) -> None:
    if body.count(A[:17]) == 2 and A.endswith("0"):
        body = body.replace(f"{A[:17]}0", f"{A[:17]}1")
    path = tmp_path / "list.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ImportRejected, match=message) as err:
        import_external_list.fn(str(path), source, DAY, "coordinator")
    assert A not in str(err.value) and "张三" not in str(err.value)
    assert _rows() == []


def test_a_list_dated_after_today_is_refused(tmp_path: Path, people: dict[str, int]) -> None:
    path = tmp_path / "list.csv"
    path.write_text(f"身份证号,状态\n{A},低保\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"^date: 2999-01-01 is after today \(.*\) / 日期晚于今天$"):
        import_external_list.fn(str(path), ListSource.CIVIL_AFFAIRS, date(2999, 1, 1), "coordinator")
    assert _rows() == []


def test_people_outside_the_actors_scope_are_unmatched(tmp_path: Path, people: dict[str, int]) -> None:
    path = tmp_path / "list.csv"
    path.write_text(f"身份证号,状态\n{A},低保\n", encoding="utf-8")
    report = import_external_list.fn(str(path), ListSource.CIVIL_AFFAIRS, DAY, "xinping-coordinator")
    assert (report.matched, report.written, report.unmatched_lines) == (0, 0, [2])
    assert PovertyStatus.MINIMUM_LIVING not in [r[3] for r in _rows()]
