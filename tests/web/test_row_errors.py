"""The upload page words the importer's row errors in Chinese (``web.row_errors``): each message the row checker
really gives, for a row with one bad field."""

from __future__ import annotations

from datetime import date

import pytest

from models import national_id
from models.intake import RowChecker
from web.row_errors import row_error

GOOD = {
    "household_ref": "H1",
    "national_id": national_id.make("520527", date(1960, 3, 4), 5),
    "name": "王五",
    "region_code": "520527",
    "poverty_status": "registered_poor",
    "screened_on": "2026-11-01",
    "icd10": "I10",
}


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("screened_on", "2026-02-30", "不是真实存在的日期"),
        ("screened_on", "1/11/2026", "日期格式应为 YYYY-MM-DD"),
        ("screened_on", "2026-12-25", "晚于今天（2026-12-01）"),
        ("screened_on", "1950-01-01", "早于身份证号中的出生日期"),
        ("screened_on", "", "必填，不能为空"),
        ("national_id", "52052719600304005", "身份证号应为 17 位数字加 1 位数字或 X"),
        ("national_id", GOOD["national_id"][:-1] + ("1" if GOOD["national_id"][-1] != "1" else "2"), "校验位不符"),
        ("region_code", "52052", "应为 6 位数字"),
        ("region_code", "999999", "未知的地区编码 999999"),
        ("poverty_status", "rich", "应为以下之一"),
        ("household_ref", "H" * 41, "超过 40 个字符"),
    ],
)
def test_each_row_error_reads_in_chinese(field: str, value: str, expected: str) -> None:
    checker = RowChecker(lambda code: code.startswith("52"), date(2026, 12, 1))
    _, errors = checker.check(2, {**GOOD, field: value})
    assert [e.field for e in errors] == [field]
    shown = row_error(errors[0].message)
    assert expected in shown, (errors[0].message, shown)
    assert errors[0].message not in shown


def test_an_unknown_message_is_shown_as_it_is() -> None:
    assert row_error("something new") == "something new"
