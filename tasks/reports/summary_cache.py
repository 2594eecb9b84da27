"""The dashboard's summaries, reused for a few minutes. ``collect_summary`` aggregates a county's whole history
(12-month treatment rates, the ledger, the contract rate): at province scale (1,000,000 patients, ~85,000 cases
a county) that is seconds a county, and a supervisor's dashboard asks for up to a dozen counties on every visit.
Figures a few minutes old are what a dashboard shows anyway; the reports (daily / weekly / monthly flows)
call ``collect_summary`` itself and are always computed afresh.

One cache per process, keyed by database, period, day and region; entries older than ``FRESH_S`` are computed
again on the next visit (and dropped). ``computed_at`` says when a figure was computed (for an "as of" line).
"""

from __future__ import annotations

import threading
import time
from datetime import date

from sqlmodel import Session

from models.summary import Period, SummaryData
from tasks.reports.summary import collect_summary

FRESH_S = 300.0
_Key = tuple[str, Period, date, str | None]
_cache: dict[_Key, tuple[float, SummaryData]] = {}
_lock = threading.Lock()


def recent_summary(
    session: Session, period: Period, on: date, region_code: str | None, fresh_s: float = FRESH_S
) -> tuple[SummaryData, float]:
    """The summary and the (``time.time()``) moment it was computed: from the cache if that was less than
    ``fresh_s`` seconds ago, else computed now (concurrent misses may both compute; the last one is kept)."""
    key: _Key = (str(session.get_bind().engine.url), period, on, region_code)
    now = time.time()
    with _lock:
        hit = _cache.get(key)
    if hit is not None and now - hit[0] < fresh_s:
        return hit[1], hit[0]
    data = collect_summary(session, period, on, region_code)
    with _lock:
        for stale in [k for k, (at, _) in _cache.items() if now - at >= fresh_s]:
            del _cache[stale]
        _cache[key] = (now, data)
    return data, now


def forget() -> None:
    """Drops every cached summary (tests, and a bench's cold runs)."""
    with _lock:
        _cache.clear()
