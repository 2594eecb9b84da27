"""Planner statistics of the tables a nightly run reads (PostgreSQL): a county's import is a bulk load, and a
server may run without autovacuum, so the first night after it would be planned on no statistics at all —
nested loops over aggregates that re-run for every row. The run ANALYZEs, before its chunks, the tables whose
statistics are missing or stale by autovacuum's own default rule; on any other night it costs one query."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import text
from sqlmodel import Session

from config.settings import get_settings
from tasks.infra.db import session_scope

#: The tables the nightly checks read.
READ_TABLES = (
    "case",
    "condition",
    "screening",
    "treatment_episode",
    "referral",
    "follow_up",
    "patient",
    "household",
    "settlement",
    "family_doctor_contract",
    "contract_event",
    "external_status",
    "finding",
)

_STALE = text(
    "SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname = ANY(:names) "
    "AND ((last_analyze IS NULL AND last_autoanalyze IS NULL) OR n_mod_since_analyze > 50 + 0.1 * n_live_tup) "
    "ORDER BY relname"
)


def stale_tables(session: Session) -> list[str]:
    """The read tables never analysed, or changed by more than 50 rows + 10% since (none on SQLite, whose
    nightly queries do not depend on statistics)."""
    if session.connection().dialect.name != "postgresql":
        return []
    return list(session.execute(_STALE, {"names": list(READ_TABLES)}).scalars())


def analyze(name: str) -> None:
    """ANALYZE one table, on a connection of its own."""
    with session_scope() as s:
        s.execute(text(f"ANALYZE {s.connection().dialect.identifier_preparer.quote(name)}"))


@task(cache_policy=NO_CACHE)
def refresh_statistics() -> int:
    """ANALYZE the stale read tables, ``DABING_WORKERS`` at a time (each samples its table: mostly waiting on
    pages; 1M patients after the load, 13 tables: 6.4 s one by one, 3.5 s two at a time); returns how many."""
    with session_scope() as s:
        tables = stale_tables(s)
    with ThreadPoolExecutor(max(1, min(get_settings().workers, len(tables)))) as pool:
        list(pool.map(analyze, tables))
    return len(tables)


def plan_for_key_lookups(session: Session) -> None:
    """A chunk reads its few thousand rows by key from tables the server has cached: say so for this transaction
    (PostgreSQL's default random_page_cost of 4, meant for spinning disks, made it seq-scan a million conditions
    for each chunk rather than look 10,000 up by primary key; 1.1 is the usual SSD setting). And no parallel
    workers: the run already works its chunks side by side, one per core; a chunk's aggregate launched two worker
    processes of its own (the households' spend: a Gather for 10,000 households). And no sequential scans: even
    at 1.1 the planner hash-joined a chunk's 25,000 cases with all 1.1M conditions read in full, for the re-triage
    and again for the case dates (376 → 49 ms with the key lookups; a chunk of 25,000 cases 0.55 → 0.24 s,
    households 1.35 → 0.25 s, patients 0.75 → 0.08–0.17 s, 1M cohort, loaded machine). A table with no usable
    index is still scanned: the setting prices a sequential scan out, it does not forbid it. Nothing on SQLite."""
    if session.connection().dialect.name == "postgresql":
        session.execute(text("SET LOCAL random_page_cost = 1.1"))
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        session.execute(text("SET LOCAL enable_seqscan = off"))
