"""What a discharge bills — total, out-of-scope part, sessions — as one value validated where it enters.

The edges (the CLI and the flow's form through the ``discharge-case`` flow, the bulk and demo discharges
through ``synthetic_bill``) build a ``BillAmounts``; the discharge task, the stored treatment episode and,
read back as a typed row, ``Bill.from_record`` take it as it is.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from models.common import FEN, ZERO
from models.settlement.bill import check_amounts, parse_money, trusted


class BillAmounts(BaseModel):
    """Exact yuan to the fen (at most ``MAX_AMOUNT``), the out-of-scope part within the total, sessions ≥ 0.
    Build it with ``parse`` (anything typed in) or ``typed`` (Decimals made by the code), never directly."""

    model_config = ConfigDict(frozen=True)

    total_cost: Decimal
    out_of_scope: Decimal = ZERO
    sessions: int = 0

    @classmethod
    def parse(cls, total_cost: Any, out_of_scope: Any = ZERO, sessions: int = 0) -> BillAmounts:
        """Amounts as typed (text, int, Decimal); any problem is one BillError naming the field."""
        total, oos = parse_money(total_cost, "total_cost"), parse_money(out_of_scope, "out_of_scope")
        return cls.typed(total, oos, sessions)

    @classmethod
    def typed(cls, total_cost: Decimal, out_of_scope: Decimal, sessions: int = 0) -> BillAmounts:
        """Amounts the code computed (already Decimal): the cheap checks only, no parsing."""
        check_amounts(total_cost, out_of_scope, sessions, total_field="total_cost")
        return trusted(
            cls,
            {"total_cost": total_cost.quantize(FEN), "out_of_scope": out_of_scope.quantize(FEN), "sessions": sessions},
        )
