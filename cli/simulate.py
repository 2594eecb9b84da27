"""``dabing simulate --policy FILE …``: 政策测算 — what proposed policies would cost on a period's stored stays
(runs the ``simulate-policy`` flow; registered in cli/app.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.params import _date, _region

Policies = Annotated[
    list[Path],
    typer.Option(
        "--policy", exists=True, dir_okay=False, readable=True, help="A proposed policy file (repeat to compare)."
    ),
]


def simulate(
    policy: Policies,
    region_code: Annotated[str | None, typer.Option("--region", callback=_region, help="6-digit region code.")] = None,
    year: Annotated[int | None, typer.Option(min=2000, max=2100, help="A whole year (or --from/--to).")] = None,
    date_from: Annotated[str | None, typer.Option("--from", callback=_date, help="First day, YYYY-MM-DD.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", callback=_date, help="Last day, YYYY-MM-DD.")] = None,
    workers: Annotated[int, typer.Option(min=1, max=16, help="Processes re-settling in parallel.")] = 2,
    out_dir: Annotated[Path, typer.Option(help="Folder for the report and workbook.")] = Path("var/simulations"),
    actor: Annotated[str, typer.Option(help="Internal id of the actor (their region scope applies).")] = "coordinator",
) -> None:
    """Re-settle the period's stored stays under each proposed policy (nothing is written) and report the cost per
    payer layer, patients' self-pay, who pays more or less, and return-to-poverty alarms, beside what was settled."""
    from datetime import date

    from flows.simulation import simulate_policy

    outcome = simulate_policy(
        proposals=[str(p) for p in policy],
        region_code=region_code,
        year=year,
        date_from=date.fromisoformat(date_from) if date_from else None,
        date_to=date.fromisoformat(date_to) if date_to else None,
        workers=workers,
        out_dir=str(out_dir),
        actor=actor,
    )
    for name, figures in outcome.overall.items():
        typer.echo(f"方案 {name}: " + ";".join(f"{k} {v}" for k, v in figures.items()))
    typer.echo(
        f"{outcome.stays} 笔结算;报告 {outcome.report};患者差额 {outcome.workbook};指纹 {outcome.fingerprint[:16]}"
    )
