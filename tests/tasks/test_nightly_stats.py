"""The nightly run's planner statistics: after a bulk load PostgreSQL has none, and the run takes them before its
chunks; SQLite has nothing to refresh."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from bench.cohort import build_cohort
from tasks.infra.db import session_scope
from tasks.nightly.stats import READ_TABLES, refresh_statistics, stale_tables


def _with_statistics() -> set[str]:
    with session_scope() as s:
        rows = s.execute(text("SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = current_schema()")).scalars()
        return set(rows) & set(READ_TABLES)


def test_a_bulk_loaded_database_is_analyzed_before_the_night_postgres(pg_url: str) -> None:
    build_cohort(300, night=date(2017, 12, 1))
    with session_scope() as s:
        stale = set(stale_tables(s))
    assert {"case", "patient", "settlement", "finding"} <= stale, "never analysed: all stale"
    assert not _with_statistics()
    assert refresh_statistics.fn() == len(stale)
    assert {"case", "patient", "settlement", "treatment_episode", "follow_up"} <= _with_statistics()


def test_sqlite_has_nothing_to_refresh(db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        return  # the PostgreSQL branch is the test above
    build_cohort(50, night=date(2017, 12, 1))
    with session_scope() as s:
        assert stale_tables(s) == []
    assert refresh_statistics.fn() == 0
