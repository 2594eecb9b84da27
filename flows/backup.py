"""Back the app database up (orchestration only): scheduled as ``backup-database/scheduled`` by ``serve``, and
``dabing backup``."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from models.backups import BackupResult
from tasks.backup import prune_backups, write_backup


@flow(name="backup-database")
def backup_database(to: str | None = None) -> BackupResult:
    """备份应用数据库 Back the app database up, then delete that database's backups beyond the newest
    ``DABING_BACKUP_KEEP``.

    Args:
        to: 备份目录，留空为 DABING_BACKUP_DIR (var/backups) — backup directory
    """
    made = write_backup(to)
    pruned = prune_backups(str(Path(made.path).parent), made.database)
    return made.model_copy(update={"pruned": pruned})
