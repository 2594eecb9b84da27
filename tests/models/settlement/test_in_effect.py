"""A stay's settlement in effect among its stored rows: the latest generation unless reversed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from models.settlement.stored import in_effect
from models.settlement.tables import Settlement


def _row(sid: int, generation: int | None, reverses: int | None = None) -> Settlement:
    zero = Decimal("0.00")
    return Settlement(id=sid, episode_id=1, generation=generation, reverses_id=reverses, patient_id=1, policy_id="p",
                      service_date=date(2017, 5, 9), total=zero, in_scope=zero, patient_pays=zero,
                      self_pay_ratio=Decimal("0"), actor="t")  # fmt: skip


@pytest.mark.parametrize(
    ("rows", "expected", "why"),
    [
        ([], None, "not settled"),
        ([_row(1, 0)], 1, "the settlement at discharge"),
        ([_row(1, 0), _row(2, None, 1)], None, "reversed, not settled again"),
        ([_row(1, 0), _row(2, None, 1), _row(3, 1)], 3, "re-settled after its reversal"),
        ([_row(3, 1), _row(1, 0), _row(4, None, 3), _row(2, None, 1)], None, "the latest reversed too"),
    ],
)  # fmt: skip
def test_in_effect(rows: list[Settlement], expected: int | None, why: str) -> None:
    found = in_effect(rows)
    assert (found.id if found else None) == expected, why
