"""``dabing settlement …``: reverse (冲销) a settlement, settle a stay again with corrected amounts, export the
year's stored settlements in the NHSA 2207 layout (mounted in cli/app.py)."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.errors import Typer
from cli.params import Actor, AmountOpt, Id, Sessions, _amount, _region

settlement_app = Typer(no_args_is_help=True, help="冲销 / 重新结算 / 导出: correct and export stored settlements.")
ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (required; no names or ID numbers).")]
Total = Annotated[str, typer.Option("--total", callback=_amount, help="Corrected total, yuan (at most 2 decimals).")]


def _echo(model: Any) -> None:
    typer.echo(json.dumps(model.model_dump(mode="json"), ensure_ascii=False, indent=2))


@settlement_app.command("reverse")
def reverse(settlement: Id, reason: ReasonOpt, actor: Actor = "coordinator") -> None:
    """冲销: reverse SETTLEMENT with an audited negative settlement; the annual ledger gives its amounts back."""
    from flows.correction import reverse as reverse_flow

    _echo(asyncio.run(reverse_flow(settlement, reason, actor)))


@settlement_app.command("resettle")
def resettle(
    stay: Id,
    total: Total,
    reason: ReasonOpt,
    out_of_scope: AmountOpt = "0",
    sessions: Sessions = 0,
    actor: Actor = "coordinator",
) -> None:
    """重新结算: settle STAY (its episode id) again with corrected amounts; its settlement in effect is reversed."""
    from flows.correction import resettle as resettle_flow

    _echo(asyncio.run(resettle_flow(stay, Decimal(total), reason, Decimal(out_of_scope), sessions, actor)))


@settlement_app.command("export")
def export(
    year: Annotated[int, typer.Option(min=2000, max=2100, help="Service year.")],
    to: Annotated[Path, typer.Option("--to", help="File to write: .jsonl (JSON lines) or .csv.")],
    region: Annotated[str | None, typer.Option(callback=_region, help="6-digit region code.")] = None,
    actor: Actor = "coordinator",
) -> None:
    """导出: the year's settlements in effect in the NHSA 2207 layout (check with `dabing check-recorded`)."""
    from tasks.settlement.export import export_settlements

    result = export_settlements.fn(year, region, str(to), actor)
    typer.echo(f"written: {result.path} ({result.records} settlements)")
