"""Coordinator CLI (typer). Each command runs the same flow the Prefect deployment serves."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import date
from typing import Annotated, Any

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

import typer

from cli.alarms import alarms_app
from cli.bulletin import register as register_bulletin
from cli.catalogue import catalogue_app
from cli.console import console
from cli.contracts import contract_app
from cli.corrections import close, correct_app, groups_app, undo
from cli.deployments import deployments_app
from cli.errors import DebugFlag, Typer
from cli.events import events_app
from cli.intake import import_file
from cli.lists import lists_app
from cli.main import Commands, prepare
from cli.ops import backup, demo
from cli.params import (
    Actor,
    Day,
    HouseholdRef,
    Icd10,
    Icd10Opt,
    Id,
    IdentityFile,
    InputFile,
    Name,
    NationalId,
    OptDay,
    OptRegion,
    Outcome,
    Region,
    read_identity,
)
from cli.policy import policy_app
from cli.recorded import check_recorded_cmd
from cli.referral import HospitalOpt, referral_app, waiting_list
from cli.reports import reports_app
from cli.server import server_app
from cli.settlement import settlement_app
from cli.simulate import simulate
from cli.stays import admit, discharge, relapse, settle_stay, stays
from cli.users import users_app
from config.settings import get_settings
from models.enums import FollowUpOutcome, PovertyStatus, ReferralDirection

app = Typer(
    cls=Commands,
    no_args_is_help=True,
    help="大病专项救治 workflow engine — coordinator commands. An error prints one line (exit 1: refused, "
    "illegal move, not found; 2: bad input); --debug shows its traceback.",
)
app.add_typer(reports_app, name="reports")
app.add_typer(alarms_app, name="alarms")
app.add_typer(events_app, name="events")
app.add_typer(deployments_app, name="deployments")
app.add_typer(server_app, name="server")
app.add_typer(policy_app, name="policy")
app.command()(simulate)  # cli/simulate.py
app.add_typer(correct_app, name="correct")  # cli/corrections.py
app.add_typer(groups_app, name="groups")
app.add_typer(contract_app, name="contract")  # cli/contracts.py
app.command()(close)
app.command()(undo)
app.add_typer(users_app, name="users")  # cli/users.py: console passwords
app.command()(console)  # cli/console.py
register_bulletin(reports_app)  # reports quarterly | annual (季通报 / 年考核)
app.add_typer(catalogue_app, name="catalogue")
app.add_typer(lists_app, name="lists")
app.add_typer(settlement_app, name="settlement")
app.add_typer(referral_app, name="referral")
app.command("waiting-list")(waiting_list)


def _use_database(url: str | None) -> None:
    if url:
        os.environ["DABING_DATABASE_URL"] = url
        get_settings.cache_clear()


def _run(coro: Any) -> Any:
    return asyncio.run(coro)  # a domain error it raises is printed as one line by cli.errors


def _echo(model: Any) -> None:
    typer.echo(json.dumps(model.model_dump(mode="json"), ensure_ascii=False, indent=2))


@app.callback()
def main(ctx: typer.Context, debug: DebugFlag = False) -> None:
    prepare(ctx)


@app.command()
def init_db(database_url: Annotated[str | None, typer.Option()] = None) -> None:
    """Create the tables and load the designated hospitals from config."""
    from tasks.infra.db import session_scope
    from tasks.infra.migrate import SchemaBroken
    from tasks.infra.setup import init_db as _init
    from tasks.pathway.hospitals import sync_hospitals

    _use_database(database_url)
    try:
        _init()
    except SchemaBroken as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    with session_scope() as s:
        n = sync_hospitals(s)
    typer.echo(f"database ready; {n} designated hospitals loaded")


app.command()(demo)  # cli/ops.py
app.command()(backup)
app.command("check-recorded")(check_recorded_cmd)  # cli/recorded.py
for _stay_command in (admit, discharge, settle_stay, relapse, stays):  # cli/stays.py
    app.command(_stay_command.__name__.replace("_", "-"))(_stay_command)


app.command("import")(import_file)  # cli/intake.py


@app.command()
def register(
    household_ref: HouseholdRef,
    region_code: Region,
    poverty_status: Annotated[PovertyStatus, typer.Option()],
    actor: Actor = "coordinator",
    identity_file: IdentityFile = None,
    national_id: NationalId = None,
    name: Name = None,
) -> None:
    """Register a person (identity stays in the app database, hashed and sealed); prints the internal id. The
    ID number and name are typed at the prompt (the number hidden) or read from --identity-file."""
    from models.people import PatientCreate
    from tasks.pathway.intake import register_patient

    national_id, name = read_identity(identity_file)
    person = PatientCreate(
        household_ref=household_ref,
        national_id=national_id,
        name=name,
        region_code=region_code,
        poverty_status=poverty_status,
    )
    typer.echo(json.dumps({"patient_id": register_patient(person, actor)}))


@app.command()
def screen(patient_id: Id, icd10: Icd10, screened_on: Day, actor: Actor = "coordinator") -> None:
    """Record a suspected condition for a registered patient (opens a case)."""
    from flows.intake import screen_patient

    _echo(_run(screen_patient(patient_id, icd10, date.fromisoformat(screened_on), actor=actor)))


@app.command()
def confirm(case_id: Id, confirmed_on: Day, icd10: Icd10Opt = "", actor: Actor = "coordinator") -> None:
    """Confirm the diagnosis (核准患病) and triage the case."""
    from flows.pathway import confirm_diagnosis

    _echo(_run(confirm_diagnosis(case_id, date.fromisoformat(confirmed_on), icd10, actor)))


@app.command()
def refer(
    case_id: Id,
    referred_on: Day,
    urgent: bool = False,
    direction: ReferralDirection = ReferralDirection.INITIAL,
    actor: Actor = "coordinator",
    hospital: HospitalOpt = "",
) -> None:
    """Refer to a designated hospital (--hospital CODE: the coordinator's pick, designated for the disease)."""
    from flows.pathway import refer as refer_flow

    _echo(_run(refer_flow(case_id, date.fromisoformat(referred_on), urgent, direction, actor, hospital)))


@app.command("follow-up")
def follow_up(
    case_id: Id, followed_on: Day, outcome: Outcome = FollowUpOutcome.STABLE, actor: Actor = "coordinator"
) -> None:
    """随访: record a follow-up visit of a case; prints how many follow-ups the case has."""
    from flows.pathway import record_follow_up

    typer.echo(
        json.dumps({"follow_ups": _run(record_follow_up(case_id, date.fromisoformat(followed_on), outcome, actor))})
    )


@app.command()
def settle(case_id: Id, actor: Actor = "coordinator") -> None:
    """One-stop settlement of a discharged case (idempotent)."""
    from flows.settlement import settle_discharge

    _echo(_run(settle_discharge(case_id, actor)))


@app.command("settle-preview")
def settle_preview(bill_json: InputFile) -> None:
    """Print the settlement statement of BILL.json as JSON; writes nothing."""
    from config.policies import load_policies
    from models.settlement.bill import BillError
    from models.settlement.preview import preview

    try:
        data = json.loads(bill_json.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BillError("file", f"not JSON ({exc})") from None
    except (UnicodeDecodeError, RecursionError):
        raise BillError("file", "not a UTF-8 JSON document") from None
    try:
        typer.echo(json.dumps(preview(data, load_policies()), ensure_ascii=False, indent=2))
    except RecursionError:
        raise BillError("file", "nested too deeply") from None


@app.command()
def ledger(region_code: OptRegion = None, on: OptDay = None, actor: Actor = "coordinator") -> None:
    """Print the treatment ledger summary (a region within the actor's scope; a county actor's by default);
    --on: the day the contract rate (签约率) counts contracts in force."""
    from cli.render import print_ledger
    from tasks.infra.db import session_scope
    from tasks.reports.ledger import ledger_for

    with session_scope() as s:
        print_ledger(ledger_for(s, actor, region_code, date.fromisoformat(on) if on else None))


@app.command()
def nightly(
    night: OptDay = None,
    region_code: OptRegion = None,
    actor: Actor = "nightly",
) -> None:
    """Nightly dynamic adjustment (动态调整) now: findings, re-triage, alarms, ledger snapshot. Not for a night
    after today; a coordinator runs only their region's (--region-code)."""
    from flows.nightly import nightly_adjustment
    from models.access import AccessDenied
    from models.common import local_today
    from models.nightly import NightInFuture, check_night

    try:  # checked here first for a one-line answer; the flow checks both again (API runs)
        day = check_night(date.fromisoformat(night), local_today(get_settings().timezone)) if night else None
        _echo(_run(nightly_adjustment(night=day, region_code=region_code, actor=actor)))
    except (NightInFuture, AccessDenied) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


WithDemo = Annotated[bool, typer.Option("--with-demo", help="Also serve county-demo (it refuses a non-demo database).")]


@app.command()
def serve(with_demo: WithDemo = False) -> None:
    """Serve every flow as a Prefect deployment (forms in the UI) on the configured Prefect server."""
    from runtime.serve import serve_all

    serve_all(with_demo)


@app.command()
def up(with_demo: WithDemo = False) -> None:
    """Everything on one machine: a local Prefect server (unless PREFECT_API_URL is set) + serve."""
    from runtime.up import up as start

    start(with_demo)
