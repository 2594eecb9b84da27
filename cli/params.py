"""Validated CLI parameters. A bad value stops the command before any flow runs: click prints
``Invalid value for 'NAME': reason`` naming the parameter and exits with status 2. Identity values are
never repeated in the message."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from models import national_id
from models.catalogue import is_known_icd10
from models.common import iso_date_text, plain_text
from models.digits import ascii_digits
from models.enums import FollowUpOutcome
from models.free_text import IdNumberInText, no_id_number
from models.settlement.bill import BillError, parse_money

MAX_INT = 2_147_483_647  # the database's INTEGER columns (ids, session counts)


def _date(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(iso_date_text(value)).isoformat()
    except ValueError:
        raise typer.BadParameter("not a real date written YYYY-MM-DD") from None


def _amount(value: str) -> str:
    try:
        return str(parse_money(value, "amount"))
    except BillError as exc:
        raise typer.BadParameter(f"{exc.reason} (yuan, e.g. 38734.00)") from None


def _icd10(value: str) -> str:
    code = value.strip().upper()
    if code and not is_known_icd10(code):
        raise typer.BadParameter("not a known ICD-10 code (e.g. I10, Q21.0)")
    return code


def _region(value: str | None) -> str | None:
    from config.catalogue import load_regions

    code = None if value is None else ascii_digits(value).strip()  # full-width / other digits read as ASCII
    if code is not None and not load_regions().is_known(code):
        raise typer.BadParameter("unknown region code (6 digits, listed in config/data/regions.yaml)")
    return code


def _text(limit: int) -> Callable[[str | None], str | None]:
    def check(value: str | None) -> str | None:
        if value is None:
            return None
        try:
            plain_text(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
        if not 1 <= len(value.strip()) <= limit:
            raise typer.BadParameter(f"must be 1 to {limit} characters")
        return value.strip()

    return check


def _actor(value: str) -> str:
    text = _text(60)(value) or ""
    try:
        return no_id_number(text)
    except IdNumberInText as exc:
        raise typer.BadParameter(str(exc)) from None


def _national_id(value: str) -> str:
    try:
        return national_id.normalise(value)
    except national_id.NationalIdError as exc:
        raise typer.BadParameter(str(exc)) from None  # the message never repeats the number


Id = Annotated[int, typer.Argument(min=1, max=MAX_INT, help="Internal id.")]
Day = Annotated[str, typer.Argument(callback=_date, help="Date, YYYY-MM-DD.")]
Amount = Annotated[str, typer.Argument(callback=_amount, help="Yuan, at most 2 decimals.")]
AmountOpt = Annotated[str, typer.Option(callback=_amount, help="Yuan, at most 2 decimals.")]
Sessions = Annotated[int, typer.Option(min=0, max=MAX_INT)]
Icd10 = Annotated[str, typer.Argument(callback=_icd10, help="ICD-10 code.")]
Icd10Opt = Annotated[str, typer.Option(callback=_icd10, help="Corrected ICD-10 code (optional).")]
Region = Annotated[str, typer.Option(callback=_region, help="6-digit region code.")]
OptRegion = Annotated[str | None, typer.Option(callback=_region, help="Only this 6-digit region code.")]
DayOpt = Annotated[str, typer.Option(callback=_date, help="Date, YYYY-MM-DD.")]
OptDay = Annotated[
    str | None, typer.Option(callback=_date, help="Date, YYYY-MM-DD; default: today in DABING_TIMEZONE.")
]
Actor = Annotated[str, typer.Option(callback=_actor, help="Internal id of the coordinator acting.")]


def _outcome(value: str | FollowUpOutcome) -> FollowUpOutcome:
    """One of the fixed outcomes; anything else is refused without repeating what was typed (it may be a
    name or an ID number)."""
    try:
        return FollowUpOutcome(str(value).strip().lower())
    except ValueError:
        raise typer.BadParameter(f"not one of {', '.join(FollowUpOutcome)}") from None


Outcome = Annotated[
    FollowUpOutcome,
    typer.Option(
        parser=_outcome,
        metavar="OUTCOME",
        help="随访结果 Follow-up outcome: " + ", ".join(f"{o.value} ({o.label})" for o in FollowUpOutcome) + ".",
    ),
]
HouseholdRef = Annotated[str, typer.Option(callback=_text(40))]
InputFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]

NOT_ON_COMMAND_LINE = "never on the command line (shell history, ps): type it at the prompt or use --identity-file"


def _refused(value: str | None) -> None:
    if value is not None:
        raise typer.BadParameter(NOT_ON_COMMAND_LINE)


#: ``--national-id`` / ``--name`` exist only to refuse a value given there (exit 2, one line naming the option).
NationalId = Annotated[str | None, typer.Option(hidden=True, callback=_refused, expose_value=False)]
Name = Annotated[str | None, typer.Option(hidden=True, callback=_refused, expose_value=False)]
IdentityFile = Annotated[
    Path | None,
    typer.Option(
        exists=True,
        dir_okay=False,
        readable=True,
        help="JSON {national_id, name} or CSV with columns national_id,name and one row; "
        "without it both are asked for (the number hidden).",
    ),
]


def read_identity(path: Path | None) -> tuple[str, str]:
    """(national ID, name) from ``--identity-file``, or asked for at the prompt (the number without echo; a bad
    value is asked again). A bad file: ``Invalid value: --identity-file: <field>: <reason>`` (never the value)."""
    if path is None:
        nid = typer.prompt("National ID number", hide_input=True, value_proc=_national_id)
        return nid, str(typer.prompt("Name", value_proc=_text(60)))

    def bad(reason: str) -> typer.BadParameter:
        return typer.BadParameter(f"--identity-file: {reason}")

    try:
        text = path.read_text(encoding="utf-8-sig")
        if text.lstrip().startswith("{"):
            data = json.loads(text)
        else:
            rows = list(csv.DictReader(io.StringIO(text)))
            if len(rows) != 1:
                raise bad("a CSV with a header national_id,name and exactly one row")
            data = rows[0]
    except (UnicodeDecodeError, json.JSONDecodeError, csv.Error):
        raise bad("not a UTF-8 JSON object or CSV file") from None
    if not isinstance(data, dict):
        raise bad("not a JSON object")
    values = []
    for field, check in (("national_id", _national_id), ("name", _text(60))):
        value = data.get(field)
        if not isinstance(value, str):
            raise bad(f"{field}: missing")
        try:
            values.append(str(check(value)))
        except typer.BadParameter as exc:
            raise bad(f"{field}: {exc.message}") from None
    return values[0], values[1]
