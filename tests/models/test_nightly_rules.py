"""Pure rules of the nightly run, one row per rule with its reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from config.catalogue import load_catalogue
from config.nightly import load_nightly_rules
from models.enums import CaseState, Category, PovertyStatus
from models.nightly import HouseholdYear, chunk_bounds, cutoffs, poverty_alarms, retriage_move

RULES = load_nightly_rules().poverty_alarm
S = CaseState


@pytest.mark.parametrize(
    ("state", "category", "expected"),
    [
        pytest.param(
            S.UNDER_MAINTENANCE, Category.LONG_TERM, S.UNDER_MANAGEMENT, id="treated case follows its new category"
        ),
        pytest.param(S.UNDER_MANAGEMENT, Category.MAINTENANCE, S.UNDER_MAINTENANCE, id="and back"),
        pytest.param(S.UNDER_MANAGEMENT, Category.LONG_TERM, None, id="same outcome: no move"),
        pytest.param(S.TRIAGED, Category.LONG_TERM, None, id="before treatment only the category changes"),
        pytest.param(S.CURED, Category.LONG_TERM, None, id="cured may only be closed: no automatic move"),
        pytest.param(S.UNDER_MAINTENANCE, None, None, id="left the catalogue: a coordinator decides"),
    ],
)
def test_retriage_move(state: CaseState, category: Category | None, expected: CaseState | None) -> None:
    assert retriage_move(state, category) == expected


def hy(status: PovertyStatus, total: str, largest: dict[str, str | None], region: str = "520527") -> HouseholdYear:
    return HouseholdYear(1, region, status, Decimal(total), {k: Decimal(v) if v else None for k, v in largest.items()})


@pytest.mark.parametrize(
    ("row", "rules_hit"),
    [
        pytest.param(hy(PovertyStatus.MONITORED, "6000.01", {"monitored_stay_over_6000": "6000.01"}),
                     ["monitored_stay_over_6000", "lifted_year_over_half_income"],
                     id="monitored: one stay above 6,000 (and the year above half of 8,090)"),
        pytest.param(hy(PovertyStatus.MONITORED, "6000.00", {"monitored_stay_over_6000": "6000.00"}),
                     ["lifted_year_over_half_income"], id="a stay of exactly 6,000 is not above"),
        pytest.param(hy(PovertyStatus.GENERAL, "9000", {"resident_stay_over_10000": "9000"}),
                     ["resident_year_over_income"], id="resident: 9,000 < stay limit, > 2016 income"),
        pytest.param(hy(PovertyStatus.GENERAL, "8090.00", {"resident_stay_over_10000": "8090"}),
                     [], id="resident at exactly the income is not above"),
        pytest.param(hy(PovertyStatus.REGISTERED_POOR, "4045.01", {"monitored_stay_over_6000": "3000"}),
                     ["lifted_year_over_half_income"], id="lifted household: above half of last year's income"),
        pytest.param(hy(PovertyStatus.GENERAL, "20000", {}, region="440101"),
                     [], id="province without configured income: no year alarm"),
    ],
)  # fmt: skip
def test_poverty_alarms(row: HouseholdYear, rules_hit: list[str]) -> None:
    assert [a.rule for a in poverty_alarms([row], RULES, 2017)] == rules_hit


def test_chunk_bounds_cover_every_id_once() -> None:
    assert chunk_bounds([1, 11, 21], 25) == [(1, 10), (11, 20), (21, 25)]


def test_cutoffs_per_disease_interval() -> None:
    cut = cutoffs(date(2017, 12, 1), load_nightly_rules(), load_catalogue())
    assert cut.follow_up_before["hypertension"] == date(2017, 9, 2)  # 90 days
    assert cut.untreated_before == date(2017, 11, 1)
    assert cut.stuck_before[CaseState.DISCHARGED] == date(2017, 11, 24)
