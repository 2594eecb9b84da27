"""Family-doctor contracts (家庭医生签约), each audited with actor and reason:

dabing contract sign PATIENT --team 城关-1 --institution 520527-TH1 --from 2017-04-01 --years 1 --reason "…"
dabing contract renew PATIENT [--from DATE] [--years N] [--team T] [--institution CODE] --reason "…"
dabing contract end PATIENT --on DATE --reason "…"
"""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import Annotated, Any

import typer

from cli.corrections import From, Reason
from cli.errors import Typer
from cli.params import Actor, Id, _date

contract_app = Typer(no_args_is_help=True, help="家庭医生签约 Sign, renew or end a family-doctor contract.")

Team = Annotated[str, typer.Option("--team", help="Family-doctor team (id or name, ≤ 40 characters).")]
OptTeam = Annotated[str | None, typer.Option("--team", help="Another team (default: the same).")]
Institution = Annotated[str | None, typer.Option("--institution", help="Institution code (hospitals.yaml).")]
Years = Annotated[int, typer.Option("--years", min=1, max=10, help="Term in years.")]
OptFrom = Annotated[
    str | None, typer.Option("--from", callback=_date, help="Start, YYYY-MM-DD (default: the day after expiry).")
]


def _echo(model: Any) -> None:
    typer.echo(json.dumps(model.model_dump(mode="json"), ensure_ascii=False, indent=2))


@contract_app.command("sign")
def sign(
    patient_id: Id,
    team: Team,
    signed_from: From,
    reason: Reason,
    institution: Institution = None,
    years: Years = 1,
    actor: Actor = "coordinator",
) -> None:
    """签约: a new contract term from --from (refused while another is in force: renew or end it)."""
    from flows.contracts import sign as flow

    _echo(asyncio.run(flow(patient_id, team, date.fromisoformat(signed_from), reason, institution, years, actor)))


@contract_app.command("renew")
def renew(
    patient_id: Id,
    reason: Reason,
    renew_from: OptFrom = None,
    team: OptTeam = None,
    institution: Institution = None,
    years: Years = 1,
    actor: Actor = "coordinator",
) -> None:
    """续约: a new term after the latest one (the old term is kept as it was)."""
    from flows.contracts import renew as flow

    start = date.fromisoformat(renew_from) if renew_from else None
    _echo(asyncio.run(flow(patient_id, reason, start, team, institution, years, actor)))


@contract_app.command("end")
def end(
    patient_id: Id,
    ended_on: Annotated[str, typer.Option("--on", callback=_date)],
    reason: Reason,
    actor: Actor = "coordinator",
) -> None:
    """解约: the contract in force on --on ends that day (a new row; the term is kept as it was)."""
    from flows.contracts import end as flow

    _echo(asyncio.run(flow(patient_id, date.fromisoformat(ended_on), reason, actor)))
