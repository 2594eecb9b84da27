"""Ledger rows: headers in both languages, no identity columns, cell formatting and running totals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from models.ledger_rows import (
    ALARM_COLUMNS,
    LEDGER_COLUMNS,
    AlarmRow,
    LedgerRow,
    LedgerTotals,
    headers,
    number_formats,
    self_pay_ratio,
    text_cell,
)
from models.settlement.policy import PayerLayer

D = Decimal


def _row(case_id: int = 1, total: str | None = "40000.00", pays: str | None = "4000.00") -> LedgerRow:
    paid = {PayerLayer.BASIC_INSURANCE: D("30000.00"), PayerLayer.MEDICAL_ASSISTANCE: D("6000.00")} if total else {}
    return LedgerRow(
        case_id=case_id, patient_id=7, household_id=3, region_code="520527", disease_code="hypertension",
        disease_name="高血压", category="long_term", hospital_code="520527-PH", hospital_name="赫章县人民医院",
        state="settled", screened_on=date(2017, 3, 2), confirmed_on=date(2017, 3, 9), triaged_on=date(2017, 3, 9),
        admitted_on=date(2017, 3, 10), discharged_on=date(2017, 3, 20), settled_on=date(2017, 3, 21), paid=paid,
        total=D(total) if total else None, patient_pays=D(pays) if pays else None,
    )  # fmt: skip


def test_headers_line_up_with_cells_in_both_languages() -> None:
    row, alarm = _row(), AlarmRow(1, date(2017, 6, 1), "poverty_alarm", "520527", 7, 3, 1, D("7000.00"), "r", 1)
    for lang in ("zh", "en"):
        assert len(headers(LEDGER_COLUMNS, lang)) == len(row.cells()) == len(LedgerTotals().cells(lang))
        assert len(headers(ALARM_COLUMNS, lang)) == len(alarm.cells())
    assert headers(LEDGER_COLUMNS, "zh")[:3] == ["病例编号", "患者编号", "家庭编号"]
    assert headers(LEDGER_COLUMNS, "en")[-3:] == ["total_cost", "patient_pays", "self_pay_ratio"]


def test_no_identity_column_exists() -> None:
    keys = {k for k, _, _ in LEDGER_COLUMNS + ALARM_COLUMNS}
    zh = [h for cols in (LEDGER_COLUMNS, ALARM_COLUMNS) for h in headers(cols, "zh")]
    assert not keys & {"national_id", "name", "patient_name", "id_number"}
    assert not [h for h in zh if "身份证" in h or "姓名" in h]


@pytest.mark.parametrize(
    ("pays", "total", "expected", "reason"),
    [
        ("0.00", "39467.00", D("0.0000"), "贺遵贤: assistance covers everything"),
        ("9291.62", "114634.48", D("0.0811"), "徐飞: printed 8.11%"),
        ("1", "3", D("0.3333"), "rounded to four places"),
        ("2", "3", D("0.6667"), "half up, not truncated"),
        ("5", "0.00", None, "no bill: no ratio rather than a division by zero"),
    ],
)
def test_self_pay_ratio(pays: str, total: str, expected: Decimal | None, reason: str) -> None:
    assert self_pay_ratio(D(pays), D(total)) == expected, reason


@pytest.mark.parametrize(
    ("value", "text", "reason"),
    [
        (None, "", "missing dates and amounts are empty cells"),
        (date(2017, 3, 2), "2017-03-02", "ISO dates"),
        (D("38534.00"), "38534.00", "money keeps its two places"),
        (D("0.0811"), "0.0811", "ratio keeps four places"),
        (12, "12", "ids as integers"),
    ],
)
def test_text_cell(value: object, text: str, reason: str) -> None:
    assert text_cell(value) == text, reason  # type: ignore[arg-type]


def test_cells_show_zero_layers_once_settled_and_blank_before() -> None:
    settled, open_case = _row().cells(), _row(total=None, pays=None).cells()
    layers = slice(16, 20)
    assert settled[layers] == [D("30000.00"), D("0.00"), D("6000.00"), D("0.00")]
    assert open_case[layers] == [None] * 4 and open_case[-3:] == [None, None, None]
    assert settled[-1] == D("0.1000")


def test_totals_add_settled_rows_and_count_every_row() -> None:
    totals = LedgerTotals()
    for row in (_row(1), _row(2, "10000.00", "500.00"), _row(3, None, None)):
        totals.add(row)
    assert (totals.rows, totals.settled_cases) == (3, 2)
    assert totals.paid[PayerLayer.BASIC_INSURANCE] == D("60000.00")
    assert (totals.total, totals.patient_pays, totals.ratio) == (D("50000.00"), D("4500.00"), D("0.0900"))
    line = totals.cells("zh")
    assert line[:2] == ["合计", 3] and line[-3:] == [D("50000.00"), D("4500.00"), D("0.0900")]
    assert totals.as_strings()["supplementary"] == "0.00"


def test_number_formats_cover_money_dates_and_ratio() -> None:
    fmts = number_formats(LEDGER_COLUMNS)
    keys = [k for k, _, _ in LEDGER_COLUMNS]
    assert fmts[keys.index("total")] == "#,##0.00" and fmts[keys.index("screened_on")] == "yyyy-mm-dd"
    assert fmts[keys.index("self_pay_ratio")] == "0.00%" and keys.index("case_id") not in fmts
