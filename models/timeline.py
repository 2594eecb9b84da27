"""Business dates in order — a pure rule (issue 17, Validation).

screening ≤ confirmation ≤ referral ≤ admission ≤ discharge, none after today. A step's date is checked
against the dates the case or stay already has; a repeated stay (maintenance, long-term care) is admitted no
earlier than the previous stay's discharge. A refusal is one line naming the case or stay, the field and
the date it collides with.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum

from models.errors import BadInput


class Step(StrEnum):
    """The dated steps, in the order they happen (the value is the field a coordinator types)."""

    SCREENED = "screened_on"
    CONFIRMED = "confirmed_on"
    REFERRED = "referred_on"
    PREVIOUS_DISCHARGE = "previous_discharged_on"  # the discharge of the case's last stay
    RELAPSED = "relapsed_on"  # a cured case re-opens after its last discharge
    ADMITTED = "admitted_on"
    DISCHARGED = "discharged_on"
    CLOSED = "closed_on"  # 结案: after every step the case already has (an open stay is refused before)


ORDER: tuple[Step, ...] = tuple(Step)
LABELS: dict[Step, str] = {
    Step.SCREENED: "screening",
    Step.CONFIRMED: "confirmation",
    Step.REFERRED: "referral",
    Step.PREVIOUS_DISCHARGE: "previous discharge",
    Step.RELAPSED: "relapse",
    Step.ADMITTED: "admission",
    Step.DISCHARGED: "discharge",
    Step.CLOSED: "closing",
}


class DateOutOfOrder(BadInput):
    """A business date before an earlier step's, or in the future; names the subject, field and dates."""

    def __init__(self, subject: str, step: Step, reason: str) -> None:
        super().__init__(step.value, reason)
        self.subject, self.step = subject, step
        self.args = (f"{subject}: {step.value}: {reason}",)

    def __str__(self) -> str:
        return str(self.args[0])


def check_date(subject: str, step: Step, on: date, known: Mapping[Step, date | None], today: date) -> None:
    """Raise DateOutOfOrder unless ``on`` is not after ``today`` and not before any earlier step in ``known``
    (steps after ``step`` in ``known`` are ignored: a new stay does not look at its own discharge)."""
    if on > today:
        raise DateOutOfOrder(subject, step, f"{on} is in the future (today is {today})")
    for earlier in reversed(ORDER[: ORDER.index(step)]):  # the nearest earlier step is named first
        then = known.get(earlier)
        if then is not None and on < then:
            raise DateOutOfOrder(subject, step, f"{on} is before the {LABELS[earlier]} on {then}")
