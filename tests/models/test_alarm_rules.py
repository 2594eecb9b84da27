"""Regional, effective-dated alarm rules with their cadence (models/alarm_rules.py), one row per rule with its
reason; the rule data is config/data/alarm_rules.yaml (figures from issue 19, quoted in each row)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from config.nightly import load_alarm_rules
from models.alarm_rules import (
    Cadence,
    HouseholdSpend,
    LookBack,
    RegionalRule,
    due_rules,
    is_due,
    regional_alarms,
    window_start,
)
from models.enums import PovertyStatus as P

BOOK = load_alarm_rules()
YANGYUAN, BINZHOU, XIAN, HEZHANG = "130727", "371602", "610113", "520527"


@pytest.mark.parametrize(
    ("cadence", "night", "due"),
    [
        pytest.param(Cadence.TEN_DAYS, date(2022, 3, 10), True, id="每旬: the 10th"),
        pytest.param(Cadence.TEN_DAYS, date(2022, 3, 20), True, id="每旬: the 20th"),
        pytest.param(Cadence.TEN_DAYS, date(2022, 2, 28), True, id="每旬: the last day of a short month"),
        pytest.param(Cadence.TEN_DAYS, date(2022, 3, 11), False, id="每旬: not between"),
        pytest.param(Cadence.MONTHLY, date(2024, 2, 29), True, id="monthly: month end in a leap year"),
        pytest.param(Cadence.MONTHLY, date(2024, 2, 28), False, id="monthly: not the 28th of a leap February"),
        pytest.param(Cadence.QUARTERLY, date(2024, 6, 30), True, id="quarterly: end of June"),
        pytest.param(Cadence.QUARTERLY, date(2024, 5, 31), False, id="quarterly: a month end inside a quarter"),
        pytest.param(Cadence.DAILY, date(2024, 5, 17), True, id="daily: every night"),
    ],
)
def test_cadence(cadence: Cadence, night: date, due: bool) -> None:
    assert is_due(cadence, night) is due


@pytest.mark.parametrize(
    ("look_back", "night", "start"),
    [
        pytest.param(LookBack.CALENDAR_YEAR, date(2022, 9, 30), date(2022, 1, 1), id="阳原: the year so far"),
        pytest.param(LookBack.TWELVE_MONTHS, date(2024, 6, 30), date(2023, 7, 1), id="滨州: 12-month look-back"),
        pytest.param(LookBack.TWELVE_MONTHS, date(2024, 2, 29), date(2023, 3, 1), id="12 months from 29 February"),
    ],
)
def test_window(look_back: LookBack, night: date, start: date) -> None:
    assert window_start(look_back, night) == start


@pytest.mark.parametrize(
    ("region", "night", "expected"),
    [
        pytest.param(YANGYUAN, date(2022, 3, 10), {"yy_lifted_over_half_income": "9089.50"},
                     id="阳原 2022 on the 10th: only the 10-day rule, 50% of Hebei's 2021 rural income 18,179"),
        pytest.param(YANGYUAN, date(2022, 3, 31), {"yy_lifted_over_half_income": "9089.50",
                                                    "yy_other_over_income": "18179.00"},
                     id="阳原 at month end: both, 100% for others"),
        pytest.param(YANGYUAN, date(2021, 12, 31), None, id="阳原 before 2022: not in force, defaults apply"),
        pytest.param(BINZHOU, date(2024, 6, 30), {"bz_resident_over_half_income": "18000.00",
                                                   "bz_edge_monitored_over_income": "54000.00"},
                     id="滨州 2024 quarter end: 50% / 150% of the city's 2023 income"),
        pytest.param(BINZHOU, date(2024, 5, 31), {}, id="滨州 in mid-quarter: rule set in force, nothing due"),
        pytest.param(XIAN, date(2025, 1, 31), {"xa_low_income_over_10000": "10000.00",
                                                "xa_other_over_26000": "26000.00"},
                     id="西安 2025 monthly: 10,000 low-income / 26,000 others"),
        pytest.param(HEZHANG, date(2025, 1, 31), None, id="a county without a rule set keeps the defaults"),
    ],
)  # fmt: skip
def test_due_rules(region: str, night: date, expected: dict[str, str] | None) -> None:
    due = due_rules(BOOK, region, night)
    got = None if due is None else {d.rule.name: str(d.limit) for d in due}
    assert got == expected


def _spend(status: P, amount: str, region: str, start: date) -> HouseholdSpend:
    return HouseholdSpend(7, region, status, {start: Decimal(amount)})


@pytest.mark.parametrize(
    ("region", "night", "status", "spent", "rules"),
    [
        pytest.param(YANGYUAN, date(2022, 3, 31), P.REGISTERED_POOR, "9089.51", ["yy_lifted_over_half_income"],
                     id="脱贫 1 fen above 50% alarms"),
        pytest.param(YANGYUAN, date(2022, 3, 31), P.REGISTERED_POOR, "9089.50", [], id="exactly 50%: not above"),
        pytest.param(YANGYUAN, date(2022, 3, 31), P.GENERAL, "10000.00", [], id="others need 100%"),
        pytest.param(YANGYUAN, date(2022, 3, 10), P.GENERAL, "20000.00", [],
                     id="others are checked monthly, not on the 10th"),
        pytest.param(BINZHOU, date(2024, 6, 30), P.EDGE, "20000.00", [], id="低保边缘 need 150%, not 50%"),
        pytest.param(BINZHOU, date(2024, 6, 30), P.GENERAL, "18000.01", ["bz_resident_over_half_income"],
                     id="滨州 resident above 50%"),
        pytest.param(XIAN, date(2025, 3, 31), P.MINIMUM_LIVING, "10000.01", ["xa_low_income_over_10000"],
                     id="西安 低保 above 10,000"),
        pytest.param(XIAN, date(2025, 3, 31), P.GENERAL, "25000.00", [], id="西安 others under 26,000"),
    ],
)  # fmt: skip
def test_regional_alarms(region: str, night: date, status: P, spent: str, rules: list[str]) -> None:
    due = due_rules(BOOK, region, night) or []
    starts = {d.start for d in due}
    rows = [HouseholdSpend(7, region, status, dict.fromkeys(starts, Decimal(spent)))]
    assert [a.rule for a in regional_alarms(rows, {region: due})] == rules


def test_a_rule_names_one_limit() -> None:
    with pytest.raises(ValueError, match="either amount, or share with basis"):
        RegionalRule(name="x", statuses=frozenset({P.GENERAL}), cadence=Cadence.MONTHLY, amount=Decimal("1.00"),
                     share=Decimal("0.5"))  # fmt: skip


def test_every_income_figure_names_its_source() -> None:
    assert all(f.source for f in BOOK.incomes)
