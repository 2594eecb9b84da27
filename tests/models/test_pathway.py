"""The pathway state machine: every legal move, a sample of illegal ones, and the error text."""

from __future__ import annotations

import pytest

from models.enums import CaseState as S
from models.enums import Category
from models.pathway import TRANSITIONS, IllegalTransition, check_transition, is_legal, outcome_state

LEGAL = [(a, b) for a, targets in TRANSITIONS.items() for b in sorted(targets)]


@pytest.mark.parametrize(("from_state", "to_state"), LEGAL, ids=[f"{a}->{b}" for a, b in LEGAL])
def test_every_legal_move_is_accepted(from_state: S, to_state: S) -> None:
    check_transition(from_state, to_state)
    assert is_legal(from_state, to_state)


ILLEGAL = [
    pytest.param(S.SCREENED, S.TRIAGED, id="cannot triage a suspicion before it is confirmed"),
    pytest.param(S.SCREENED, S.SETTLED, id="cannot settle without treatment"),
    pytest.param(S.CONFIRMED, S.REFERRED, id="referral needs a triage category first"),
    pytest.param(S.TRIAGED, S.IN_TREATMENT, id="admission needs a referral to a designated hospital"),
    pytest.param(S.REFERRED, S.DISCHARGED, id="cannot discharge someone never admitted"),
    pytest.param(S.IN_TREATMENT, S.SETTLED, id="settlement happens at discharge, not during the stay"),
    pytest.param(S.DISCHARGED, S.CURED, id="outcome only after the one-stop settlement"),
    pytest.param(S.CURED, S.IN_TREATMENT, id="a cured case is not re-admitted: it relapses (triaged) first"),
    pytest.param(S.SETTLED, S.IN_TREATMENT, id="a settled case takes its outcome before the next stay"),
    pytest.param(S.TRIAGED, S.IN_TREATMENT, id="a first admission needs a referral"),
    pytest.param(S.CLOSED, S.SCREENED, id="closed is terminal"),
    pytest.param(S.CLOSED, S.CLOSED, id="closing twice is not a move"),
    pytest.param(S.SETTLED, S.SETTLED, id="settling twice is not a move"),
]


@pytest.mark.parametrize(("from_state", "to_state"), ILLEGAL)
def test_illegal_moves_raise_naming_both_states(from_state: S, to_state: S) -> None:
    with pytest.raises(IllegalTransition) as err:
        check_transition(from_state, to_state)
    assert from_state.value in str(err.value) and to_state.value in str(err.value)
    assert (err.value.from_state, err.value.to_state) == (from_state, to_state)


def test_every_state_has_a_row_and_every_live_state_can_close() -> None:
    assert set(TRANSITIONS) == set(S)
    for state, targets in TRANSITIONS.items():
        assert (S.CLOSED in targets) == (state != S.CLOSED), state


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        pytest.param(Category.ONE_TIME_CURE.value, S.CURED, id="one-time cure ends cured"),
        pytest.param(Category.MAINTENANCE.value, S.UNDER_MAINTENANCE, id="maintenance stays under maintenance"),
        pytest.param(Category.LONG_TERM.value, S.UNDER_MANAGEMENT, id="long-term goes to health management"),
        pytest.param(None, S.CLOSED, id="no category closes"),
    ],
)
def test_outcome_after_settlement(category: str | None, expected: S) -> None:
    assert outcome_state(category) == expected
    assert is_legal(S.SETTLED, expected)


LOOPS = [
    pytest.param(S.UNDER_MAINTENANCE, S.IN_TREATMENT, id="maintenance (dialysis): next month's stay, no new referral"),
    pytest.param(S.UNDER_MANAGEMENT, S.IN_TREATMENT, id="long-term care: an outpatient visit, no new referral"),
    pytest.param(S.CURED, S.TRIAGED, id="a cured case relapses: re-opened, referred again"),
]


@pytest.mark.parametrize(("from_state", "to_state"), LOOPS)
def test_loops_of_real_care(from_state: S, to_state: S) -> None:
    assert is_legal(from_state, to_state)
