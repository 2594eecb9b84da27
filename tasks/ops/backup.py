"""Backups of the app database (restore: README, "Backups").

SQLite: the online backup API from a read-only connection (a consistent copy while the app writes).
PostgreSQL: ``pg_dump`` in custom format, of the URL's schema when it sets a ``search_path`` (else the whole
database), with the ``pg_dump`` of the server's major version when installed side by side
(``/usr/lib/postgresql/<major>/bin``), else the one on ``PATH``. A backup is written under a temporary name and
renamed when complete; then the backups of that database beyond the newest ``DABING_BACKUP_KEEP`` are deleted.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from prefect import task
from sqlalchemy import text
from sqlalchemy.engine import make_url

from config.logging import get_logger
from config.settings import get_settings
from models.backups import BackupFailed, BackupResult, backup_name, database_label, expired
from models.common import utcnow
from tasks.infra.db import get_engine
from tasks.ops.demo_db import sqlite_path

log = get_logger(__name__)


@task
def write_backup(to: str | None = None) -> BackupResult:
    """Back the configured database up into ``to`` (default ``DABING_BACKUP_DIR``)."""
    url = get_settings().database_url
    directory = Path(to) if to else get_settings().backup_dir
    directory.mkdir(parents=True, exist_ok=True)
    path = sqlite_path(url)
    if path is not None:
        label, extension = database_label(path.stem), "sqlite3"
    else:
        schema, server_major = _pg_facts(url)
        label, extension = database_label(make_url(url).database, schema), "dump"
    out = directory / backup_name(label, utcnow(), extension)
    partial = out.with_name(f".{out.name}.partial")
    try:
        if path is not None:
            _sqlite_backup(path, partial)
        else:
            _pg_dump(url, schema, server_major, partial)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    size = out.stat().st_size
    log.info("backup.written", path=str(out), size=size)
    return BackupResult(path=str(out), size=size, database=label)


@task
def prune_backups(directory: str, database: str) -> list[str]:
    """Delete the backups of ``database`` in ``directory`` beyond the newest ``DABING_BACKUP_KEEP``."""
    folder = Path(directory)
    gone = expired((p.name for p in folder.iterdir()), database, get_settings().backup_keep)
    for name in gone:
        (folder / name).unlink(missing_ok=True)
    if gone:
        log.info("backup.pruned", directory=directory, deleted=len(gone))
    return gone


def _sqlite_backup(path: Path, out: Path) -> None:
    if not path.exists():
        raise BackupFailed(f"backup: no database at {path}")
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    target = sqlite3.connect(out)
    try:
        source.backup(target)  # all pages in one step: one consistent snapshot
    except sqlite3.Error as exc:
        raise BackupFailed(f"backup: {path}: {exc}") from None
    finally:
        target.close()
        source.close()


def _pg_facts(url: str) -> tuple[str | None, int]:
    """The schema to dump (None: the whole database) and the server's major version."""
    options = str(make_url(url).query.get("options", ""))
    with get_engine(url).connect() as conn:
        schema, version = conn.execute(text("SELECT current_schema(), current_setting('server_version_num')")).one()
    return (schema if "search_path" in options else None), int(version) // 10000


def pg_dump_binary(server_major: int) -> str:
    side_by_side = Path(f"/usr/lib/postgresql/{server_major}/bin/pg_dump")
    found = str(side_by_side) if side_by_side.exists() else shutil.which("pg_dump")
    if found is None:
        raise BackupFailed(f"backup: pg_dump not found (install the PostgreSQL {server_major} client)")
    return found


def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """The URL as libpq reads it, and the environment carrying its password (kept off the command line)."""
    parsed = make_url(url)
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    return parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _pg_dump(url: str, schema: str | None, server_major: int, out: Path) -> None:
    dsn, secret = libpq_target(url)
    cmd = [pg_dump_binary(server_major), "--format=custom", f"--file={out}", f"--dbname={dsn}"]
    cmd += [f"--schema={schema}"] if schema else []
    done = subprocess.run(cmd, env={**os.environ, **secret}, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
        raise BackupFailed(f"backup: pg_dump failed: {lines[-1]}")
