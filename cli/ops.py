"""Operations commands (typer), registered on the main CLI: the county demo on its own database, backups."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from cli.params import DayOpt, Region


def demo(
    patients: Annotated[int, typer.Option(min=1)] = 2000,
    seed: int = 7,
    region_code: Region = "520527",
    start: DayOpt = "2017-03-01",
    database_url: Annotated[
        str, typer.Option(help="The demo's own database: rebuilt if empty or made by the demo, else refused.")
    ] = "sqlite:///var/demo.db",
) -> None:
    """Build a synthetic county and drive every patient as far as the pathway allows."""
    from cli.app import _use_database
    from cli.render import print_ledger
    from flows.demo import county_demo
    from models.meta import DemoRefused
    from tasks.ops.demo_db import check_demo_database

    _use_database(database_url)
    t0 = time.perf_counter()
    try:
        check_demo_database()  # before any run: a refusal is one line, not a failed run's traceback
        summary = county_demo(patients=patients, seed=seed, region_code=region_code, start=date.fromisoformat(start))
    except DemoRefused as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    print_ledger(summary)
    typer.echo(f"wall time: {time.perf_counter() - t0:.1f} s for {patients} patients")
    _console_users()


def _console_users() -> None:
    from tasks.ops.demo import DEMO_PASSWORD, give_demo_passwords
    from web.security import hash_password

    users = give_demo_passwords(hash_password(DEMO_PASSWORD))
    typer.echo(
        "控制台 console: `make demo-up`, then open http://127.0.0.1:4300/ and sign in as coordinator (赫章县) or "
        f"bijie-supervisor (毕节市), password {DEMO_PASSWORD} (all {len(users)} demo users: `dabing users list`)"
    )


def backup(to: Annotated[Path | None, typer.Option(help="Directory (default DABING_BACKUP_DIR).")] = None) -> None:
    """Back the app database up (SQLite online backup / pg_dump); delete those beyond DABING_BACKUP_KEEP."""
    from flows.backup import backup_database
    from models.backups import BackupFailed

    try:
        done = backup_database(str(to) if to else None)
    except BackupFailed as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"backup written: {done.path} ({done.size} bytes); older backups deleted: {len(done.pruned)}")
