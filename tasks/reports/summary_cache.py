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
from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session

from config.logging import get_logger
from models.summary import Period, SummaryData
from tasks.reports.summary import collect_summary

FRESH_S = 300.0
STALE_S = 3600.0
_Key = tuple[str, Period, date, str | None]
_cache: dict[_Key, tuple[SummaryData, float]] = {}
_refreshing: set[_Key] = set()
_lock = threading.Lock()
log = get_logger(__name__)


def _compute(session: Session, key: _Key) -> tuple[SummaryData, float]:
    at = time.time()
    data = collect_summary(session, key[1], key[2], key[3])
    with _lock:
        for old in [k for k, (_, t) in _cache.items() if at - t >= STALE_S]:
            del _cache[old]
        if key not in _cache or _cache[key][1] < at:
            _cache[key] = (data, at)
    return data, at


def _refresh_later(engine: Engine, key: _Key) -> None:
    with _lock:
        if key in _refreshing:
            return
        _refreshing.add(key)

    def run() -> None:
        try:
            with Session(engine) as s:
                _compute(s, key)
        except Exception as exc:  # the stale figures stay; the next visit tries again
            log.warning("summary.refresh_failed", region=key[3], error=type(exc).__name__)
        finally:
            with _lock:
                _refreshing.discard(key)

    threading.Thread(target=run, name="summary-refresh", daemon=True).start()


def recent_summary(
    session: Session,
    period: Period,
    on: date,
    region_code: str | None,
    fresh_s: float = FRESH_S,
    stale_s: float = STALE_S,
) -> tuple[SummaryData, float]:
    """The summary and the (``time.time()``) moment it was computed: see the module's doc."""
    engine = session.get_bind().engine
    key: _Key = (engine.url.render_as_string(hide_password=True), period, on, region_code)
    with _lock:
        hit = _cache.get(key)
    if hit is not None:
        age = time.time() - hit[1]
        if age < fresh_s:
            return hit
        if age < stale_s:
            _refresh_later(engine, key)
            return hit
    return _compute(session, key)


def warm_later(engine: Engine, period: Period, on: date, regions: list[str]) -> threading.Thread:
    """Computes the regions' summaries one after another in a background thread (the console at start-up: the
    first dashboard of the day is then served from the cache instead of aggregating a dozen counties)."""

    def run() -> None:
        t0 = time.perf_counter()
        try:
            with Session(engine) as s:
                for region in regions:
                    recent_summary(s, period, on, region)
        except Exception as exc:  # the dashboard computes what is missing itself
            log.warning("summary.warm_failed", error=type(exc).__name__)
            return
        log.info("summary.warmed", regions=len(regions), seconds=round(time.perf_counter() - t0, 1))

    thread = threading.Thread(target=run, name="summary-warm", daemon=True)
    thread.start()
    return thread


def refreshing() -> int:
    """How many summaries are being computed again in the background."""
    with _lock:
        return len(_refreshing)


def forget() -> None:
    """Drops every cached summary (tests, and a bench's cold runs)."""
    with _lock:
        _cache.clear()
