"""Stays on the command line (issue 17): ``admit`` and ``discharge`` for a special-disease case (its first stay
after the referral, or again while under maintenance / management) or for any registered patient and
diagnosis (``--patient``, ``--stay``), ``settle-stay``, ``relapse`` and ``stays`` (a patient's stays)."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import typer

from cli.params import MAX_INT, Actor, Id, Sessions, _amount, _date, _icd10
from models.enums import TreatmentKind
from models.errors import BadInput

OptId = Annotated[int | None, typer.Argument(min=1, max=MAX_INT, help="Internal case id.", show_default=False)]
OptDayArg = Annotated[str | None, typer.Argument(callback=_date, help="Date, YYYY-MM-DD.", show_default=False)]


def _opt_amount(value: str | None) -> str | None:
    return None if value is None else _amount(value)


OptAmountArg = Annotated[
    str | None, typer.Argument(callback=_opt_amount, help="Yuan, at most 2 decimals.", show_default=False)
]
Patient = Annotated[
    int | None, typer.Option("--patient", min=1, max=MAX_INT, help="Patient id: a stay without a case.")
]
Stay = Annotated[int | None, typer.Option("--stay", min=1, max=MAX_INT, help="Stay id (printed by admit).")]
Hospital = Annotated[str, typer.Option("--hospital", help="Hospital code (config/data/hospitals.yaml).")]
IcdOpt = Annotated[str, typer.Option("--icd", "--icd10", callback=_icd10, help="Diagnosis of the stay (ICD-10).")]
OnOpt = Annotated[str | None, typer.Option("--on", callback=_date, help="Date, YYYY-MM-DD.")]
Total = Annotated[str | None, typer.Option("--total", callback=_opt_amount, help="Total bill in yuan (--stay form).")]
Kind = Annotated[
    TreatmentKind,
    typer.Option("--kind", help="general, dialysis, chemotherapy, radiotherapy, delivery, rehabilitation."),
]
Outpatient = Annotated[
    bool, typer.Option("--outpatient", help="An outpatient 门诊慢特病 course (sessions at discharge).")
]
OutOfScope = Annotated[str, typer.Option(callback=_amount, help="Yuan, at most 2 decimals.")]


def _echo(model: Any) -> None:
    typer.echo(json.dumps(model.model_dump(mode="json"), ensure_ascii=False, indent=2))


def _one_form(name: str, positional: dict[str, object], options: dict[str, object]) -> bool:
    """True for the option form (``--patient`` / ``--stay``); the two forms never mix."""
    given = {k for k, v in positional.items() if v is not None}
    if options[name] is None:
        missing = [k for k, v in positional.items() if v is None]
        if missing:
            raise BadInput(missing[0], f"missing (or use the {name} form)")
        return False
    if given:
        raise BadInput(name.lstrip("-"), f"takes no {', '.join(sorted(given)).upper()} argument (use --on …)")
    unset = [k for k, v in options.items() if v in (None, "")]
    if unset:
        raise BadInput(name.lstrip("-"), f"needs --{unset[0].lstrip('-').replace('_', '-')}")
    return True


def admit(
    case_id: OptId = None,
    admitted_on: OptDayArg = None,
    patient: Patient = None,
    hospital: Hospital = "",
    icd: IcdOpt = "",
    on: OnOpt = None,
    kind: Kind = TreatmentKind.GENERAL,
    outpatient: Outpatient = False,
    actor: Actor = "coordinator",
) -> None:
    """入院: admit a case (CASE DATE: after its referral, or again under maintenance / management, e.g. the
    next month's dialysis with --outpatient --kind dialysis), or any registered patient for any diagnosis
    (--patient 12 --hospital 520527-PH --icd S72.0 --on 2017-03-02). Prints the stay (episode_id / stay_id)."""
    if _one_form("--patient", {"case_id": case_id, "admitted_on": admitted_on},
                 {"--patient": patient, "hospital": hospital, "icd": icd, "on": on}):  # fmt: skip
        from flows.stays import admit_patient

        assert patient is not None and on is not None
        _echo(asyncio.run(admit_patient(patient, hospital, icd, date.fromisoformat(on), kind, outpatient, actor)))
        return
    from flows.pathway import admit as admit_flow

    assert case_id is not None and admitted_on is not None
    when = date.fromisoformat(admitted_on)
    _echo(asyncio.run(admit_flow(case_id, when, actor, outpatient, kind, hospital)))


def discharge(
    case_id: OptId = None,
    discharged_on: OptDayArg = None,
    total_cost: OptAmountArg = None,
    stay: Stay = None,
    on: OnOpt = None,
    total: Total = None,
    out_of_scope: OutOfScope = "0",
    sessions: Sessions = 0,
    actor: Actor = "coordinator",
) -> None:
    """出院: discharge a case (CASE DATE TOTAL; settled by the discharge event or `settle CASE`), or a stay
    (--stay 7 --on 2017-03-20 --total 12000.00: settled at once). --sessions: an outpatient course's count."""
    if _one_form("--stay", {"case_id": case_id, "discharged_on": discharged_on, "total_cost": total_cost},
                 {"--stay": stay, "on": on, "total": total}):  # fmt: skip
        from flows.stays import discharge_and_settle

        assert stay is not None and on is not None and total is not None
        amount = Decimal(total)
        _echo(
            asyncio.run(
                discharge_and_settle(stay, date.fromisoformat(on), amount, Decimal(out_of_scope), sessions, actor)
            )
        )
        return
    from flows.pathway import discharge as discharge_flow

    assert case_id is not None and discharged_on is not None and total_cost is not None
    amount = Decimal(total_cost)
    when = date.fromisoformat(discharged_on)
    _echo(asyncio.run(discharge_flow(case_id, when, amount, Decimal(out_of_scope), sessions, actor)))


def settle_stay(stay_id: Id, actor: Actor = "coordinator") -> None:
    """One-stop settlement of a discharged stay (idempotent; `discharge --stay` already settles)."""
    from flows.stays import settle_one_stay

    _echo(asyncio.run(settle_one_stay(stay_id, actor)))


def relapse(
    case_id: Id,
    relapsed_on: Annotated[str, typer.Argument(callback=_date, help="Date, YYYY-MM-DD.")],
    actor: Actor = "coordinator",
) -> None:
    """复发: a cured case relapses; it goes back to triaged and is referred again."""
    from flows.pathway import relapse as relapse_flow

    _echo(asyncio.run(relapse_flow(case_id, date.fromisoformat(relapsed_on), actor)))


def stays(patient: Annotated[int, typer.Option("--patient", min=1, max=MAX_INT)], actor: Actor = "coordinator") -> None:
    """A patient's stays, newest first: hospital, diagnosis, kind, dates, amounts, settlement."""
    from tasks.infra.db import session_scope
    from tasks.pathway.stays import stays_of

    with session_scope() as s:
        typer.echo(json.dumps(stays_of(s, patient, actor), ensure_ascii=False, indent=2))
