"""Plain-text rendering of the ledger summary for the terminal."""

from __future__ import annotations

import typer

from models.enums import CaseState, Category
from models.schemas import LedgerSummary


def print_ledger(summary: LedgerSummary) -> None:
    scope = summary.region_code or "all regions"
    typer.echo(f"\n救治台账 treatment ledger — {scope}")
    typer.echo(f"{'state':<20}{'cases':>9}")
    for state in CaseState:
        if state.value in summary.by_state:
            typer.echo(f"{state.value:<20}{summary.by_state[state.value]:>9}")
    typer.echo(f"\n{'category':<16}" + "".join(f"{s.value[:12]:>13}" for s in CaseState if s != CaseState.SCREENED))
    for cat in Category:
        row = summary.by_category.get(cat.value, {})
        typer.echo(
            f"{cat.value:<16}" + "".join(f"{row.get(s.value, 0):>13}" for s in CaseState if s != CaseState.SCREENED)
        )
    typer.echo(
        f"\nspecial-disease cases {summary.special_cases}: treated {summary.treated}, in treatment "
        f"{summary.in_treatment}, not yet treated {summary.not_yet_treated} — treatment rate {summary.treatment_rate}"
    )
    typer.echo(
        f"签约率 family-doctor contracts: {summary.contracted} of {summary.contract_patients} patients — "
        f"contract rate {summary.contract_rate} (target 100%)"
    )
