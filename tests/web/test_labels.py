"""What a coordinator reads for a case's recorded reasons (``web.labels.reason``)."""

from __future__ import annotations

import re

import pytest

from models.enums import CaseState, CloseReason, ReferralReason, TriageReason
from web import labels

RECORDED_BY_A_DAY = (  # the reasons of import → confirm → triage → referral → admit → discharge → settlement
    "screening intake",
    "diagnosis confirmed",
    "triaged by catalogue",
    "initial referral",
    "admitted",
    "discharged",
    "one-stop settlement",
)


@pytest.mark.parametrize(
    "recorded", [*RECORDED_BY_A_DAY, "up referral", f"admitted again ({CaseState.UNDER_MAINTENANCE})"]
)
def test_a_steps_reason_reads_in_chinese(recorded: str) -> None:
    shown = labels.reason(recorded)
    assert not re.search("[A-Za-z]", shown), shown


def test_a_coordinators_own_words_are_shown_as_they_are() -> None:
    assert labels.reason("家属要求更正出生日期") == "家属要求更正出生日期"
    assert labels.reason(None) == "—"


@pytest.mark.parametrize(
    "held",
    [*(r.value for r in TriageReason if r != TriageReason.IN_CATALOGUE), *(r.value for r in ReferralReason),
     *(r.value for r in CloseReason), "duplicate", "ruled_out"],
)  # fmt: skip
def test_why_a_case_stands_where_it_is_reads_in_chinese(held: str) -> None:
    """``Case.state_reason`` (说明 on the patient page): every value a step or a close records."""
    shown = labels.state_reason(held)
    assert not re.search("[A-Za-z]", shown), shown
