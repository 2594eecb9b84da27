"""``BillAmounts``: a discharge's bill validated once where it enters (CLI, flow form, bulk discharge)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from models.settlement.amounts import BillAmounts
from models.settlement.bill import BillError


@pytest.mark.parametrize(
    ("total", "oos", "sessions", "field"),
    [
        pytest.param(Decimal("-1"), Decimal("0"), 0, "total_cost", id="negative total"),
        pytest.param(Decimal("10.001"), Decimal("0"), 0, "total_cost", id="fraction of a fen"),
        pytest.param("１0O", "0", 0, "total_cost", id="not a number"),
        pytest.param("100000000.00", "0", 0, "total_cost", id="above MAX_AMOUNT"),
        pytest.param(Decimal("10"), Decimal("-0.01"), 0, "out_of_scope", id="negative out of scope"),
        pytest.param(Decimal("10"), Decimal("11"), 0, "out_of_scope", id="out of scope above total"),
        pytest.param(Decimal("10"), Decimal("0"), -2, "sessions", id="negative sessions"),
    ],
)
def test_parse_names_the_bad_field(total: Any, oos: Any, sessions: int, field: str) -> None:
    with pytest.raises(BillError) as err:
        BillAmounts.parse(total, oos, sessions)
    assert err.value.field == field


def test_out_of_scope_above_total_names_total_cost() -> None:
    with pytest.raises(BillError, match="out_of_scope: greater than total_cost"):
        BillAmounts.parse("10", "11")


@pytest.mark.parametrize(
    ("total", "oos", "sessions"),
    [
        pytest.param("38734.00", "733.00", 0, id="text"),
        pytest.param("３８７３４", "733", 0, id="full-width digits"),
        pytest.param(38734, Decimal("733.0"), 12, id="int and Decimal"),
    ],
)
def test_parse_and_typed_give_the_same_value(total: Any, oos: Any, sessions: int) -> None:
    parsed = BillAmounts.parse(total, oos, sessions)
    assert parsed == BillAmounts.typed(Decimal("38734"), Decimal("733"), sessions)
    assert (str(parsed.total_cost), str(parsed.out_of_scope), parsed.sessions) == ("38734.00", "733.00", sessions)


def test_typed_checks_without_parsing() -> None:
    with pytest.raises(BillError, match="out_of_scope: more than 2 decimal places"):
        BillAmounts.typed(Decimal("10"), Decimal("0.001"))
