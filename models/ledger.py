"""Treatment ledger (救治台账) arithmetic: counts per state and category → treatment rate (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from models.enums import CaseState
from models.pathway import IN_TREATMENT, NOT_YET_TREATED, TREATED
from models.schemas import LedgerSummary


def summarise_ledger_rows(rows: Iterable[tuple[str, str | None, int]], region_code: str | None) -> LedgerSummary:
    """``rows`` are (state, category or None/'' when not a special disease, number of cases)."""
    by_state: dict[str, int] = {}
    by_category: dict[str, dict[str, int]] = {}
    special = treated = in_treatment = not_yet = 0
    for state, category, n in rows:
        by_state[state] = by_state.get(state, 0) + n
        if not category:
            continue
        per = by_category.setdefault(category, {})
        per[state] = per.get(state, 0) + n
        if CaseState(state) == CaseState.CLOSED:
            continue
        special += n
        treated += n if state in TREATED else 0
        in_treatment += n if state in IN_TREATMENT else 0
        not_yet += n if state in NOT_YET_TREATED else 0
    rate = (Decimal(treated) * 100 / special).quantize(Decimal("0.1")) if special else Decimal("0.0")
    return LedgerSummary(
        region_code=region_code,
        by_state=by_state,
        by_category=by_category,
        special_cases=special,
        treated=treated,
        in_treatment=in_treatment,
        not_yet_treated=not_yet,
        treatment_rate=f"{rate}%",
    )
