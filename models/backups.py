"""Backup file names and retention (pure). A backup is ``<database>-<UTC time to the ms>Z.<sqlite3|dump>``:
names sort by time, and retention keeps the newest N of each database, touching no other file."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

from pydantic import BaseModel

EXTENSIONS = ("sqlite3", "dump")  # SQLite online backup, pg_dump custom format
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class BackupFailed(RuntimeError):
    """One line saying why no backup was written (nothing partial is left behind)."""


class BackupResult(BaseModel):
    """One backup written: its file, size, and the older backups of the same database deleted after it."""

    path: str
    size: int
    database: str
    pruned: list[str] = []


def database_label(*parts: str | None) -> str:
    """The ``<database>`` part of a name: e.g. the SQLite file's stem, or PostgreSQL ``dbname.schema``."""
    return _UNSAFE.sub("_", ".".join(p for p in parts if p)) or "database"


def backup_name(database: str, at: datetime, extension: str) -> str:
    at = at.astimezone(UTC)
    return f"{database}-{at:%Y%m%dT%H%M%S}.{at.microsecond // 1000:03d}Z.{extension}"


def _pattern(database: str) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(database)}-\d{{8}}T\d{{6}}\.\d{{3}}Z\.(?:{'|'.join(EXTENSIONS)})")


def expired(names: Iterable[str], database: str, keep: int) -> list[str]:
    """The backups of ``database`` among ``names`` beyond the newest ``keep`` (oldest first)."""
    pattern = _pattern(database)
    ours = sorted(n for n in names if pattern.fullmatch(n))
    return ours[: max(len(ours) - keep, 0)]
