"""Pure rules of the corrections: the status and groups in force on a date, which step an undo reverts, what a
corrected diagnosis does, the reason text; contract terms and the contract rate. One row per rule, with why."""

from __future__ import annotations

from datetime import date

import pytest

from models.contracts import Term, contract_rate, current_term, in_force, overlapping, term_until
from models.corrections import (
    CorrectionRefused,
    DiagnosisMove,
    FactKind,
    FactRow,
    Step,
    diagnosis_move,
    facts_on,
    reason_text,
    step_to_undo,
)
from models.enums import CaseState as S
from models.enums import PovertyStatus as P
from models.errors import BadInput

ST, ADD, REM = FactKind.STATUS, FactKind.GROUP_ADDED, FactKind.GROUP_REMOVED
HISTORY = [
    FactRow(ST, "registered_poor", date(1900, 1, 1), 1),
    FactRow(ST, "minimum_living", date(2017, 6, 1), 2),
    FactRow(ADD, "severe_illness", date(2017, 3, 1), 3),
    FactRow(ADD, "disaster_struck", date(2017, 3, 1), 4),
    FactRow(REM, "disaster_struck", date(2017, 8, 1), 5),
    FactRow(ST, "edge", date(2017, 6, 1), 6),  # recorded later for the same date: a correction of row 2
    FactRow(ADD, "disaster_struck", date(2017, 10, 1), 7),
]


@pytest.mark.parametrize(
    ("rows", "on", "fallback", "expected"),
    [
        pytest.param([], date(2017, 1, 1), P.DESTITUTE, (P.DESTITUTE, frozenset()), id="no history: registered status"),
        pytest.param([], date(2017, 1, 1), None, (None, frozenset()), id="no history, no fallback: unknown"),
        pytest.param(HISTORY, date(2017, 2, 28), None, (P.REGISTERED_POOR, frozenset()), id="before any change"),
        pytest.param(
            HISTORY,
            date(2017, 3, 1),
            None,
            (P.REGISTERED_POOR, {"severe_illness", "disaster_struck"}),
            id="a row counts from its own date",
        ),
        pytest.param(
            HISTORY,
            date(2017, 6, 1),
            None,
            (P.EDGE, {"severe_illness", "disaster_struck"}),
            id="same date: the later-recorded row corrects the earlier",
        ),
        pytest.param(HISTORY, date(2017, 8, 1), None, (P.EDGE, {"severe_illness"}), id="a group left from a date"),
        pytest.param(
            HISTORY,
            date(2017, 10, 1),
            None,
            (P.EDGE, {"severe_illness", "disaster_struck"}),
            id="and joined again later",
        ),
        pytest.param(
            HISTORY[1:2],
            date(2017, 1, 1),
            P.GENERAL,
            (P.GENERAL, frozenset()),
            id="a future-dated row is not in force yet",
        ),
    ],
)
def test_facts_on(rows: list[FactRow], on: date, fallback: P | None, expected: tuple[P | None, object]) -> None:
    assert facts_on(rows, on, fallback) == (expected[0], frozenset(expected[1]))  # type: ignore[arg-type]


OPENED = Step(1, None, S.SCREENED)
PATH = [OPENED, Step(2, S.SCREENED, S.CONFIRMED), Step(3, S.CONFIRMED, S.TRIAGED), Step(4, S.TRIAGED, S.REFERRED)]


@pytest.mark.parametrize(
    ("steps", "undos", "state", "expected"),
    [
        pytest.param(PATH, [], S.REFERRED, 4, id="the last step"),
        pytest.param(
            [*PATH, Step(5, S.REFERRED, S.TRIAGED)],
            [5],
            S.TRIAGED,
            3,
            id="undoing twice goes two steps back (an undo row pops the step it reverted)",
        ),
        pytest.param([*PATH[:3], Step(9, S.TRIAGED, S.CLOSED)], [], S.CLOSED, 9, id="a close can be undone"),
    ],
)
def test_step_to_undo(steps: list[Step], undos: list[int], state: S, expected: int) -> None:
    assert step_to_undo(steps, undos, state).id == expected


@pytest.mark.parametrize(
    ("steps", "state", "message"),
    [
        pytest.param([OPENED], S.SCREENED, "first step", id="nothing before the case was opened"),
        pytest.param(
            [*PATH, Step(5, S.REFERRED, S.IN_TREATMENT)],
            S.IN_TREATMENT,
            "opened a stay",
            id="an admission opened a stay",
        ),
        pytest.param(
            [
                *PATH,
                Step(5, S.REFERRED, S.IN_TREATMENT),
                Step(6, S.IN_TREATMENT, S.DISCHARGED),
                Step(7, S.DISCHARGED, S.SETTLED),
            ],
            S.SETTLED,
            "reversed",
            id="a settled stay must be reversed first",
        ),
        pytest.param(PATH, S.TRIAGED, "now triaged", id="the case is no longer where the step left it"),
    ],
)
def test_step_to_undo_refuses(steps: list[Step], state: S, message: str) -> None:
    with pytest.raises(CorrectionRefused, match=message):
        step_to_undo(steps, [], state)


def test_a_diagnosis_corrections_move_is_not_undone() -> None:
    """Undoing it would leave the corrected code with the old state: the diagnosis is corrected again."""
    with pytest.raises(CorrectionRefused, match="correct the diagnosis again"):
        step_to_undo([*PATH, Step(5, S.REFERRED, S.TRIAGED)], [], S.TRIAGED, corrected=[5])


@pytest.mark.parametrize(
    ("state", "old", "new", "expected"),
    [
        pytest.param(S.SCREENED, None, "hypertension", DiagnosisMove.RECODE, id="not confirmed yet: only the code"),
        pytest.param(S.CONFIRMED, None, "hypertension", DiagnosisMove.TRIAGE, id="confirmed: triage now"),
        pytest.param(S.REFERRED, "hypertension", "hypertension", DiagnosisMove.RECODE, id="same disease"),
        pytest.param(
            S.REFERRED,
            "hypertension",
            "diabetes",
            DiagnosisMove.RETRIAGE,
            id="another disease before treatment: triaged again, referred again",
        ),
        pytest.param(
            S.UNDER_MANAGEMENT,
            "hypertension",
            "esrd_dialysis",
            DiagnosisMove.RECATEGORISE,
            id="another disease after treatment: new category",
        ),
        pytest.param(
            S.TRIAGED, "hypertension", None, DiagnosisMove.CLOSE, id="not a special disease before treatment: closed"
        ),
        pytest.param(
            S.IN_TREATMENT,
            "hypertension",
            None,
            DiagnosisMove.HOLD,
            id="not a special disease in treatment: a coordinator decides",
        ),
    ],
)
def test_diagnosis_move(state: S, old: str | None, new: str | None, expected: DiagnosisMove) -> None:
    assert diagnosis_move(state, old, new) == expected


def test_a_closed_case_is_not_re_diagnosed() -> None:
    with pytest.raises(CorrectionRefused, match="closed"):
        diagnosis_move(S.CLOSED, "hypertension", "diabetes")


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        pytest.param("  民政复核为低保 ", "民政复核为低保", id="trimmed"),
        pytest.param("", None, id="a reason is required"),
        pytest.param("x" * 201, None, id="at most 200 characters"),
        pytest.param("a\nb", None, id="one line"),
        pytest.param("id 52052719500304011X", None, id="no ID-shaped number"),
    ],
)
def test_reason_text(text: str, ok: str | None) -> None:
    if ok is None:
        with pytest.raises(BadInput, match=r"^reason:"):
            reason_text(text)
    else:
        assert reason_text(text) == ok


@pytest.mark.parametrize(
    ("start", "years", "until"),
    [
        pytest.param(date(2017, 4, 1), 1, date(2018, 3, 31), id="a year is the day before the anniversary"),
        pytest.param(date(2016, 2, 29), 1, date(2017, 2, 28), id="29 February: until 28 February"),
        pytest.param(date(2017, 1, 1), 3, date(2019, 12, 31), id="three years"),
    ],
)
def test_term_until(start: date, years: int, until: date) -> None:
    assert term_until(start, years) == until


TERM = Term(1, date(2017, 4, 1), date(2018, 3, 31))


@pytest.mark.parametrize(
    ("term", "on", "expected"),
    [
        pytest.param(TERM, date(2017, 3, 31), False, id="before it is signed"),
        pytest.param(TERM, date(2018, 3, 31), True, id="on its last day"),
        pytest.param(TERM, date(2018, 4, 1), False, id="expired"),
        pytest.param(TERM._replace(ended_on=date(2017, 9, 1)), date(2017, 8, 31), True, id="the day before its end"),
        pytest.param(TERM._replace(ended_on=date(2017, 9, 1)), date(2017, 9, 1), False, id="ended that day"),
    ],
)
def test_in_force(term: Term, on: date, expected: bool) -> None:
    assert in_force(term, on) is expected


def test_current_term_and_rate() -> None:
    renewed = Term(2, date(2018, 4, 1), date(2019, 3, 31))
    assert current_term([TERM, renewed], date(2018, 5, 1)) == renewed
    assert current_term([TERM, renewed], date(2019, 5, 1)) is None
    assert (contract_rate(2586, 2949), contract_rate(719, 719), contract_rate(0, 0)) == ("87.7%", "100.0%", "0.0%")


ENDED = TERM._replace(ended_on=date(2017, 9, 1))


@pytest.mark.parametrize(
    ("term", "start", "until", "expected"),
    [
        pytest.param(TERM, date(2017, 1, 1), date(2017, 3, 31), None, id="ends the day before the term starts"),
        pytest.param(TERM, date(2017, 1, 1), date(2017, 12, 31), 1, id="runs into it (not in force on its start)"),
        pytest.param(TERM, date(2018, 4, 1), date(2019, 3, 31), None, id="starts the day after it expires"),
        pytest.param(ENDED, date(2017, 9, 1), date(2018, 8, 31), None, id="starts on the day it ended"),
        pytest.param(ENDED, date(2017, 8, 31), date(2018, 8, 30), 1, id="starts on its last day"),
    ],
)
def test_overlapping(term: Term, start: date, until: date, expected: int | None) -> None:
    found = overlapping([term], start, until)
    assert (found.id if found else None) == expected
