"""Back the app database up (orchestration only): scheduled as ``backup-database/daily-backup`` by ``serve``, and
``dabing backup``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from prefect import flow

from flows.context import run_context
from flows.params import NoIdText, form
from models.backups import BackupResult
from tasks.ops.backup import prune_backups, write_backup

BackupDir = Annotated[
    NoIdText | None,
    form("备份目录 Backup folder（可选）", "服务器上的备份目录；留空为 DABING_BACKUP_DIR。Backup folder."),
]


@flow(name="backup-database")
def backup_database(to: BackupDir = None) -> BackupResult:
    """备份应用数据库 Back the app database up, then delete that database's backups beyond the newest
    ``DABING_BACKUP_KEEP``."""
    with run_context():
        made = write_backup(to)
        pruned = prune_backups(str(Path(made.path).parent), made.database)
        return made.model_copy(update={"pruned": pruned})
