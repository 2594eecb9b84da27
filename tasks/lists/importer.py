"""Import an external list into ``external_status``, set-based and idempotent.

People are found by the keyed hash of their ID number (``models.identity.lookup_hash``) or by household
number (every member of the household); an ID number is never stored, logged or returned. One row per person,
source and list date: INSERT … ON CONFLICT DO NOTHING, so re-importing the same list writes nothing new.
A row naming nobody (or somebody outside the actor's scope: no oracle) is reported by its line only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import structlog
from prefect import task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from config.identity import identity_keys
from config.settings import get_settings
from models.access import Scope
from models.common import local_today
from models.external_lists import ListRow, ListSource, parse_list
from models.identity import lookup_hash
from models.intake import ImportRejected, RowError
from models.nightly import check_day
from models.people import ExternalStatus, Household, Patient
from tasks.infra.access import scope_of
from tasks.infra.db import session_scope
from tasks.infra.retry import RETRY
from tasks.lists.read import read_table

log = structlog.get_logger(__name__)
_PART = 900
_INSERT = 5000  # rows per INSERT (5 columns: well under SQLite's 32,766 parameters)


class ListImportReport(BaseModel):
    """Counts and file line numbers only: safe for logs, Prefect results and artifacts."""

    source: ListSource
    list_date: date
    rows: int
    matched: int  # people the list names (a household row names each member)
    written: int  # new rows
    already: int  # already recorded for this source and date (a re-import)
    unmatched_lines: list[int]


def _lookup(session: Session, column: Any, keys: Sequence[str], *extra: Any) -> list[Any]:
    found: list[Any] = []
    for start in range(0, len(keys), _PART):
        found.extend(session.execute(select(column, *extra).where(column.in_(keys[start : start + _PART]))).all())
    return found


def _people(session: Session, rows: list[ListRow], scope: Scope) -> tuple[dict[int, ListRow], list[int]]:
    """patient id → the row that names them (an ID row wins over a household row); unmatched lines."""
    keys = identity_keys()
    by_hash = {lookup_hash(keys, r.national_id): r for r in rows if r.national_id}
    refs = sorted({r.household_ref for r in rows if r.household_ref})
    hashed = {
        h: (pid, region)
        for h, pid, region in _lookup(
            session, col(Patient.national_id_hash), sorted(by_hash), col(Patient.id), col(Patient.region_code)
        )
    }
    members: dict[str, list[tuple[int, str]]] = {}
    for ref, pid, region in session.execute(
        select(col(Household.ref), col(Patient.id), col(Patient.region_code))
        .join(Patient, col(Patient.household_id) == col(Household.id))
        .where(col(Household.ref).in_(refs))
    ).tuples():
        members.setdefault(ref, []).append((pid, region))
    named: dict[int, ListRow] = {}
    unmatched: list[int] = []
    conflicts: list[RowError] = []
    for h, row in by_hash.items():  # ID rows first: they win over a household row naming the same person
        pid, region = hashed.get(h, (0, ""))
        if pid and scope.covers(region):
            named[pid] = row
        else:
            unmatched.append(row.line)
    for row in rows:
        if row.household_ref is None:
            continue
        people = [pid for pid, region in members.get(row.household_ref, []) if scope.covers(region)]
        if not people:
            unmatched.append(row.line)
        for pid in people:
            earlier = named.setdefault(pid, row)
            if earlier.household_ref and (earlier.poverty_status, earlier.insured) != (row.poverty_status, row.insured):
                conflicts.append(RowError(row.line, "household_ref", f"another status on line {earlier.line}"))
    if conflicts:
        raise ImportRejected(conflicts)
    return named, sorted(unmatched)


def write_list(
    session: Session, rows: list[ListRow], source: ListSource, list_date: date, scope: Scope
) -> ListImportReport:
    named, unmatched = _people(session, rows, scope)
    table: Any = ExternalStatus.__table__  # type: ignore[attr-defined]
    insert: Any = postgresql.insert if session.connection().dialect.name == "postgresql" else sqlite.insert
    values = [
        {"patient_id": pid, "source": source.value, "list_date": list_date,
         "poverty_status": r.poverty_status.value if r.poverty_status else None, "insured": r.insured}
        for pid, r in sorted(named.items())
    ]  # fmt: skip
    written = 0
    for start in range(0, len(values), _INSERT):
        stmt = insert(table).values(values[start : start + _INSERT]).on_conflict_do_nothing()
        written += len(session.execute(stmt.returning(table.c.id)).all())  # rowcount is -1 on psycopg
    return ListImportReport(
        source=source,
        list_date=list_date,
        rows=len(rows),
        matched=len(named),
        written=written,
        already=len(named) - written,
        unmatched_lines=unmatched,
    )


def parse_list_file(path: str, source: ListSource) -> list[ListRow]:
    header, records = read_table(Path(path))
    return parse_list(source, header, records)


@task(task_run_name="import-list-{source}", cache_policy=NO_CACHE, **RETRY)
def import_external_list(path: str, source: ListSource, list_date: date, actor: str) -> ListImportReport:
    """All or nothing: a bad row rejects the whole file (line and field); then one transaction. A list dated
    after today is refused (``date``): it would be compared as the newest list with nothing to back it."""
    check_day("date", list_date, local_today(get_settings().timezone))
    rows = parse_list_file(path, source)
    with session_scope() as s:
        report = write_list(s, rows, source, list_date, scope_of(s, actor))
    log.info("lists.imported", **report.model_dump(mode="json", exclude={"unmatched_lines"}))
    return report
