"""What `serve`/`up` offer beside the coordinator's steps: a scheduled backup always, the demo only when asked;
and nothing a coordinator can start drops or truncates a table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flows.backup import backup_database
from flows.demo import county_demo
from runtime.deployments import specs

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_is_not_served_unless_asked_and_then_as_an_operation() -> None:
    assert all(f is not county_demo for f, _ in specs()), "dabing up must not offer the demo to coordinators"
    (demo,) = [options for f, options in specs(with_demo=True) if f is county_demo]
    assert "operations" in demo["tags"]


def test_the_backup_is_scheduled_daily_in_the_county_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    from config.settings import get_settings

    monkeypatch.setenv("DABING_BACKUP_CRON", "15 3 * * *")
    get_settings.cache_clear()
    try:
        (backup,) = [options for f, options in specs() if f is backup_database]
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert "operations" in backup["tags"]
    assert [(s.cron, s.timezone) for s in backup["schedules"]] == [("15 3 * * *", "Asia/Shanghai")]


def test_only_the_demo_database_preparation_drops_tables() -> None:
    """Drops live in one place, behind the demo-database check (migrations' downgrades aside); a session's own
    temporary table (``temp.…`` on SQLite, ``pg_temp.…`` on PostgreSQL: the import's staging, the nightly's found
    rows) is not a table of the database."""
    pattern = re.compile(
        r"drop_all|drop\s+table(?!\s+if\s+exists\s+temp\.)|truncate(?!\s+pg_temp\.)|drop\s+schema", re.IGNORECASE
    )
    offending = [
        str(path.relative_to(ROOT))
        for folder in ("flows", "tasks", "models", "config")
        for path in (ROOT / folder).rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offending == ["tasks/ops/demo_db.py"]
