"""The demo's own database: what a database holds, and rebuilding an empty or demo-stamped one.

``prepare_demo_database`` is the only code that drops anything, and only after ``models.meta.check_demo_target``
accepted the database: a SQLite file is deleted and created again, a PostgreSQL schema loses its tables.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import make_url

from config.settings import get_settings
from models.meta import DEMO, ROLE, AppMeta, DatabaseContent, DemoRefused, check_demo_target
from tasks.infra.db import get_engine, session_scope
from tasks.infra.schema import APPEND_ONLY
from tasks.infra.setup import init_db
from tasks.pathway.hospitals import sync_hospitals

COUNT = "SELECT count(*) FROM {}"


def shown(url: str) -> str:
    """The URL as a message may show it (no password)."""
    return make_url(url).render_as_string(hide_password=True)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None: not SQLite, or in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_content(path: Path) -> DatabaseContent:
    """Read through a read-only connection: looking changes nothing, not even the journal mode."""
    if not path.exists():
        return DatabaseContent(None, {})
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        tables = [t for t in tables if not t.startswith("sqlite_")]
        role = None
        if AppMeta.__tablename__ in tables:
            found = conn.execute("SELECT value FROM app_meta WHERE key = ?", (ROLE,)).fetchone()
            role = found[0] if found else None
        if role == DEMO:
            return DatabaseContent(role, {})
        return DatabaseContent(role, {t: conn.execute(COUNT.format(_quoted(t))).fetchone()[0] for t in tables})
    except sqlite3.DatabaseError as exc:  # not a database at all: someone else's file
        raise DemoRefused(f"refused: {path} is not a database the demo can use ({exc}). Nothing was changed.") from None
    finally:
        conn.close()


def _schema_content(conn: Connection) -> DatabaseContent:
    tables = inspect(conn).get_table_names()
    role = None
    if AppMeta.__tablename__ in tables:
        role = conn.execute(text("SELECT value FROM app_meta WHERE key = :k"), {"k": ROLE}).scalar()
    if role == DEMO:
        return DatabaseContent(role, {})
    return DatabaseContent(role, {t: conn.execute(text(COUNT.format(_quoted(t)))).scalar_one() for t in tables})


def check_demo_database(url: str | None = None) -> None:
    """Raise ``DemoRefused`` (one line) unless the demo may rebuild the database at ``url``; reads only."""
    url = url or get_settings().database_url
    path = sqlite_path(url)
    if path is not None:
        check_demo_target(shown(url), _sqlite_content(path))
        return
    with get_engine(url).connect() as conn:
        check_demo_target(shown(url), _schema_content(conn))


def prepare_demo_database(url: str | None = None) -> None:
    """Check, empty, stamp and migrate the demo's database, then load the hospitals. Raises ``DemoRefused``
    (before changing anything) for a database holding other data."""
    url = url or get_settings().database_url
    path = sqlite_path(url)
    if path is not None:
        check_demo_target(shown(url), _sqlite_content(path))
        get_engine(url).dispose()
        for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
    else:
        with get_engine(url).begin() as conn:  # checked and emptied in one transaction
            check_demo_target(shown(url), _schema_content(conn))
            for table in inspect(conn).get_table_names():
                conn.execute(text(f"DROP TABLE IF EXISTS {_quoted(table)} CASCADE"))
            for table in APPEND_ONLY:
                conn.execute(text(f"DROP FUNCTION IF EXISTS {table}_append_only() CASCADE"))
    _stamp(url)  # first: a demo interrupted from here on leaves a database the next demo may rebuild
    init_db(url)
    with session_scope(url) as s:
        sync_hospitals(s)


def _stamp(url: str) -> None:
    with get_engine(url).begin() as conn:
        AppMeta.metadata.tables[AppMeta.__tablename__].create(conn, checkfirst=True)
    with session_scope(url) as s:
        s.add(AppMeta(key=ROLE, value=DEMO))
