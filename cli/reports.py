"""Report commands (typer), mounted on the main CLI: ``app.add_typer(reports_app, name="reports")``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Literal, cast

import typer

from cli.errors import Typer
from cli.params import _date, _region
from models.findings import FindingKind

reports_app = Typer(no_args_is_help=True, help="Ledgers, summaries with charts, FHIR export.")
ActorOpt = Annotated[str, typer.Option(help="Internal id of the actor reading (their region scope applies).")]


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@reports_app.command("export-ledger")
def export_ledger(
    region_code: Annotated[
        str | None,
        typer.Option(callback=_region, help="6-digit region code; default the actor's county (every region: system)."),
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", callback=_date, help="First day, YYYY-MM-DD (inclusive).")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", callback=_date, help="Last day, YYYY-MM-DD (inclusive).")
    ] = None,
    period_on: Annotated[str, typer.Option(help="screened | discharged: the date the period filters on.")] = "screened",
    kind: Annotated[list[FindingKind] | None, typer.Option(help="Alarm kinds to list (repeat); default all.")] = None,
    headers: Annotated[str, typer.Option(help="zh | en column headers.")] = "zh",
    fmt: Annotated[list[str] | None, typer.Option("--format", help="xlsx | csv (repeat); default both.")] = None,
    out_dir: Annotated[Path, typer.Option(help="Folder for the files.")] = Path("var/reports"),
    actor: ActorOpt = "coordinator",
) -> None:
    """救治台账 (one row per case) and 预警名单 as XLSX/CSV: internal ids only, streamed from the database."""
    from flows.reports import export_ledger as flow
    from models.ledger_rows import Lang
    from tasks.reports.export import Format

    if headers not in ("zh", "en") or period_on not in ("screened", "discharged"):
        raise typer.BadParameter("--headers is zh|en and --period-on is screened|discharged")
    if any(f not in ("xlsx", "csv") for f in fmt or []):
        raise typer.BadParameter("--format is xlsx or csv")
    result = flow(
        region_code=region_code,
        date_from=_day(date_from),
        date_to=_day(date_to),
        period_on=cast(Literal["screened", "discharged"], period_on),
        alarm_kinds=kind,
        headers=cast(Lang, headers),
        formats=cast(list[Format] | None, fmt),
        out_dir=str(out_dir),
        actor=actor,
    )
    typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))


@reports_app.command()
def summary(
    period: Annotated[str, typer.Argument(help="daily | weekly | monthly")] = "daily",
    on: Annotated[
        str | None, typer.Option(callback=_date, help="A day in the period, YYYY-MM-DD; default today.")
    ] = None,
    region_code: Annotated[str | None, typer.Option(callback=_region, help="6-digit region code.")] = None,
    out_dir: Annotated[Path, typer.Option()] = Path("var/reports"),
    previous: Annotated[bool, typer.Option(help="The period before the one containing --on.")] = False,
    actor: ActorOpt = "coordinator",
) -> None:
    """日报 / 周调度 / 月总结: figures, three PNG charts and a Prefect markdown artifact."""
    from flows.reports import summary_report
    from models.summary import Period
    from tasks.reports.charts import summary_markdown

    if period not in ("daily", "weekly", "monthly"):
        raise typer.BadParameter("period is daily, weekly or monthly")
    data = summary_report(
        period=cast(Period, period),
        on=_day(on),
        region_code=region_code,
        out_dir=str(out_dir),
        previous=previous,
        actor=actor,
    )
    typer.echo(summary_markdown(data, data.charts))


@reports_app.command("fhir-export")
def fhir_export(
    patient_id: int,
    out: Annotated[Path | None, typer.Option(help="Output file; default var/fhir/patient-ID.json.")] = None,
    actor: ActorOpt = "coordinator",
) -> None:
    """One patient's whole pathway as a FHIR R4 Bundle (JSON). The file holds the national ID number."""
    from tasks.reports.fhir_export import export_fhir

    path = export_fhir(patient_id, out or Path("var/fhir") / f"patient-{patient_id}.json", actor)
    typer.echo(json.dumps({"patient_id": patient_id, "file": str(path)}))
