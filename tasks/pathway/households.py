"""People and households on the way in: found by their unique keys (``patient.national_id_hash``,
``household.ref``), inserted when absent — insert-or-get, so a concurrent import or registration of the same
person or household reuses the row the other committed instead of failing — and checked against the row's
region and the actor's scope. A refusal never says which of region, person or household made it (no oracle
for another county's enrolment or household refs)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from models.access import AccessDenied, Scope
from models.enums import AccessReason

_PART = 900  # keeps IN (...) lists under SQLite's bound-parameter limit


@dataclass(frozen=True, slots=True)
class Known:
    """A stored person or household: internal id and region."""

    id: int
    region_code: str


def known(session: Session, table: Any, key: str, values: Sequence[str]) -> dict[str, Known]:
    """The rows of ``table`` (Patient or Household) whose ``key`` is one of ``values``."""
    t = table.__table__
    found: dict[str, Known] = {}
    for start in range(0, len(values), _PART):
        stmt = select(t.c[key], t.c.id, t.c.region_code).where(t.c[key].in_(values[start : start + _PART]))
        for k, ident, region in session.execute(stmt):
            found[k] = Known(ident, region)
    return found


def insert_or_get(session: Session, table: Any, key: str, rows: list[dict[str, Any]]) -> int:
    """Insert the rows whose key is free (``ON CONFLICT DO NOTHING``: a row a concurrent transaction committed
    meanwhile is kept, not an error); returns how many were inserted (read the ids with ``known``)."""
    if not rows:
        return 0
    t = table.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(t).on_conflict_do_nothing(index_elements=[t.c[key]]).returning(t.c[key])
    return len(session.execute(stmt, rows).all())


def usable(scope: Scope | None, region: str, person: Known | None, household: Known | None) -> bool:
    """A row (or registration) of ``region`` may go ahead: its household, if stored, is of that region; with
    an actor's scope, the region and the person, if stored, are within it."""
    if household is not None and household.region_code != region:
        return False
    if scope is None:
        return True
    return scope.covers(region) and (person is None or scope.covers(person.region_code))


def refusal(actor: str, scope: Scope | None, region: str, where: str = "") -> AccessDenied:
    """The one message for any unusable row or registration: it names what the caller typed (region, file
    line), never whether a person or household exists elsewhere, nor an internal id."""
    detail = f"scope {scope.region_prefix}" if scope is not None else ""
    return AccessDenied(actor, f"region {region}{where}", AccessReason.NOT_USABLE, detail)
