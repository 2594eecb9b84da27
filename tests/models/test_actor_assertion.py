"""Signed actor assertions (pure): a tag verifies only for the actor, deployment and parameters it was signed
for, under the server's key, before it expires."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from models.actor_assertion import LIFETIME_SECONDS, AssertionRefused, derive_key, params_digest, sign, verify

DEP = "confirm-diagnosis/confirm"
KEY = derive_key("server-secret-for-the-tests", b"actor-assertion")
PARAMS: dict[str, Any] = {"case_id": 31, "confirmed_on": "2026-11-30", "icd10": "", "actor": "coordinator"}
NOW = 1_800_000_000.0
GOOD = sign(KEY, "coordinator", DEP, PARAMS, NOW)


@pytest.mark.parametrize(
    ("reason", "tags", "actor", "deployment", "params", "now"),
    [
        ("no tag at all: a run started from the Prefect UI or API", [], "coordinator", DEP, PARAMS, NOW),
        ("another actor typed into the run's parameters", [GOOD], "xinping-coordinator", DEP,
         {**PARAMS, "actor": "xinping-coordinator"}, NOW),
        ("the tag copied onto another deployment", [GOOD], "coordinator", "discharge-case/x", PARAMS, NOW),
        ("the tag copied onto another case", [GOOD], "coordinator", DEP, {**PARAMS, "case_id": 32}, NOW),
        ("expired (a replay later)", [GOOD], "coordinator", DEP, PARAMS, NOW + LIFETIME_SECONDS + 1),
        ("signed under another key", [sign(derive_key("another-secret-xxxxxx", b"actor-assertion"), "coordinator",
          DEP, PARAMS, NOW)], "coordinator", DEP, PARAMS, NOW),
        ("a forged expiry", [GOOD.replace(f".{int(NOW) + LIFETIME_SECONDS}.", f".{int(NOW) + 99999}.")], "coordinator",
         DEP, PARAMS, NOW + LIFETIME_SECONDS + 1),
    ],
)  # fmt: skip
def test_refused(reason: str, tags: list[str], actor: str, deployment: str, params: dict[str, Any], now: float) -> None:
    with pytest.raises(AssertionRefused):
        verify(KEY, tags, actor, deployment, params, now)


def test_the_signed_run_verifies_among_other_tags() -> None:
    verify(KEY, ["console", GOOD], "coordinator", DEP, dict(PARAMS), NOW + 10)


@pytest.mark.parametrize(
    ("reason", "console_side", "flow_side"),
    [
        ("the flow sees a date where the console sent its ISO text", {"d": "2026-11-30"}, {"d": date(2026, 11, 30)}),
        ("a Decimal where the console sent the amount's text", {"m": "38734.00"}, {"m": Decimal("38734.00")}),
        ("key order does not matter", {"a": 1, "b": 2}, {"b": 2, "a": 1}),
    ],
)
def test_digest_is_the_same_on_both_sides(reason: str, console_side: dict[str, Any], flow_side: dict[str, Any]) -> None:
    assert params_digest(console_side) == params_digest(flow_side)
