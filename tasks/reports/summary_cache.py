"""The dashboard's summaries, reused. ``collect_summary`` aggregates a county's whole history (12-month treatment
rates, the ledger, the contract rate): at province scale (1,000,000 patients, ~85,000 cases a county) that is
seconds a county, and a supervisor's dashboard asks for up to a dozen counties on every visit. Figures a few
minutes old are what a dashboard shows anyway; the reports (daily / weekly / monthly flows) call
``collect_summary`` itself and are always computed afresh.

One cache per process, keyed by database, period, day and region. A summary younger than ``FRESH_S`` is
served as is; one younger than ``STALE_S`` is served too while a background thread computes it again (one
at a time per key); an older one (or none) is computed before answering. The moment a summary was computed is
returned with it (for an "as of" line). ``warm_later`` fills the cache in the background (the console's
start-up, ``web.serve``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from config.logging import get_logger
from models.bulletin import CountyFigures
from models.findings import FindingKind
from models.summary import Period, SummaryData
from tasks.reports import bulletin, open_alarms
from tasks.reports.summary import collect_summary

FRESH_S = 300.0
STALE_S = 3600.0
T = TypeVar("T")
_Key = tuple[str, str, date, str | None]  # database, what ("summary:monthly", "coverage", "alarms"), day, scope
_Compute = Callable[[Session], Any]
_cache: dict[_Key, tuple[Any, float]] = {}
_refreshing: set[_Key] = set()
_lock = threading.Lock()
log = get_logger(__name__)


def _compute(session: Session, key: _Key, compute: _Compute) -> tuple[Any, float]:
    at = time.time()
    data = compute(session)
    with _lock:
        for old in [k for k, (_, t) in _cache.items() if at - t >= STALE_S]:
            del _cache[old]
        if key not in _cache or _cache[key][1] < at:
            _cache[key] = (data, at)
    return data, at


def _refresh_later(engine: Engine, key: _Key, compute: _Compute) -> None:
    with _lock:
        if key in _refreshing:
            return
        _refreshing.add(key)

    def run() -> None:
        try:
            with Session(engine) as s:
                _compute(s, key, compute)
        except Exception as exc:  # the stale figures stay; the next visit tries again
            log.warning("summary.refresh_failed", scope=key[3], what=key[1], error=type(exc).__name__)
        finally:
            with _lock:
                _refreshing.discard(key)

    threading.Thread(target=run, name="summary-refresh", daemon=True).start()


def reused(
    session: Session, what: str, on: date, scope: str | None, compute: Callable[[Session], T],
    fresh_s: float = FRESH_S, stale_s: float = STALE_S,
) -> tuple[T, float]:  # fmt: skip
    """``compute(session)``'s figures for (what, on, scope) and the (``time.time()``) moment they were computed:
    served as they are while fresh, served and computed again in the background while stale, else computed."""
    engine = session.get_bind().engine
    key: _Key = (engine.url.render_as_string(hide_password=True), what, on, scope)
    with _lock:
        hit = _cache.get(key)
    if hit is not None:
        age = time.time() - hit[1]
        if age < fresh_s:
            return hit
        if age < stale_s:
            _refresh_later(engine, key, compute)
            return hit
    return _compute(session, key, compute)


def recent_summary(
    session: Session, period: Period, on: date, region_code: str | None,
    fresh_s: float = FRESH_S, stale_s: float = STALE_S,
) -> tuple[SummaryData, float]:  # fmt: skip
    """A county's summary (``collect_summary``), reused: see the module's doc."""
    return reused(session, f"summary:{period}", on, region_code,
                  lambda s: collect_summary(s, period, on, region_code), fresh_s, stale_s)  # fmt: skip


def recent_coverage(session: Session, lo: date, hi: date, prefix: str) -> dict[str, CountyFigures]:
    """Contract and follow-up rates per county of ``prefix`` (``bulletin.collect_coverage``), reused."""
    figures, _ = reused(session, f"coverage:{lo.isoformat()}", hi, prefix,
                        lambda s: bulletin.collect_coverage(s, lo, hi, prefix))  # fmt: skip
    return figures


def recent_alarms(session: Session, prefix: str, today: date) -> dict[str, dict[FindingKind, Any]]:
    """Open and overdue alarms per county and kind (``open_alarms.count_open``), reused."""
    counts, _ = reused(session, "alarms", today, prefix, lambda s: open_alarms.count_open(s, prefix, today))
    return counts


def warm_later(
    engine: Engine, period: Period, on: date, regions: list[str], scopes: tuple[tuple[date, str], ...] = ()
) -> threading.Thread:
    """Computes the regions' summaries, then each (quarter start, prefix) scope's coverage and alarms, one after
    another in a background thread (the console at start-up: the first dashboard of the day is then served from
    the cache instead of aggregating a dozen counties)."""

    def run() -> None:
        t0 = time.perf_counter()
        try:
            with Session(engine) as s:
                for region in regions:
                    recent_summary(s, period, on, region)
                for lo, prefix in scopes:
                    recent_coverage(s, lo, on, prefix)
                    recent_alarms(s, prefix, on)
        except Exception as exc:  # the dashboard computes what is missing itself
            log.warning("summary.warm_failed", error=type(exc).__name__)
            return
        log.info("summary.warmed", regions=len(regions), scopes=len(scopes), seconds=round(time.perf_counter() - t0, 1))

    thread = threading.Thread(target=run, name="summary-warm", daemon=True)
    thread.start()
    return thread


def refreshing() -> int:
    """How many figures are being computed again in the background."""
    with _lock:
        return len(_refreshing)


def forget() -> None:
    """Drops every cached figure (tests, and a bench's cold runs)."""
    with _lock:
        _cache.clear()
