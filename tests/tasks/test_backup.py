"""A backup restores to an identical database (every table's rows), on SQLite (the file copied back) and on
PostgreSQL (pg_restore into a new database); retention keeps the newest DABING_BACKUP_KEEP; a failed dump
leaves no file and says why in one line."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

import tasks.ops.backup
from config.settings import get_settings
from models.backups import BackupFailed
from tasks.infra.db import session_scope
from tasks.ops.backup import libpq_target, prune_backups, write_backup
from tasks.pathway.hospitals import sync_hospitals
from tests.conftest import PG_ADMIN_URL
from tests.flows.helpers import import_one_patient
from tests.snapshots import table_rows


def _some_data(tmp_path: Path) -> None:
    with session_scope() as s:
        sync_hospitals(s)
    for sequence in (3, 4):
        import_one_patient(tmp_path, "I10", region_code="520527", sequence=sequence)


@pytest.fixture()
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from tests.conftest import _as_default

    yield from _as_default(f"sqlite:///{tmp_path / 'app.db'}", monkeypatch)


def test_a_sqlite_backup_restores_to_an_identical_database(sqlite_url: str, tmp_path: Path) -> None:
    _some_data(tmp_path)
    made = write_backup.fn(str(tmp_path / "backups"))
    assert Path(made.path).name.startswith("app-") and made.path.endswith("Z.sqlite3")
    restored = tmp_path / "restored.db"
    shutil.copyfile(made.path, restored)  # the restore: copy the file back while the app is stopped
    with sqlite3.connect(restored) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert table_rows(f"sqlite:///{restored}") == table_rows(sqlite_url)
    assert len(table_rows(sqlite_url)["patient"]) == 2


@pytest.fixture()
def new_database() -> Iterator[str]:
    """An empty PostgreSQL database to restore into (dropped afterwards)."""
    name = f"restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_postgresql_backup_restores_to_an_identical_database(pg_url: str, tmp_path: Path, new_database: str) -> None:
    _some_data(tmp_path)
    made = write_backup.fn(str(tmp_path / "backups"))
    schema = str(make_url(pg_url).query["options"]).split("=", 1)[1]
    assert Path(made.path).name.startswith(f"test.{schema}-") and made.path.endswith("Z.dump")
    target, env = libpq_target(new_database)
    subprocess.run(
        [shutil.which("pg_restore") or "pg_restore", "--no-owner", f"--dbname={target}", made.path],
        check=True,
        capture_output=True,
        env={**os.environ, **env},
    )
    restored = f"{new_database}?options=-csearch_path%3D{schema}"
    assert table_rows(restored) == table_rows(pg_url)
    assert len(table_rows(pg_url)["patient"]) == 2


def test_retention_keeps_the_newest_backups_of_the_database(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DABING_BACKUP_KEEP", "3")
    get_settings.cache_clear()
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a backup", encoding="utf-8")
    made = [write_backup.fn(str(folder)) for _ in range(5)]
    assert len({m.path for m in made}) == 5
    gone = prune_backups.fn(str(folder), made[0].database)
    assert gone == [Path(m.path).name for m in made[:2]]
    assert sorted(p.name for p in folder.iterdir()) == sorted([*(Path(m.path).name for m in made[2:]), "notes.txt"])


def test_a_failed_dump_leaves_no_file_and_says_why(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "pg_dump"  # writes half a file, then fails as pg_dump does when the connection drops
    fake.write_text(
        '#!/bin/sh\nfor a; do case $a in --file=*) echo half > "${a#--file=}";; esac; done\n'
        'echo "pg_dump: error: connection lost" >&2; exit 1\n',
        encoding="utf-8",
    )
    fake.chmod(0o755)
    monkeypatch.setattr(tasks.ops.backup, "pg_dump_binary", lambda _major: str(fake))
    with pytest.raises(BackupFailed) as failed:
        write_backup.fn(str(tmp_path / "backups"))
    assert str(failed.value) == "backup: pg_dump failed: pg_dump: error: connection lost"
    assert list((tmp_path / "backups").iterdir()) == []


@pytest.mark.flow
@pytest.mark.usefixtures("prefect_harness")
def test_dabing_backup_writes_one_and_prunes(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import runtime.up
    from cli.app import app

    monkeypatch.setattr(runtime.up, "use_running_local_server", lambda: None)
    monkeypatch.setenv("DABING_BACKUP_KEEP", "1")
    get_settings.cache_clear()
    folder = tmp_path / "backups"
    runs = [CliRunner().invoke(app, ["backup", "--to", str(folder)]) for _ in range(2)]
    assert [r.exit_code for r in runs] == [0, 0], runs[-1].output
    last = runs[-1].output.strip().splitlines()[-1]
    (kept,) = folder.iterdir()
    assert last == f"backup written: {kept} ({kept.stat().st_size} bytes); older backups deleted: 1"
