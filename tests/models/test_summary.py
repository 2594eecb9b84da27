"""Summary rules (pure): period windows, the treatment-rate series, cumulative rates, histogram bins and the
day a scheduled (``previous``) summary reports."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from models.summary import (
    BINS,
    Period,
    chart_folder,
    cumulative_rates,
    period_window,
    ratio_bin,
    reported_day,
    series_ends,
)


@pytest.mark.parametrize(
    ("period", "on", "window", "first_end", "reason"),
    [
        ("daily", date(2017, 3, 15), (date(2017, 3, 15), date(2017, 3, 15)), date(2017, 2, 14), "30 days back"),
        ("weekly", date(2017, 3, 15), (date(2017, 3, 13), date(2017, 3, 19)), date(2017, 1, 1), "Monday-Sunday"),
        ("monthly", date(2017, 3, 15), (date(2017, 3, 1), date(2017, 3, 31)), date(2016, 4, 30), "12 month ends"),
        ("monthly", date(2016, 2, 10), (date(2016, 2, 1), date(2016, 2, 29)), date(2015, 3, 31), "leap February"),
    ],
)
def test_period_windows(period: Period, on: date, window: tuple[date, date], first_end: date, reason: str) -> None:
    ends = series_ends(period, on)
    assert (period_window(period, on), ends[0], ends[-1]) == (window, first_end, window[1]), reason


def test_cumulative_rates() -> None:
    ends = [date(2017, 3, d) for d in (1, 10, 20)]
    confirmed = [("long_term", date(2017, 3, 5), 4), ("long_term", None, 1), ("maintenance", date(2017, 3, 15), 2)]
    treated = [
        ("long_term", date(2017, 3, 8), 2),
        ("long_term", date(2017, 3, 18), 3),
        ("maintenance", date(2017, 3, 19), 1),
    ]
    assert cumulative_rates(confirmed, treated, ends) == {
        "long_term": [0.0, 40.0, 100.0],  # the undated case counts from the start
        "maintenance": [None, None, 50.0],  # no case confirmed yet: no rate rather than 0%
    }


def test_categories_come_in_triage_order_not_alphabetical() -> None:
    day = date(2017, 3, 1)
    confirmed = [(c, day, 1) for c in ("long_term", "one_time_cure", "maintenance")]
    assert list(cumulative_rates(confirmed, [], [day])) == ["one_time_cure", "maintenance", "long_term"]


@pytest.mark.parametrize(
    ("period", "run_on", "expected", "reason"),
    [
        ("daily", date(2017, 3, 1), date(2017, 2, 28), "07:00 on the 1st reports the last day of February"),
        ("weekly", date(2017, 3, 13), date(2017, 3, 12), "Monday reports the week that ended on Sunday"),
        ("monthly", date(2017, 1, 1), date(2016, 12, 31), "January 1st reports December of the year before"),
    ],
)
def test_a_scheduled_summary_reports_the_period_just_ended(
    period: Period, run_on: date, expected: date, reason: str
) -> None:
    day = reported_day(period, run_on, previous=True)
    assert day == expected, reason
    assert period_window(period, day)[1] == run_on - timedelta(days=1), "ends the day before the run"
    assert reported_day(period, run_on, previous=False) == run_on
    assert chart_folder("var/reports", period, day, None) == f"var/reports/{period}-{day.isoformat()}-all"


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [("0", 0), ("0.0499", 0), ("0.05", 1), ("0.1000", 2), ("0.9999", BINS - 1), ("1", BINS - 1)],
)
def test_ratio_bins_are_five_points_wide_and_100_percent_is_in_the_last(ratio: str, expected: int) -> None:
    assert ratio_bin(Decimal(ratio)) == expected


@pytest.mark.parametrize(
    ("setting", "home", "hospital", "ratio", "counted"),
    [
        pytest.param("inpatient", "520527", "520527", "0.1001", True,
                     id="in-county inpatient above 10%: flagged by the engine, counted by the summary"),
        pytest.param("inpatient", "520527", "520527", "0.1000", False, id="exactly 10%: within the target"),
        pytest.param("inpatient", "520527", "520500", "0.3000", False,
                     id="out-of-county bill: not measured against the in-county target (issue 19: 1,518 vs 1,050)"),
        pytest.param("outpatient", "520527", "520527", "0.3000", False, id="outpatient course: not an inpatient bill"),
    ],
)  # fmt: skip
def test_over_target_counts_what_the_settlement_flag_counts(
    setting: str, home: str, hospital: str, ratio: str, counted: bool
) -> None:
    from models.summary import over_target

    assert over_target(setting, home, hospital, Decimal(ratio)) is counted
