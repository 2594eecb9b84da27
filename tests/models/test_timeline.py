"""Business dates in order (issue 17 Validation): screening ≤ confirmation ≤ referral ≤ admission ≤ discharge,
none in the future — one row per rule, each with its reason."""

from __future__ import annotations

from datetime import date

import pytest

from models.errors import BadInput
from models.timeline import DateOutOfOrder, Step, check_date

TODAY = date(2017, 12, 1)
CASE = {
    Step.SCREENED: date(2017, 2, 1),
    Step.CONFIRMED: date(2017, 2, 10),
    Step.REFERRED: date(2017, 2, 20),
    Step.PREVIOUS_DISCHARGE: None,
    Step.ADMITTED: date(2017, 3, 1),
}
LOOPED = {**CASE, Step.PREVIOUS_DISCHARGE: date(2017, 3, 28), Step.ADMITTED: None}

ROWS = [
    (Step.CONFIRMED, date(2017, 2, 10), CASE, None, "confirmed on the screening's day or later"),
    (Step.CONFIRMED, date(2017, 1, 31), CASE, "before the screening on 2017-02-01", "confirmed before screening"),
    (Step.REFERRED, date(2017, 2, 9), CASE, "before the confirmation on 2017-02-10", "referred before confirmation"),
    (Step.ADMITTED, date(2017, 2, 19), CASE, "before the referral on 2017-02-20", "admitted before the referral"),
    (Step.ADMITTED, date(2017, 2, 20), CASE, None, "admitted on the referral's day"),
    (
        Step.ADMITTED,
        date(2017, 3, 27),
        LOOPED,
        "before the previous discharge on 2017-03-28",
        "a maintenance case's next stay starts after the last one ended",
    ),
    (Step.ADMITTED, date(2017, 4, 1), LOOPED, None, "next month's sessions"),
    (Step.DISCHARGED, date(2017, 2, 28), CASE, "before the admission on 2017-03-01", "discharged before admission"),
    (Step.DISCHARGED, date(2017, 3, 1), CASE, None, "a day case: discharged the day it was admitted"),
    (Step.DISCHARGED, date(2017, 12, 2), CASE, "in the future (today is 2017-12-01)", "a discharge tomorrow"),
    (Step.ADMITTED, date(2030, 1, 1), {}, "in the future", "screened in 2030: no date after today"),
    (Step.RELAPSED, date(2017, 3, 20), LOOPED, "before the previous discharge", "a relapse before the cure ended"),
    (
        Step.ADMITTED,
        date(2017, 3, 1),
        {Step.DISCHARGED: date(2017, 2, 1)},
        None,
        "a later step's date is not what an earlier step is checked against",
    ),
]


@pytest.mark.parametrize(("step", "on", "known", "refused", "reason"), ROWS, ids=[r[-1] for r in ROWS])
def test_dates_in_order(step: Step, on: date, known: dict[Step, date | None], refused: str | None, reason: str) -> None:
    if refused is None:
        check_date("case 31", step, on, known, TODAY)
        return
    with pytest.raises(DateOutOfOrder) as err:
        check_date("case 31", step, on, known, TODAY)
    assert str(err.value).startswith(f"case 31: {step.value}: {on}"), "one line: subject, field, date"
    assert refused in str(err.value)
    assert isinstance(err.value, BadInput) and err.value.field == step.value
