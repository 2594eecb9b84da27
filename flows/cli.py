"""Coordinator CLI (typer). Each command runs the same flow the Prefect deployment serves."""

from __future__ import annotations

import asyncio
import json
import os
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

import typer

from config.logging import configure_logging
from config.settings import get_settings
from flows.cli_reports import reports_app
from models.enums import PovertyStatus, ReferralDirection

app = typer.Typer(no_args_is_help=True, help="大病专项救治 workflow engine — coordinator commands.")
app.add_typer(reports_app, name="reports")
Actor = Annotated[str, typer.Option(help="Internal id of the coordinator acting.")]


def _use_database(url: str | None) -> None:
    if url:
        os.environ["DABING_DATABASE_URL"] = url
        get_settings.cache_clear()


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


def _echo(model: Any) -> None:
    typer.echo(json.dumps(model.model_dump(mode="json"), ensure_ascii=False, indent=2))


@app.callback()
def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    from flows.up import use_running_local_server

    use_running_local_server()  # a running `dabing up` receives this command's runs and events


@app.command()
def init_db(database_url: Annotated[str | None, typer.Option()] = None) -> None:
    """Create the tables and load the designated hospitals from config."""
    from tasks.db import init_db as _init
    from tasks.db import session_scope
    from tasks.hospitals import sync_hospitals

    _use_database(database_url)
    _init()
    with session_scope() as s:
        n = sync_hospitals(s)
    typer.echo(f"database ready; {n} designated hospitals loaded")


@app.command()
def demo(
    patients: Annotated[int, typer.Option(min=1)] = 2000,
    seed: int = 7,
    region_code: str = "520527",
    start: Annotated[str, typer.Option(help="First screening date, ISO.")] = "2017-03-01",
    database_url: Annotated[str, typer.Option(help="Demo database (rebuilt).")] = "sqlite:///var/demo.db",
) -> None:
    """Build a synthetic county and drive every patient as far as the pathway allows."""
    from flows.demo import county_demo
    from flows.report import print_ledger

    _use_database(database_url)
    t0 = time.perf_counter()
    summary = county_demo(patients=patients, seed=seed, region_code=region_code, start=date.fromisoformat(start))
    print_ledger(summary)
    typer.echo(f"wall time: {time.perf_counter() - t0:.1f} s for {patients} patients")


@app.command("import")
def import_csv(csv_path: Path, actor: Actor = "coordinator") -> None:
    """Import a screening CSV (all rows validated; a bad row rejects the file)."""
    from flows.intake import import_screenings
    from models.intake import ImportRejected

    try:
        _echo(_run(import_screenings(str(csv_path.resolve()), actor)))
    except ImportRejected as exc:
        for err in exc.errors:
            typer.echo(str(err), err=True)
        typer.echo(f"rejected: {len(exc.errors)} error(s); nothing was imported", err=True)
        raise typer.Exit(1) from None


@app.command()
def register(
    household_ref: Annotated[str, typer.Option()],
    national_id: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    name: Annotated[str, typer.Option(prompt=True)],
    region_code: Annotated[str, typer.Option()],
    poverty_status: Annotated[PovertyStatus, typer.Option()],
) -> None:
    """Register a person (identity stays in the app database); prints the internal patient id."""
    from models.people import PatientCreate
    from tasks.intake import register_patient

    person = PatientCreate(
        household_ref=household_ref,
        national_id=national_id,
        name=name,
        region_code=region_code,
        poverty_status=poverty_status,
    )
    typer.echo(json.dumps({"patient_id": register_patient(person)}))


@app.command()
def screen(patient_id: int, icd10: str, screened_on: str, actor: Actor = "coordinator") -> None:
    """Record a suspected condition for a registered patient (opens a case)."""
    from flows.intake import screen_patient

    _echo(_run(screen_patient(patient_id, icd10, date.fromisoformat(screened_on), actor=actor)))


@app.command()
def confirm(case_id: int, confirmed_on: str, icd10: str = "", actor: Actor = "coordinator") -> None:
    """Confirm the diagnosis (核准患病) and triage the case."""
    from flows.pathway import confirm_diagnosis

    _echo(_run(confirm_diagnosis(case_id, date.fromisoformat(confirmed_on), icd10, actor)))


@app.command()
def refer(
    case_id: int,
    referred_on: str,
    urgent: bool = False,
    direction: ReferralDirection = ReferralDirection.INITIAL,
    actor: Actor = "coordinator",
) -> None:
    """Refer to a designated hospital."""
    from flows.pathway import refer as refer_flow

    _echo(_run(refer_flow(case_id, date.fromisoformat(referred_on), urgent, direction, actor)))


@app.command()
def admit(case_id: int, admitted_on: str, actor: Actor = "coordinator") -> None:
    from flows.pathway import admit as admit_flow

    _echo(_run(admit_flow(case_id, date.fromisoformat(admitted_on), actor)))


@app.command()
def discharge(
    case_id: int,
    discharged_on: str,
    total_cost: str,
    out_of_scope: str = "0",
    sessions: int = 0,
    actor: Actor = "coordinator",
) -> None:
    from flows.pathway import discharge as discharge_flow

    _echo(
        _run(
            discharge_flow(
                case_id, date.fromisoformat(discharged_on), Decimal(total_cost), Decimal(out_of_scope), sessions, actor
            )
        )
    )


@app.command("follow-up")
def follow_up(case_id: int, followed_on: str, outcome: str = "stable", actor: Actor = "coordinator") -> None:
    from flows.pathway import record_follow_up

    typer.echo(
        json.dumps({"follow_ups": _run(record_follow_up(case_id, date.fromisoformat(followed_on), outcome, actor))})
    )


@app.command()
def settle(case_id: int, actor: Actor = "coordinator") -> None:
    """One-stop settlement of a discharged case (idempotent)."""
    from flows.settlement import settle_discharge

    _echo(_run(settle_discharge(case_id, actor)))


@app.command("settle-preview")
def settle_preview(bill_json: Path) -> None:
    """Print the settlement statement of BILL.json as JSON; writes nothing."""
    from config.policies import load_policies
    from models.settlement.bill import BillError
    from models.settlement.preview import preview

    try:
        data = json.loads(bill_json.read_text(encoding="utf-8"))
        typer.echo(json.dumps(preview(data, load_policies()), ensure_ascii=False, indent=2))
    except (BillError, json.JSONDecodeError) as exc:
        typer.echo(f"invalid bill: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command()
def ledger(region_code: Annotated[str | None, typer.Option()] = None) -> None:
    """Print the treatment ledger summary."""
    from flows.report import print_ledger
    from tasks.db import session_scope
    from tasks.ledger import ledger_summary

    with session_scope() as s:
        print_ledger(ledger_summary(s, region_code))


@app.command()
def nightly(
    night: Annotated[str | None, typer.Option(help="ISO date; default: today in DABING_TIMEZONE.")] = None,
    region_code: Annotated[str | None, typer.Option(help="Only this region (on demand).")] = None,
) -> None:
    """Nightly dynamic adjustment (动态调整) now: findings, re-triage, alarms, ledger snapshot."""
    from flows.nightly import nightly_adjustment

    _echo(nightly_adjustment(night=date.fromisoformat(night) if night else None, region_code=region_code))


@app.command()
def serve() -> None:
    """Serve every flow as a Prefect deployment (forms in the UI) on the configured Prefect server."""
    from flows.serve import serve_all

    serve_all()


@app.command()
def up() -> None:
    """Everything on one machine: a local Prefect server (unless PREFECT_API_URL is set) + serve."""
    from flows.up import up as start

    start()
