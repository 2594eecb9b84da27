"""Database errors, told without their data. A driver error's text carries the statement's parameters (hashes,
sealed identity, birth dates) and, on PostgreSQL, a DETAIL line repeating the conflicting key; Prefect stores
an exception's text as the run's state message and logs its traceback. Tasks therefore raise a StorageError
naming only the error's kind and the table / constraint / column, never a value."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError, StatementError

P = ParamSpec("P")
R = TypeVar("R")

#: Primary messages repeated as they are: names of constraints, tables and columns, no values
_SAFE = re.compile(
    r'[\w .:,"()-]{0,200}(constraint|locked|append-only|deadlock|serializ|connection|timeout|closed|busy)'
    r'[\w .:,"()-]{0,200}'
)


class StorageError(RuntimeError):
    """The database refused or failed a statement; nothing of the unit of work was kept. ``conflict``: a unique
    or other integrity constraint (a concurrent writer may have won: a re-run sees its rows); ``transient``: a
    lost connection or a lock (the retry policies retry both kinds as they did the driver errors)."""

    def __init__(self, message: str, *, conflict: bool = False, transient: bool = False) -> None:
        super().__init__(message)
        self.conflict, self.transient = conflict, transient

    @classmethod
    def of(cls, exc: StatementError) -> StorageError:
        return cls(
            describe(exc),
            conflict=isinstance(exc, IntegrityError),
            transient=isinstance(exc, OperationalError) or bool(getattr(exc, "connection_invalidated", False)),
        )


def describe(exc: StatementError) -> str:
    """``database error: <driver class>: <primary message if it names no value> (table …, constraint …)``."""
    orig = exc.orig
    kind = type(orig).__name__ if orig is not None else type(exc).__name__
    diag = getattr(orig, "diag", None)  # psycopg: the error's fields, without the DETAIL line
    primary = (getattr(diag, "message_primary", None) or str(orig or "")).splitlines()[0] if orig else ""
    text = f"{kind}: {primary}" if primary and _SAFE.fullmatch(primary) else kind
    names = [(k, getattr(diag, f"{k}_name", None)) for k in ("table", "constraint", "column")] if diag else []
    where = ", ".join(f"{k} {v}" for k, v in names if v)
    return f"database error: {text}" + (f" ({where})" if where else "")


def storage_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Re-raise a driver error escaping ``fn`` as a StorageError (without the original as cause or context,
    so no traceback shows the parameters)."""

    @functools.wraps(fn)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except StatementError as exc:  # DBAPIError (IntegrityError, OperationalError, …) and bind errors
            error = StorageError.of(exc)
        raise error from None

    return guarded
