"""The CLI's one error handler: a domain error becomes ONE line on stderr and an exit status, for every
command of every typer app built with ``Typer`` below (``dabing``, ``dabing reports``, ``dabing events``).

Exit status (README "Errors"): 1 — refused (illegal move, access denied, not found); 2 — bad input (a
parameter, a bill, a national ID, a pydantic validation error, a rejected CSV import). The line names the
case or patient the command acted on (or the CSV line) and the field, and runs through the identity mask.
The traceback is shown only with ``dabing --debug …``; without it Prefect's console copy of the failure
(its traceback and the ``Finished in state Failed(…)`` lines) is dropped too — the run log shipped to the
Prefect server keeps them. Any other exception is a bug: its traceback is shown as before.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

# typer 0.29 carries its own click (typer._click): its classes, not the installed click's, are the ones raised
from typer._click.core import Context
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer.core import TyperCommand
from typer.models import CommandFunctionType

from config.logging import quiet_console
from models.access import AccessDenied
from models.corrections import CorrectionRefused
from models.errors import BadInput, NotFound
from models.identity import IdentityKeyError, mask_text
from models.intake import ImportRejected
from models.national_id import NationalIdError
from models.pathway import IllegalTransition
from models.settlement.bill import BillError
from tasks.infra.errors import StorageError

REFUSED, BAD_INPUT = 1, 2
DEBUG = "dabing.debug"  # key in click's ctx.meta, shared by every context of one command line
#: error type → (what the line starts with, exit status); the first matching row wins
DOMAIN_ERRORS: tuple[tuple[type[Exception], str, int], ...] = (
    (IllegalTransition, "refused", REFUSED),
    (CorrectionRefused, "refused", REFUSED),
    (AccessDenied, "", REFUSED),  # its message starts with "access denied: actor … may not act on …"
    (NotFound, "not found", REFUSED),
    (IdentityKeyError, "refused", REFUSED),  # names the patient's internal id, never a value
    (ImportRejected, "import rejected", BAD_INPUT),
    (BillError, "invalid bill", BAD_INPUT),
    (NationalIdError, "invalid input: national_id", BAD_INPUT),
    (BadInput, "invalid input", BAD_INPUT),
    (ValidationError, "invalid input", BAD_INPUT),
    (StorageError, "failed", REFUSED),  # names the table / constraint, never a value (tasks/infra/errors.py)
)
_TYPES = tuple(t for t, _, _ in DOMAIN_ERRORS)
#: what the command acted on, from its parameters
_SUBJECTS = {"case_id": "case", "patient_id": "patient"}


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, what it was raised from (a wrapper's cause), and the members of a group, each once."""
    todo, seen = [exc], set()
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        if isinstance(e, BaseExceptionGroup):
            todo.extend(e.exceptions)
        if e.__cause__ is not None:
            todo.append(e.__cause__)


def domain_error(exc: BaseException) -> Exception | None:
    """The domain error behind ``exc``: itself, what it was raised from (a wrapper), or one of a group."""
    return next((e for e in _chain(exc) if isinstance(e, _TYPES)), None)


_NO_TABLE = re.compile(r'no such table: (\w+)|relation "(\w+)" does not exist')


def missing_table(exc: BaseException) -> str | None:
    """The table a driver error behind ``exc`` says is missing (SQLite ``no such table``, PostgreSQL ``relation
    … does not exist``): a database nobody has set up yet, not a bug to show as a traceback."""
    for e in _chain(exc):
        if isinstance(e, DBAPIError) and (m := _NO_TABLE.search(str(e.orig))):
            return m.group(1) or m.group(2)
    return None


def _detail(exc: Exception) -> str:
    if isinstance(exc, ValidationError):  # field and reason only: pydantic's text repeats the input
        first = exc.errors(include_url=False, include_input=False, include_context=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or "value"
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        return f"{field}: {first['msg'][:1].lower()}{first['msg'][1:]}{more}"
    return str(exc)


def one_line(text: str) -> str:
    """Line breaks (and the indentation after them) become one space; other spacing, e.g. inside a field name
    the error quotes, is kept."""
    return re.sub(r"\s*[\r\n]+\s*", " ", text).strip()


def error_line(exc: Exception, params: dict[str, Any]) -> tuple[str, int]:
    """One line (label, the case or patient acted on unless the message names it, the message) and the exit
    status of a domain error."""
    label, status = next((lab, code) for t, lab, code in DOMAIN_ERRORS if isinstance(exc, t))
    detail = _detail(exc)
    subjects = [f"{kind} {params[p]}" for p, kind in _SUBJECTS.items() if params.get(p) is not None]
    parts = [label] if label else []
    parts += [s for s in subjects if not re.search(rf"\b{s}\b", detail)]
    line = ": ".join([*parts, detail])
    return mask_text(one_line(line)), status


class QuietDomainFailures(logging.Filter):
    """Console only: drops Prefect's records of a run that failed with a domain error (the traceback, the
    task's and the flow's ``Finished in state Failed('… IllegalTransition: …')``)."""

    _named = re.compile(r"encountered an exception:? (\w+):")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        if record.exc_info and record.exc_info[1] is not None and domain_error(record.exc_info[1]):
            return False
        named = self._named.search(record.getMessage())
        return named is None or named.group(1) not in _names(_TYPES)


def _names(types: tuple[type, ...]) -> set[str]:
    """The class names of the domain errors and of their subclasses (CaseNotFound of NotFound)."""
    return {t.__name__ for t in types} | {n for t in types for n in _names(tuple(t.__subclasses__()))}


_QUIET = QuietDomainFailures()


def _fail(line: str, status: int) -> typer.Exit:
    typer.echo(line, err=True)
    return typer.Exit(status)


class DomainCommand(TyperCommand):
    """Every command: a bad parameter and a domain error each print one line (see the module doc)."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Context | None = None, **extra: Any
    ) -> Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except NoArgsIsHelpError:
            raise
        except UsageError as exc:  # click's text names the parameter; the usage box is left out
            line = f"invalid input: {info_name or self.name}: {exc.format_message()}"
            raise _fail(one_line(line), BAD_INPUT) from None

    def invoke(self, ctx: Context) -> Any:
        debug = bool(ctx.meta.get(DEBUG))
        if not debug:
            quiet_console(_QUIET)
        try:
            return super().invoke(ctx)
        except Exception as exc:
            if not debug and (table := missing_table(exc)):
                line = f"refused: the database is not set up (no table {table}): run `dabing init-db` first"
                raise _fail(line, REFUSED) from None
            found = None if debug else domain_error(exc)
            if found is None:
                raise
            raise _fail(*error_line(found, ctx.params)) from None


def _set_debug(ctx: typer.Context, value: bool) -> None:
    ctx.meta[DEBUG] = value


#: the root callback's ``--debug`` (``def main(debug: DebugFlag = False)``): set before any command runs
DebugFlag = Annotated[
    bool,
    typer.Option(
        "--debug",
        expose_value=False,
        is_eager=True,
        callback=_set_debug,
        help="Show the traceback of an error (and Prefect's console log of the failed run).",
    ),
]


class Typer(typer.Typer):
    """``typer.Typer`` whose commands are ``DomainCommand`` (one place, so no command handles errors itself)."""

    def command(
        self, name: str | None = None, *, cls: type[TyperCommand] | None = None, **kwargs: Any
    ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        return super().command(name, cls=cls or DomainCommand, **kwargs)
