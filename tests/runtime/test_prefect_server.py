"""The local Prefect server on SQLite begins its write transactions IMMEDIATE (runtime/prefect_server.py).

The scenario that made event-triggered runs wait 2 s: a server transaction reads, another connection commits
a write, then the transaction writes. DEFERRED (Prefect's default) fails that write at once ("database is
locked", the busy timeout not consulted); IMMEDIATE holds the write lock from BEGIN, so the other writer waits
for it instead and the transaction's write succeeds."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from runtime import prefect_internals, prefect_server

LOCKED = "failed: database is locked"


async def _read_then_write_after_another_commit(db: Path) -> tuple[str, str]:
    """(this transaction's outcome, the other writer's outcome)."""
    from prefect.server.database.configurations import AioSqliteConfiguration

    config = AioSqliteConfiguration(connection_url=f"sqlite+aiosqlite:///{db}")
    engine = await config.engine()
    other = sqlite3.connect(db, timeout=0.2, isolation_level=None)
    other.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
    mine, theirs = "committed", "committed"
    try:
        session = await config.session(engine)
        async with session:
            try:
                async with config.begin_transaction(session):
                    await session.execute(text("SELECT count(*) FROM t"))
                    try:
                        other.execute("INSERT INTO t VALUES (1)")
                    except sqlite3.OperationalError as exc:
                        theirs = f"failed: {exc}"
                    await session.execute(text("INSERT INTO t VALUES (2)"))
            except OperationalError as exc:
                mine = f"failed: {exc.orig}"
    finally:
        other.close()
        await engine.dispose()
    return mine, theirs


@pytest.mark.parametrize(
    ("immediate", "mine", "theirs"),
    [
        pytest.param(False, LOCKED, "committed", id="Prefect's DEFERRED: the read-then-write fails"),
        pytest.param(True, "committed", LOCKED, id="IMMEDIATE: the other writer waits (here 0.2 s)"),
    ],
)
def test_server_transactions_hold_the_write_lock_from_begin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, immediate: bool, mine: str, theirs: str
) -> None:
    from prefect.server.database.configurations import AioSqliteConfiguration

    monkeypatch.setattr(AioSqliteConfiguration, "begin_transaction", AioSqliteConfiguration.begin_transaction)
    monkeypatch.setattr(AioSqliteConfiguration, prefect_internals.IMMEDIATE_PATCHED, False, raising=False)
    if immediate:
        prefect_internals.immediate_write_transactions()
        prefect_internals.immediate_write_transactions()  # idempotent
    assert asyncio.run(_read_then_write_after_another_commit(tmp_path / "p.db")) == (mine, theirs)


@pytest.mark.parametrize(
    ("url", "sqlite"),
    [
        pytest.param(None, True, id="unset: Prefect's default SQLite under PREFECT_HOME"),
        pytest.param("sqlite+aiosqlite:////tmp/p.db", True, id="an explicit SQLite file"),
        pytest.param("postgresql+asyncpg://postgres@127.0.0.1/prefect", False, id="PostgreSQL: left as Prefect has it"),
    ],
)
def test_only_a_sqlite_server_is_changed(monkeypatch: pytest.MonkeyPatch, url: str | None, sqlite: bool) -> None:
    from prefect.settings import PREFECT_API_DATABASE_CONNECTION_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_DATABASE_CONNECTION_URL: url}):
        assert prefect_server.sqlite_server() is sqlite


@pytest.mark.parametrize(
    ("setting", "patched"),
    [
        pytest.param("true", True, id="default: IMMEDIATE"),
        pytest.param("false", False, id="DABING_PREFECT_SQLITE_IMMEDIATE=false: Prefect's DEFERRED"),
    ],
)
def test_the_server_command_applies_the_change_then_runs_prefects_cli(
    monkeypatch: pytest.MonkeyPatch, setting: str, patched: bool
) -> None:
    import prefect.cli
    from prefect.server.database.configurations import AioSqliteConfiguration

    from config.settings import get_settings

    monkeypatch.setattr(AioSqliteConfiguration, "begin_transaction", AioSqliteConfiguration.begin_transaction)
    monkeypatch.setattr(AioSqliteConfiguration, prefect_internals.IMMEDIATE_PATCHED, False, raising=False)
    monkeypatch.setenv("DABING_PREFECT_SQLITE_IMMEDIATE", setting)
    monkeypatch.delenv("PREFECT_API_DATABASE_CONNECTION_URL", raising=False)
    get_settings.cache_clear()
    ran: list[bool] = []
    monkeypatch.setattr(prefect.cli, "app", lambda: ran.append(True))
    try:
        prefect_server.main()
    finally:
        get_settings.cache_clear()
    assert ran == [True]
    assert getattr(AioSqliteConfiguration, prefect_internals.IMMEDIATE_PATCHED, False) is patched


def test_the_server_command_passes_its_arguments_to_prefect() -> None:
    import subprocess
    import sys

    import prefect

    done = subprocess.run([sys.executable, "-m", "runtime.prefect_server", "version"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert prefect.__version__ in done.stdout
