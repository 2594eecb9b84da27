"""What a stored settlement writes per layer line, and how a reversal (冲销) negates it (pure).

Every stored line carries its Chinese label (``label_zh``: 基本医保 · 三级医院 65% · 起付线 500元) beside the
stable rule id, and what it added to the annual deductible used (``ledger_deductible``), so a reversal can
take exactly that back out of the payer ledger without re-reading the policy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import NamedTuple

from models.settlement.bill import LayerLine, Statement
from models.settlement.engine import LedgerDelta
from models.settlement.label import label_zh
from models.settlement.policy import PayerLayer
from models.settlement.tables import Settlement

#: The prefix of a reversal line's label: 冲销 · <the original line's label>.
REVERSAL_ZH = "冲销"


class LineRow(NamedTuple):
    """One ``settlement_line`` row without its settlement id (fields in column order after it)."""

    layer: PayerLayer
    base: Decimal
    deductible: Decimal
    ratio: Decimal
    paid: Decimal
    rule: str
    label_zh: str
    ledger_deductible: Decimal


LINE_COLUMNS = ("settlement_id", *LineRow._fields)


def line_rows(
    statement: Statement, deltas: Iterable[LedgerDelta], label: Callable[[LayerLine], str] = label_zh
) -> list[LineRow]:
    """The statement's lines as stored: each with its Chinese label (``label``: ``label_zh``, or a batch's
    ``Labels``) and the deductible its delta added."""
    used = {d.layer: d.deductible for d in deltas}
    zero = Decimal("0.00")
    return [
        LineRow(ln.layer, ln.base, ln.deductible, ln.ratio, ln.paid, ln.rule, label(ln), used.get(ln.layer, zero))
        for ln in statement.layers
    ]


def reversed_rows(lines: Sequence[LineRow]) -> list[LineRow]:
    """The lines of a reversal: every amount negated, the same ratio and rule id, the label marked 冲销."""
    return [
        ln._replace(
            base=-ln.base,
            deductible=-ln.deductible,
            paid=-ln.paid,
            ledger_deductible=-ln.ledger_deductible,
            label_zh=f"{REVERSAL_ZH} · {ln.label_zh}"[:300],
        )
        for ln in lines
    ]


def ledger_deltas(lines: Iterable[LineRow]) -> list[LedgerDelta]:
    """What stored lines did to the annual ledger (negative for a reversal's lines)."""
    return [LedgerDelta(ln.layer, ln.paid, ln.ledger_deductible) for ln in lines]


def in_effect(rows: Iterable[Settlement]) -> Settlement | None:
    """A stay's settlement in effect among its stored rows: the latest generation, unless a reversal row reverses
    it (the rule ``tasks.settlement.reversal`` reads in SQL, for a page that holds every row already)."""
    rows = list(rows)
    reversed_ids = {r.reverses_id for r in rows if r.reverses_id is not None}
    settled = [r for r in rows if r.generation is not None]
    latest = max(settled, key=lambda r: r.generation or 0, default=None)
    return None if latest is None or latest.id in reversed_ids else latest
