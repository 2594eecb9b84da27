"""季通报 / 年考核 periods, rates and ranking (pure)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from models.bulletin import (
    BadPeriod,
    BulletinData,
    BulletinKind,
    CountyFigures,
    bulletin_markdown,
    period_bounds,
    previous_period,
    ranked,
    rate,
)


@pytest.mark.parametrize(
    ("kind", "period", "bounds"),
    [
        pytest.param("quarterly", "2017Q3", (date(2017, 7, 1), date(2017, 9, 30)), id="Q3"),
        pytest.param("quarterly", "2017q4", (date(2017, 10, 1), date(2017, 12, 31)), id="Q4 ends the year"),
        pytest.param("quarterly", "2016Q1", (date(2016, 1, 1), date(2016, 3, 31)), id="Q1"),
        pytest.param("annual", "2017", (date(2017, 1, 1), date(2017, 12, 31)), id="a calendar year"),
    ],
)
def test_period_bounds(kind: BulletinKind, period: str, bounds: tuple[date, date]) -> None:
    assert period_bounds(kind, period) == bounds


@pytest.mark.parametrize(("kind", "period"), [("quarterly", "2017"), ("quarterly", "2017Q5"), ("annual", "2017Q1")])
def test_bad_period(kind: BulletinKind, period: str) -> None:
    with pytest.raises(BadPeriod, match=r"^period: "):
        period_bounds(kind, period)


@pytest.mark.parametrize(
    ("kind", "today", "period"),
    [
        pytest.param("quarterly", date(2018, 1, 1), "2017Q4", id="1 January: last year's Q4 (schedule)"),
        pytest.param("quarterly", date(2017, 10, 1), "2017Q3", id="1 October: Q3"),
        pytest.param("quarterly", date(2017, 5, 20), "2017Q1", id="mid-quarter: the last finished one"),
        pytest.param("annual", date(2018, 1, 2), "2017", id="January: last year (年考核)"),
    ],
)
def test_previous_period(kind: BulletinKind, today: date, period: str) -> None:
    assert previous_period(kind, today) == period


def test_rate_and_ranking() -> None:
    assert rate(2586, 2949) == Decimal("87.7") and rate(719, 719) == Decimal("100.0") and rate(1, 0) is None
    a = CountyFigures(region_code="1", name="a", special_cases=4, treated=3)
    b = CountyFigures(region_code="2", name="b", special_cases=1, treated=1)
    c = CountyFigures(region_code="3", name="c")  # no base: last
    d = CountyFigures(
        region_code="4", name="d", special_cases=4, treated=3, in_county_bills=2, in_county_within_target=2
    )
    assert [x.region_code for x in ranked([c, a, b, d])] == ["2", "4", "1", "3"]


def test_the_alarms_section_names_each_kind_in_chinese() -> None:
    county = CountyFigures(region_code="520527", name="赫章县", alarms={"overdue_follow_up": 3, "poverty_alarm": 2})
    data = BulletinData(kind="quarterly", period="2017Q4", start=date(2017, 10, 1), end=date(2017, 12, 31),
                        scope="5205", counties=[county])  # fmt: skip
    text = bulletin_markdown(data)
    assert "- 赫章县（520527）：随访逾期 3，防返贫预警 2" in text
    assert "overdue_follow_up" not in text and "poverty_alarm" not in text
