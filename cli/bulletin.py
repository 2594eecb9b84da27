"""季通报 / 年考核 commands, added to ``dabing reports``: ``reports quarterly --quarter 2017Q3`` and
``reports annual --year 2017`` (the same flow the scheduled deployments run)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.params import _region
from models.bulletin import BadPeriod, BulletinKind, bulletin_markdown, period_bounds

RegionOpt = Annotated[
    str | None, typer.Option("--region", callback=_region, help="One county (default: the actor's whole scope).")
]
OutOpt = Annotated[Path, typer.Option(help="Folder for the XLSX and markdown files.")]
ActorOpt = Annotated[str, typer.Option(help="Internal id of the actor reading (their region scope applies).")]


def _run(kind: BulletinKind, period: str | None, region: str | None, out_dir: Path, actor: str) -> None:
    from flows.bulletin import bulletin_report

    try:  # checked here first for a one-line answer before any run starts; the flow checks it again
        if period is not None:
            period_bounds(kind, period)
    except BadPeriod as exc:
        typer.echo(f"bad input: {'--quarter' if kind == 'quarterly' else '--year'}: {exc}", err=True)
        raise typer.Exit(2) from None
    data = bulletin_report(kind=kind, period=period, region_code=region, out_dir=str(out_dir), actor=actor)
    typer.echo(bulletin_markdown(data))
    typer.echo("files: " + ", ".join(data.files))


def quarterly(
    quarter: Annotated[str | None, typer.Option(help="YYYYQn, e.g. 2017Q3; default the quarter just ended.")] = None,
    region: RegionOpt = None,
    out_dir: OutOpt = Path("var/reports"),
    actor: ActorOpt = "coordinator",
) -> None:
    """季通报: per county, ranked — treatment, contract, follow-up rates, in-county self-pay ≤ 10%, 四个一致, alarms."""
    _run("quarterly", quarter, region, out_dir, actor)


def annual(
    year: Annotated[str | None, typer.Option(help="YYYY; default last year.")] = None,
    region: RegionOpt = None,
    out_dir: OutOpt = Path("var/reports"),
    actor: ActorOpt = "coordinator",
) -> None:
    """年考核: the same figures for a calendar year, per county of the actor's scope, ranked."""
    _run("annual", year, region, out_dir, actor)


def register(app: typer.Typer) -> None:
    app.command("quarterly")(quarterly)
    app.command("annual")(annual)
