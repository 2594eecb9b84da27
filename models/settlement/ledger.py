"""The annual payer ledger (pure): what each layer paid and which yearly deductible it used, per patient and
year. A settlement reads it as the bill's ``prior_paid`` and adds its ``LedgerDelta``s to it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from models.settlement.bill import PriorUse, trusted
from models.settlement.engine import LedgerDelta
from models.settlement.policy import PayerLayer

#: One patient's year: layer → what it paid and the deductible it used so far.
YearLedger = Mapping[PayerLayer, PriorUse]
_NONE_YET = PriorUse()


def apply_statement(ledger: YearLedger, deltas: Iterable[LedgerDelta]) -> dict[PayerLayer, PriorUse]:
    """The year's ledger after one settled bill: each delta's paid and deductible added to its layer (a
    layer not yet in the ledger starts from zero). ``ledger`` is left as it was."""
    after = dict(ledger)
    for d in deltas:
        before = after.get(d.layer, _NONE_YET)
        after[d.layer] = trusted(
            PriorUse, {"paid": before.paid + d.paid, "deductible": before.deductible + d.deductible}
        )
    return after
