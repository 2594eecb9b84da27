"""Amounts typed in full-width or other Unicode digits are read as the ASCII amount (Python's Decimal would
take ``Decimal('５')`` as typed; the stored and compared value must be the same whichever digits were used)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from models.settlement.bill import BillError, parse_money


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        pytest.param("１２３４．５６", Decimal("1234.56"), id="full-width digits and point"),
        pytest.param("\u0663\u0660\u0660\u0660.5", Decimal("3000.50"), id="Arabic-Indic digits"),
        pytest.param(" 3000 ", Decimal("3000.00"), id="ASCII"),
    ],
)
def test_amounts_in_other_digits_are_read_as_ascii(typed: str, expected: Decimal) -> None:
    amount = parse_money(typed, "total_cost")
    assert amount == expected and str(amount).isascii()


def test_the_message_never_repeats_non_ascii_input_as_a_number() -> None:
    with pytest.raises(BillError, match="not a decimal amount"):
        parse_money("１２三", "total_cost")
