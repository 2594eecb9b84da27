"""Referral commands: `dabing referral accept|decline REFERRAL` (the designated hospital's answer, entered by the
coordinator), `dabing waiting-list` (候诊名单 and the capacity in use), and the `--hospital` option of `refer`."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer

from cli.errors import Typer
from cli.params import MAX_INT, Actor, OptDay, OptRegion
from models.referral_history import DECLINE_LABELS, DeclineReason
from models.waiting import WaitingReport

referral_app = Typer(no_args_is_help=True, help="转诊: a designated hospital's answer to a referral.")


def _hospital(value: str | None) -> str | None:
    from config.catalogue import load_hospitals

    if value is None or value == "":
        return value
    code = value.strip()
    if not any(h.code == code for h in load_hospitals()):
        raise typer.BadParameter("unknown designated hospital code (config/data/hospitals.yaml, e.g. 520527-PH)")
    return code


HospitalOpt = Annotated[
    str, typer.Option(callback=_hospital, help="Designated hospital code the coordinator picks (e.g. 520527-PH).")
]
ReferralArg = Annotated[int, typer.Argument(min=1, max=MAX_INT, help="Internal referral id.")]
Reason = Annotated[
    DeclineReason,
    typer.Option(help="Why: " + ", ".join(f"{r.value}={label}" for r, label in DECLINE_LABELS.items()) + "."),
]


def _today(on: str | None) -> date:
    from config.settings import get_settings
    from models.common import local_today

    return date.fromisoformat(on) if on else local_today(get_settings().timezone)


def _echo(outcome: object) -> None:
    typer.echo(json.dumps(outcome.model_dump(mode="json"), ensure_ascii=False, indent=2))  # type: ignore[attr-defined]


@referral_app.command("accept")
def accept(referral_id: ReferralArg, on: OptDay = None, actor: Actor = "coordinator") -> None:
    """接收: the designated hospital accepts the referral (its place stays reserved until admission)."""
    import asyncio

    from flows.referral import accept as accept_flow

    _echo(asyncio.run(accept_flow(referral_id, _today(on), actor)))


@referral_app.command("decline")
def decline(referral_id: ReferralArg, reason: Reason, on: OptDay = None, actor: Actor = "coordinator") -> None:
    """拒收: the hospital declines with a reason; the case is re-referred to the next suitable hospital, or waits."""
    import asyncio

    from flows.referral import decline as decline_flow

    _echo(asyncio.run(decline_flow(referral_id, _today(on), reason, actor)))


@referral_app.command("show")
def show(
    case_id: Annotated[int, typer.Argument(min=1, max=MAX_INT, help="Internal case id.")], actor: Actor = "coordinator"
) -> None:
    """A case's referrals (ids for accept / decline), each with its history: who, when, why."""
    from models.clinical import Case
    from models.errors import CaseNotFound
    from tasks.infra.access import authorize_case
    from tasks.infra.db import session_scope
    from tasks.pathway.referral_status import case_referrals

    with session_scope() as s:
        case = s.get(Case, case_id)
        if case is None:
            raise CaseNotFound(case_id)
        authorize_case(s, actor, case)
        rows = case_referrals(s, case_id)
    typer.echo(json.dumps({"case_id": case_id, "referrals": rows}, ensure_ascii=False, indent=2, default=str))


Limit = Annotated[int, typer.Option(min=1, max=100_000, help="Rows to show.")]


def waiting_list(
    region: OptRegion = None,
    hospital: Annotated[
        str | None, typer.Option(callback=_hospital, help="Only cases this hospital could take.")
    ] = None,
    on: OptDay = None,
    limit: Limit = 30,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    actor: Actor = "coordinator",
) -> None:
    """候诊名单: cases waiting for capacity, green channel first then the longest wait; and the capacity in use."""
    from tasks.infra.access import report_region
    from tasks.infra.db import session_scope
    from tasks.pathway.capacity import waiting_report

    with session_scope() as s:
        report = waiting_report(s, _today(on), report_region(s, actor, region), hospital, limit)
    if as_json:
        _echo(report)
    else:
        print_waiting(report)


def print_waiting(report: WaitingReport) -> None:
    where = " ".join(x for x in (report.region_code, report.hospital_code) if x) or "all regions"
    typer.echo(
        f"候诊名单 waiting list — {where}, {report.on}: {report.total} waiting ({report.green_channel} 绿色通道)"
    )
    typer.echo(f"{'#':>4} {'case':>8}  {'disease':<22}{'region':<8}{'green':<7}{'since':<12}{'days':>5}")
    for r in report.rows:
        disease = f"{r.disease_zh} ({r.disease_code})"
        typer.echo(
            f"{r.rank:>4} {r.case_id:>8}  {disease:<22}{r.region_code:<8}{'yes' if r.green_channel else '':<7}"
            f"{r.waiting_since.isoformat():<12}{r.days_waiting:>5}"
        )
    if report.total > len(report.rows):
        typer.echo(f"… {report.total - len(report.rows)} more (--limit)")
    typer.echo(f"\n{'hospital':<14}{'pool':<24}{'used':>7}{'limit':>7}")
    for p in report.capacity:
        pool = "shared beds" if p.pool == "shared" else f"{p.pool} {'monthly' if p.kind == 'monthly_slots' else 'beds'}"
        typer.echo(f"{p.hospital_code:<14}{pool:<24}{p.used:>7}{p.limit:>7}")
