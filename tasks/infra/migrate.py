"""Schema migrations (Alembic, ``migrations/``) applied to the app database.

``migrate`` brings any database to the head revision:

- empty → ``create_all`` and stamp head (one round trip instead of replaying history; a test keeps the
  migrations' result identical to the models);
- created before migrations existed (tables, no ``alembic_version``) → recognised as the baseline
  ``0001`` and upgraded (e.g. clear national IDs converted to hash + sealed values);
- versioned → upgraded from its revision (nothing to do at head);
- versioned but without any app table (all dropped, ``alembic_version`` left) → created again, as if empty;
- versioned but missing some of the tables of its revision → ``SchemaBroken``, nothing changed (restore a backup).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import models.tables  # noqa: F401  (every table on SQLModel.metadata: without them a database looks empty)
from config.logging import get_logger

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
BASELINE = "0001"
log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Migration:
    before: str | None  # None: the database was empty
    after: str


class SchemaBroken(RuntimeError):
    """The database says it is at a revision whose tables it does not all have."""


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def head() -> str:
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if revision is None:
        raise RuntimeError(f"no migrations found under {MIGRATIONS}")
    return revision


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _unversioned(connection: Connection) -> str | None:
    """The revision an unversioned database is at: None if empty, the baseline if it has the old patient
    table (clear national_id), else the head (created by ``create_all`` of this code before it was stamped)."""
    inspector = inspect(connection)
    if "patient" not in inspector.get_table_names():
        return None
    columns = {c["name"] for c in inspector.get_columns("patient")}
    return BASELINE if "national_id" in columns else head()


def migrate(engine: Engine) -> Migration:
    """Bring the database to the head revision (see module doc) in one transaction. Idempotent."""
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # batch mode re-creates tables that others reference: check foreign keys at the end instead
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # pysqlite would autocommit each DDL statement otherwise
        try:
            done = _migrate(conn)
            if sqlite and (broken := conn.exec_driver_sql("PRAGMA foreign_key_check").all()):
                raise RuntimeError(f"migration would break {len(broken)} foreign keys, first: {tuple(broken[0])}")
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
    if done.before != done.after:
        log.info("db.migrated", before=done.before, after=done.after)
    return done


def _app_tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names()) & set(SQLModel.metadata.tables)


def _migrate(conn: Connection) -> Migration:
    before = current(conn)
    if before is not None and not _app_tables(conn):  # nothing to keep: build it again
        SQLModel.metadata.create_all(conn)
        command.stamp(alembic_config(conn), head(), purge=True)
        return Migration(before, head())
    if before is None:
        before = _unversioned(conn)
        if before is None:
            SQLModel.metadata.create_all(conn)
            command.stamp(alembic_config(conn), head())
            return Migration(None, head())
        command.stamp(alembic_config(conn), before)
    if before != head():
        command.upgrade(alembic_config(conn), "head")
    if missing := sorted(set(SQLModel.metadata.tables) - _app_tables(conn)):
        raise SchemaBroken(
            f"the database says revision {before} but lacks the tables {', '.join(missing)}: nothing was changed; "
            "restore it from a backup (README, Backups) or point DABING_DATABASE_URL at another database"
        )
    return Migration(before, head())
