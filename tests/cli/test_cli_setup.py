"""A command on a database nobody has set up says so in one line (exit 1) and names ``dabing init-db``,
on both backends, instead of a driver traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli.app
import runtime.up
from config.settings import get_settings


@pytest.fixture()
def empty_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A database nobody has set up: an empty SQLite file, or an empty PostgreSQL schema on that backend."""
    from tasks.infra.db import _engine_for
    from tests.conftest import BACKEND, pg_schema

    def use(url: str) -> str:
        monkeypatch.setenv("DABING_DATABASE_URL", url)
        get_settings.cache_clear()
        return url

    if BACKEND == "postgresql":
        with pg_schema() as url:
            yield use(url)
    else:
        yield use(f"sqlite:///{tmp_path / 'empty.db'}")
    _engine_for.cache_clear()
    get_settings.cache_clear()


@pytest.mark.parametrize("args", [["ledger"], ["alarms", "list"], ["catalogue", "retriage", "--on", "2018-01-01"]])
def test_a_database_not_set_up_is_one_line(empty_db: str, monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    monkeypatch.setattr(runtime.up, "use_running_local_server", lambda: None)
    done = CliRunner().invoke(cli.app.app, args)
    assert done.exit_code == 1, done.output
    assert done.stderr.startswith("refused: the database is not set up (no table ") and done.stderr.count("\n") == 1
    assert done.stderr.endswith("run `dabing init-db` first\n") and "Traceback" not in done.output
