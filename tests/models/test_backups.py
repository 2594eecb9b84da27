"""Backup names sort by time; retention keeps the newest N of one database and touches nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from models.backups import backup_name, database_label, expired

T0 = datetime(2026, 11, 30, 2, 0, 0, 123456, tzinfo=UTC)


def test_names_carry_the_utc_time_to_the_millisecond() -> None:
    shanghai = T0.astimezone(timezone(timedelta(hours=8)))
    assert backup_name("dabing", shanghai, "sqlite3") == "dabing-20261130T020000.123Z.sqlite3"
    assert database_label("test", "t_1") == "test.t_1"
    assert database_label("my db/x") == "my_db_x"


def test_retention_keeps_the_newest_of_one_database_only() -> None:
    ours = [backup_name("dabing", T0 + timedelta(days=d), "sqlite3") for d in range(5)]
    others = [backup_name("dabing-test", T0, "sqlite3"), backup_name("other", T0, "dump"), "dabing-notes.txt"]
    assert expired([*reversed(ours), *others], "dabing", keep=3) == ours[:2]
    assert expired(ours, "dabing", keep=14) == []
