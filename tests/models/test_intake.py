"""Screening rows: every bad field reported by line and field (header line 1), values normalised, Chinese
headers and poverty labels, the screening-date rules."""

from __future__ import annotations

from datetime import date

import pytest

from models import national_id
from models.enums import PovertyStatus
from models.intake import Checked, ImportRejected, RowError, parse_screenings
from models.intake_columns import csv_encoding

HEADER = "household_ref,national_id,name,region_code,poverty_status,screened_on,icd10"
ZH_HEADER = "户编号,身份证号,姓名,行政区划代码,贫困属性,筛查日期,诊断编码"
GOOD_ID = national_id.make("520527", date(1961, 5, 4), 17)
OTHER_ID = national_id.make("520527", date(1990, 1, 2), 18)
BAD_CHECK = GOOD_ID[:17] + ("0" if GOOD_ID[17] != "0" else "1")
TODAY = date(2017, 6, 30)


def parse(*lines: str, header: str = HEADER) -> list[Checked]:
    text = "\n".join((header, *lines))
    return parse_screenings(text, known_region=lambda c: c in {"520527", "530427"}, today=TODAY)


def test_good_rows_parse_and_normalise() -> None:
    rows = parse(
        f"H1,{GOOD_ID.lower()},张三,520527,registered_poor,2017-03-02,i10",
        f"H1,{GOOD_ID},张三,520527,registered_poor,2017-03-02,N18.5",
        "",
        f"H2,{OTHER_ID},李四,530427,destitute,2017-03-03,Q21.0",
    )
    assert [r.line for r in rows] == [2, 3, 5]
    assert rows[0].icd10 == "I10"


def test_chinese_headers_and_labels() -> None:
    rows = parse(
        f"H1,{GOOD_ID},张三,520527,建档立卡,2017-03-02,I10.x00x002",
        f"H2,{OTHER_ID},李四,530427,低保,2017-03-02,C34.900x001",
        header=ZH_HEADER,
    )
    assert [(r.poverty_status, r.icd10) for r in rows] == [
        (PovertyStatus.REGISTERED_POOR, "I10.X00X002"),
        (PovertyStatus.MINIMUM_LIVING, "C34.900X001"),
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param(
            f"H1,{BAD_CHECK},张三,520527,general,2017-03-02,I10",
            RowError(2, "national_id", "check digit does not match (GB 11643)"),
            id="bad ID check digit",
        ),
        pytest.param(
            f"H1,{GOOD_ID},张三,999999,general,2017-03-02,I10",
            RowError(2, "region_code", "unknown region 999999"),
            id="unknown region",
        ),
        pytest.param(
            f"H1,{GOOD_ID},张三,520527,general,2017-03-02,K99",
            RowError(2, "icd10", "unknown ICD-10 code K99: K99 is not a WHO ICD-10 category"),
            id="K99 is not ICD-10",
        ),
        pytest.param(
            f"H1,{GOOD_ID},,520527,general,2017-03-02,I10", RowError(2, "name", "missing"), id="missing field"
        ),
        pytest.param(
            f"H1,{GOOD_ID},张三,520527,rich,2017-03-02,I10",
            RowError(
                2,
                "poverty_status",
                "must be one of registered_poor/建档立卡, minimum_living/低保, destitute/特困, edge/边缘户, "
                "monitored/监测户, general/普通",
            ),
            id="unknown poverty status",
        ),
        pytest.param(
            f"H1,{GOOD_ID},张三,520527,general,2017-02-30,I10",
            RowError(2, "screened_on", "not a real date"),
            id="impossible date",
        ),
        pytest.param(
            f"H1,{GOOD_ID},张三,520527,general,2017/03/02,I10",
            RowError(2, "screened_on", "must be a date written YYYY-MM-DD"),
            id="date in another format",
        ),
        pytest.param(
            f"H1,{GOOD_ID},张三,520527,general,2017-07-01,I10",
            RowError(2, "screened_on", "in the future (after today, 2017-06-30)"),
            id="issue 17: screened in the future (2030)",
        ),
        pytest.param(
            f"H1,{GOOD_ID},张三,520527,general,1961-05-03,I10",
            RowError(2, "screened_on", "before the birth date in the ID number"),
            id="screened before being born",
        ),
    ],
)
def test_each_bad_value_names_line_and_field(line: str, expected: RowError) -> None:
    with pytest.raises(ImportRejected) as err:
        parse(line)
    assert err.value.errors == [expected]
    assert GOOD_ID not in str(err.value)


def test_screened_on_the_birth_day_and_today_are_accepted() -> None:
    assert len(parse(f"H1,{GOOD_ID},张三,520527,general,1961-05-04,I10",
                     f"H1,{GOOD_ID},张三,520527,general,2017-06-30,N18.5")) == 2  # fmt: skip


def test_all_bad_rows_are_reported_not_just_the_first() -> None:
    with pytest.raises(ImportRejected) as err:
        parse(
            f"H1,{GOOD_ID},张三,520527,general,2017-03-02,I10",
            f"H2,{BAD_CHECK},李四,999999,general,2017-03-02,ZZ9",
            "H3,,王五,520527,general,2017-03-02,I10",
        )
    assert {(e.line, e.field) for e in err.value.errors} == {
        (3, "national_id"),
        (3, "region_code"),
        (3, "icd10"),
        (4, "national_id"),
    }
    assert "nothing imported" in str(err.value)


def test_missing_column_in_header() -> None:
    with pytest.raises(ImportRejected) as err:
        parse_screenings("household_ref,姓名\nH1,x", known_region=lambda c: True)
    assert {e.field for e in err.value.errors} == {
        "national_id",
        "region_code",
        "poverty_status",
        "screened_on",
        "icd10",
    }
    assert all(e.line == 1 for e in err.value.errors)


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def _arabic_indic(text: str) -> str:
    return "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in text)


def test_ids_and_region_codes_in_other_digits_are_read_as_ascii() -> None:
    rows = parse(
        f"H1,{GOOD_ID},张三,520527,registered_poor,2017-03-02,I10",
        f"H1,{_fullwidth(GOOD_ID)},张三,{_fullwidth('520527')},registered_poor,2017-03-02,N18.5",
        f"H1,{_arabic_indic(GOOD_ID)},张三,{_arabic_indic('520527')},registered_poor,2017-03-02,Q21.0",
    )
    assert {(r.national_id, r.region_code) for r in rows} == {(GOOD_ID, "520527")}


@pytest.mark.parametrize(
    ("data", "encoding", "reason"),
    [
        ("姓名,张三\n".encode(), "utf-8-sig", "UTF-8"),
        ("\ufeff姓名,张三\n".encode(), "utf-8-sig", "UTF-8 with BOM (Excel's 'CSV UTF-8')"),
        ("姓名,张三\n".encode("gbk"), "gb18030", "GBK (Excel's 'CSV' on Chinese Windows)"),
        ("姓名,𠀀\n".encode("gb18030"), "gb18030", "GB18030 four-byte characters"),
    ],
)
def test_csv_encoding_is_detected(data: bytes, encoding: str, reason: str) -> None:
    assert csv_encoding([data[:3], data[3:]]) == encoding, reason
