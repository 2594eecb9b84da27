"""Shared fixtures: a fresh app database per test (SQLite, or PostgreSQL with DABING_TEST_BACKEND=postgresql),
a PostgreSQL schema for tests that need it whatever the backend, and one
session-scoped Prefect test harness for tests marked ``flow``."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# the suite's databases are synthetic: the development identity key is allowed on them (tasks/infra/identity_guard.py)
os.environ.setdefault("DABING_ALLOW_DEV_KEY", "true")
# a command run by a test never starts the shared local Prefect server (runtime/local_server.py): the harness's
# PREFECT_API_URL, or nothing, is used
os.environ.setdefault("DABING_LOCAL_SERVER", "false")

import pytest
from sqlalchemy import create_engine, text

from config.logging import ensure_configured
from config.settings import get_settings
from tasks.infra.db import _engine_for, get_engine
from tasks.infra.setup import init_db

ensure_configured()  # the tests' entry point (importing tasks configures nothing)
BACKEND = os.environ.get("DABING_TEST_BACKEND", "sqlite")
if BACKEND not in ("sqlite", "postgresql"):
    raise SystemExit(f"DABING_TEST_BACKEND: sqlite or postgresql, not {BACKEND!r}")
PG_ADMIN_URL = os.environ.get("DABING_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _as_default(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Make ``url`` the configured database for the test, with the schema created; undo afterwards."""
    monkeypatch.setenv("DABING_DATABASE_URL", url)
    get_settings.cache_clear()
    init_db(url)
    yield url
    get_engine(url).dispose()
    _engine_for.cache_clear()
    get_settings.cache_clear()


def _pg_reachable() -> bool:
    try:
        with create_engine(PG_ADMIN_URL).connect() as conn:
            conn.execute(text("select 1"))
        return True
    except Exception:
        return False


@contextmanager
def pg_schema() -> Iterator[str]:
    """The URL of a new, empty schema on the machine's PostgreSQL (dropped afterwards); skipped when the
    server is unreachable, except in CI."""
    if not _pg_reachable():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL not reachable at {PG_ADMIN_URL} (CI must start it)")
        pytest.skip("PostgreSQL not reachable")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    try:
        yield url
    finally:
        get_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture()
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A new app database, made the default for code that reads settings: SQLite, or a PostgreSQL schema when
    the suite runs with DABING_TEST_BACKEND=postgresql (CI runs the whole suite both ways)."""
    if BACKEND == "postgresql":
        with pg_schema() as url:
            yield from _as_default(url, monkeypatch)
    else:
        yield from _as_default(f"sqlite:///{tmp_path / 'app.db'}", monkeypatch)


@pytest.fixture()
def pg_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh schema on the machine's PostgreSQL, whatever the suite's backend."""
    with pg_schema() as url:
        yield from _as_default(url, monkeypatch)


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One Prefect test server for the whole session (it takes several seconds to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
