"""Corrections, each audited with actor and reason (``--reason`` required):

dabing correct status PATIENT --to minimum_living --from 2017-06-01 --reason "民政复核为低保"
dabing correct diagnosis CASE --icd I12.0 --reason "出院诊断为高血压肾病" [--on DATE]
dabing groups add|remove PATIENT GROUP [GROUP…] --from DATE --reason "…"
dabing close CASE --why died --reason "…" [--on DATE]
dabing undo CASE --reason "…"
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import typer

from cli.errors import Typer
from cli.params import Actor, Id, OptDay, _date, _icd10
from models.corrections import reason_text
from models.enums import CLOSE_REASON_LABELS, GROUP_LABELS, CloseReason, PatientGroup, PovertyStatus
from models.errors import BadInput

E = TypeVar("E", bound=StrEnum)


def _reason(value: str) -> str:
    try:
        return reason_text(value)
    except BadInput as exc:
        raise typer.BadParameter(exc.reason) from None


def choice(enum: type[E], labels: dict[Any, str] | None = None) -> Callable[[str], E]:
    """A parser for one of a fixed list that never repeats what was typed (it may be a name or an ID)."""

    def parse(value: str | E) -> E:
        try:
            return enum(str(value).strip().lower())
        except ValueError:
            names = ", ".join(f"{m.value} ({labels[m]})" if labels else m.value for m in enum)
            raise typer.BadParameter(f"not one of {names}") from None

    return parse


Reason = Annotated[str, typer.Option("--reason", callback=_reason, help="Why (audit text, 1-200 characters).")]
From = Annotated[str, typer.Option("--from", callback=_date, help="Effective from, YYYY-MM-DD.")]
Status = Annotated[
    PovertyStatus, typer.Option("--to", parser=choice(PovertyStatus), metavar="STATUS", help="New poverty status.")
]
Group = Annotated[
    list[PatientGroup],
    typer.Argument(
        parser=choice(PatientGroup, GROUP_LABELS),
        metavar="GROUP…",
        help="特殊人群: " + ", ".join(f"{g.value} ({v})" for g, v in GROUP_LABELS.items()),
    ),
]
Why = Annotated[
    CloseReason,
    typer.Option(
        "--why",
        parser=choice(CloseReason, CLOSE_REASON_LABELS),
        metavar="WHY",
        help="结案原因: " + ", ".join(f"{r.value} ({v})" for r, v in CLOSE_REASON_LABELS.items()),
    ),
]
Icd = Annotated[str, typer.Option("--icd", callback=_icd10, help="The correct ICD-10 code.")]

correct_app = Typer(no_args_is_help=True, help="更正 Correct a patient's poverty status or a case's diagnosis.")
groups_app = Typer(no_args_is_help=True, help="特殊人群 Add or remove a patient's special groups from a date.")


def _echo(model: Any) -> None:
    typer.echo(json.dumps(model.model_dump(mode="json"), ensure_ascii=False, indent=2))


@correct_app.command("status")
def correct_status(
    patient_id: Id, to: Status, effective_from: From, reason: Reason, actor: Actor = "coordinator"
) -> None:
    """贫困属性: the status from --from on (earlier stays keep the old one); prints the status and groups now."""
    from flows.corrections import correct_poverty_status

    day = date.fromisoformat(effective_from)
    _echo(asyncio.run(correct_poverty_status(patient_id, to, day, reason, actor)))


@correct_app.command("diagnosis")
def correct_diagnosis(case_id: Id, icd: Icd, reason: Reason, on: OptDay = None, actor: Actor = "coordinator") -> None:
    """更正诊断: correct the ICD-10 code and re-triage the case (the catalogue on --on, default today)."""
    from flows.corrections import correct_diagnosis as flow
    from tasks.pathway.correction_steps import today

    day = date.fromisoformat(on) if on else today()
    _echo(asyncio.run(flow(case_id, icd, day, reason, actor)))


def _groups(
    patient_id: int, groups: list[PatientGroup], effective_from: str, reason: str, actor: str, add: bool
) -> None:
    from flows.corrections import change_patient_groups

    day = date.fromisoformat(effective_from)
    added, removed = (groups, None) if add else (None, groups)
    _echo(asyncio.run(change_patient_groups(patient_id, day, reason, added, removed, actor)))


@groups_app.command("add")
def add(patient_id: Id, group: Group, effective_from: From, reason: Reason, actor: Actor = "coordinator") -> None:
    """The patient belongs to GROUP from --from on."""
    _groups(patient_id, group, effective_from, reason, actor, add=True)


@groups_app.command("remove")
def remove(patient_id: Id, group: Group, effective_from: From, reason: Reason, actor: Actor = "coordinator") -> None:
    """The patient no longer belongs to GROUP from --from on."""
    _groups(patient_id, group, effective_from, reason, actor, add=False)


def close(case_id: Id, why: Why, reason: Reason, on: OptDay = None, actor: Actor = "coordinator") -> None:
    """结案: close a case with a reason from the fixed list (died / moved_away close the patient's other cases),
    on --on (the day it ended: died, moved away…; default today)."""
    from flows.corrections import close_case

    day = date.fromisoformat(on) if on else None
    _echo(asyncio.run(close_case(case_id, why, reason, actor, day)))


def undo(case_id: Id, reason: Reason, actor: Actor = "coordinator") -> None:
    """撤销上一步: return the case to the state before its last step, as a new audited move."""
    from flows.corrections import undo_step

    _echo(asyncio.run(undo_step(case_id, reason, actor)))
