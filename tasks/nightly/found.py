"""What a chunk found tonight: a per-connection temporary table ``nightly_found`` holding the chunk's
condition set (kind, subject, …). It is never persisted; ``tasks/nightly/diff.py`` compares it with the open
alarms so only changes (opened, cleared) are written to ``finding``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Date, Integer, MetaData, String, Table, text
from sqlalchemy.sql import Select
from sqlmodel import Session

from models.common import Money
from tasks.infra.bulkwrite import append_rows

#: Execution options of an INSERT … SELECT whose row count is used: psycopg's is otherwise lost (-1) once
#: SQLAlchemy closes the cursor, and -1 is truthy — every chunk then ran its UPDATE of cleared alarms for none.
COUNTED: dict[str, Any] = {"preserve_rowcount": True}

#: The columns a check selects, in this order.
FOUND_COLUMNS = (
    "kind",
    "subject",
    "reason",
    "region_code",
    "patient_id",
    "household_id",
    "case_id",
    "amount",
    "subject_id",
    "rule",
)

found = Table(
    "nightly_found",
    MetaData(),  # private: not part of the schema the migrations build
    Column("kind", String(40)),
    Column("subject", String(64)),
    Column("reason", String(120)),
    Column("region_code", String(6)),
    Column("patient_id", Integer),
    Column("household_id", Integer),
    Column("case_id", Integer),
    Column("amount", Money()),
    Column("subject_id", Integer),
    Column("rule", String(48)),
)

dates = Table(
    "nightly_dates",
    MetaData(),
    Column("case_id", Integer, primary_key=True),
    Column("confirmed", Date),
    Column("since", Date),
    Column("contact", Date),
    Column("state", String(40)),
    Column("category", String(20)),
    Column("disease_code", String(40)),
    Column("rewound", Integer),  # 1: the state in force on a past night (``tasks/nightly/rewind.py``)
)

touch = Table(
    "nightly_touch",
    MetaData(),
    Column("case_id", Integer, primary_key=True),
    Column("admitted", Date),
    Column("discharged", Date),
    Column("referred", Date),
    Column("contact", Date),
)

#: The columns of ``nightly_dates``, in this order.
DATES_COLUMNS = ("case_id", "confirmed", "since", "contact", "state", "category", "disease_code")

_DDL = (
    "CREATE TEMP TABLE IF NOT EXISTS nightly_found (kind VARCHAR(40), subject VARCHAR(64), reason VARCHAR(120), "
    "region_code VARCHAR(6), patient_id INTEGER, household_id INTEGER, case_id INTEGER, amount {money}, "
    "subject_id INTEGER, rule VARCHAR(48))"
)


def _empty(session: Session, table: Table) -> None:
    """Empty a chunk's temporary table. PostgreSQL empties it in place (pg_temp: only ever this session's own
    table) — a DELETE leaves dead rows that nothing vacuums in a temporary table, so a connection's table (it
    lives as long as the pooled connection) grew with every chunk and each later chunk read through them (1M
    night: 13 s of DELETEs alone, on a loaded machine)."""
    if session.connection().dialect.name == "postgresql":
        session.execute(text(f"TRUNCATE pg_temp.{table.name}"))
    else:
        session.execute(table.delete())  # SQLite empties a table without a WHERE in one step


def reset_found(session: Session) -> None:
    """An empty ``nightly_found`` on this session's connection (created on first use)."""
    sqlite = session.connection().dialect.name == "sqlite"
    session.execute(text(_DDL.format(money="BIGINT" if sqlite else "NUMERIC(18, 2)")))
    # the key of an open alarm (uq_finding_active's columns): the diff groups, probes and clears in its order
    index = "temp.nightly_found_key" if sqlite else "nightly_found_key"
    session.execute(text(f"CREATE INDEX IF NOT EXISTS {index} ON nightly_found (kind, subject_id, subject)"))
    _empty(session, found)


def fill_dates(session: Session, rows: Select[Any]) -> Table:
    """``nightly_dates`` holding ``rows`` (``DATES_COLUMNS``): computed once per chunk, read by several checks.
    The checks filter on its copy of the case's state, category and disease, never on ``case``'s own columns:
    the planner then walks the chunk (tonight's few thousand rows), never an index on ``case.state`` over
    every case of that state in the province for each chunk."""
    columns = (
        "case_id INTEGER PRIMARY KEY, confirmed DATE, since DATE, contact DATE, state VARCHAR(40), "
        "category VARCHAR(20), disease_code VARCHAR(40), rewound INTEGER"
    )
    session.execute(text(f"CREATE TEMP TABLE IF NOT EXISTS nightly_dates ({columns})"))
    _empty(session, dates)
    session.execute(dates.insert().from_select(DATES_COLUMNS, rows))
    return dates


def fill_touch(session: Session, rows: Select[Any]) -> Table:
    """``nightly_touch`` holding ``rows`` (case_id, admitted, discharged, referred, contact): a chunk's stays,
    referrals and contacts aggregated once, alone, then joined by its primary key. Joined as subqueries
    instead, PostgreSQL (estimating one case where there were hundreds) re-aggregated them for every case."""
    columns = "case_id INTEGER PRIMARY KEY, admitted DATE, discharged DATE, referred DATE, contact DATE"
    session.execute(text(f"CREATE TEMP TABLE IF NOT EXISTS nightly_touch ({columns})"))
    _empty(session, touch)
    session.execute(touch.insert().from_select(("case_id", "admitted", "discharged", "referred", "contact"), rows))
    return touch


def insert_found(session: Session, rows: Select[Any]) -> int:
    """INSERT … SELECT of a check's condition rows (``FOUND_COLUMNS``) into ``nightly_found``."""
    result: Any = session.execute(found.insert().from_select(FOUND_COLUMNS, rows), execution_options=COUNTED)
    return int(result.rowcount or 0)


def add_found(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Condition rows decided in Python (re-triage, poverty alarms: a fifth of a million some nights): COPY on
    PostgreSQL, the driver's executemany on SQLite (``amount`` in whole fen) — SQLAlchemy's per-row parameter
    processing cost three times the insert itself, psycopg's executemany a round trip per row."""
    if not rows:
        return 0
    values = [tuple(r[k] for k in FOUND_COLUMNS) for r in rows]
    return append_rows(session, "nightly_found", FOUND_COLUMNS, values, types=found)
