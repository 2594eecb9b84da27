"""Sending outbox rows (``models.outbox``) to the Prefect server: right after their commit, and later.

How a send is known to have arrived. ``prefect.events.emit_event`` cannot tell: it queues the event for a
background worker and logs and swallows any error; its websocket client confirms receipt only through
private periodic ping checkpoints. A health check before sending is no better (the server may go down between
the check and the send). So each send is one request to the server's documented REST endpoint
``POST /api/events`` ("Create Events": a batch of events, answered ``204 No Content`` once the server has
taken them into its event pipeline, which stores them and feeds the triggers). A 204 marks the rows
``sent_at``; anything else leaves them unsent: a connection error, a timeout, 408/429/5xx
(``Undelivered``: the server is down or busy, send again later) or another 4xx (``Rejected``: the server
refuses these events as they are; they are tried one at a time so one bad row never holds back the rest).

The request goes through a plain ``httpx`` client with the same headers as Prefect's own client (API version,
``PREFECT_API_AUTH_STRING`` or ``PREFECT_API_KEY``), not through ``prefect.client``: that client retries
a refused connection and timeouts with exponential back-off (up to ~1 min), and a coordinator's commit must
not wait that long for a server that is down. Here a refused connection fails at once, a hung server after
``TIMEOUT``; after a failure, commits skip sending for ``RETRY_AFTER_SECONDS`` (rows wait for a flush).
Not supported: a server with ``PREFECT_SERVER_CSRF_PROTECTION_ENABLED`` (its 403 counts as a rejection).

Ids: every send of a row carries the row's ``event_id``. The server stores one event per id (a re-sent
event is ignored) and its trigger service skips ids it has seen in the last 30 minutes (kept in memory: not
across a server restart), so a re-send after a lost answer neither duplicates the event nor fires a trigger
twice; past that window the triggered flows' own row-lock re-check keeps them idempotent.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx
from prefect import task
from sqlalchemy import Engine, delete, func, select, update
from sqlmodel import Session, col

from config.logging import get_logger
from config.settings import get_settings
from models.common import utcnow
from models.outbox import UNSENT, EventOutbox, FlushResult, Outgoing
from tasks.infra.db import get_engine
from tasks.infra.retry import RETRY

log = get_logger(__name__)
CHUNK = 100  # rows per request (a bulk batch event is ~40 kB: a request stays under ~4 MB)
TIMEOUT = httpx.Timeout(5.0, connect=2.0)
RETRY_AFTER_SECONDS = 30.0
PRUNE_BATCH = 5_000  # rows deleted per transaction

_lock = threading.Lock()
_clients: dict[str, httpx.Client] = {}
_down_until: dict[str, float] = {}


class Undelivered(Exception):
    """The server did not take the events (unreachable, timed out, busy): send them again later."""


class Rejected(Exception):
    """The server refused the events as invalid (4xx): sending them again unchanged will not help."""


def api_url() -> str | None:
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    return str(url).rstrip("/") if url else None


def _client(url: str) -> httpx.Client:
    """One pooled client per API URL for the process (thread-safe)."""
    with _lock:
        client = _clients.get(url)
        if client is None:
            from prefect.client.constants import SERVER_API_VERSION
            from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_KEY, PREFECT_API_SSL_CERT_FILE

            headers = {"X-PREFECT-API-VERSION": SERVER_API_VERSION}
            if auth := PREFECT_API_AUTH_STRING.value():  # as prefect.client does: auth string first, else key
                headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
            elif key := PREFECT_API_KEY.value():
                headers["Authorization"] = f"Bearer {key}"
            verify: str | bool = PREFECT_API_SSL_CERT_FILE.value() or True
            client = httpx.Client(base_url=url, headers=headers, timeout=TIMEOUT, verify=verify)
            _clients[url] = client
        return client


def as_prefect_event(row: Outgoing) -> dict[str, Any]:
    """The row as a Prefect event (validated by Prefect's own schema), JSON-ready."""
    from prefect.events.schemas.events import Event

    event = Event(
        id=row.event_id,
        occurred=row.created_at,  # when the change committed, however late the send
        event=row.event,
        resource=row.resource,
        related=row.related,
        payload=row.payload,
    )
    return event.model_dump(mode="json")


def post_events(url: str, rows: Sequence[Outgoing]) -> None:
    """``POST {url}/events`` with ``rows``; returns only when the server answered 2xx."""
    try:
        response = _client(url).post("/events", json=[as_prefect_event(r) for r in rows])
    except httpx.HTTPError as exc:
        raise Undelivered(f"{type(exc).__name__}: {exc}") from exc
    status = response.status_code
    if status in (408, 429) or status >= 500:
        raise Undelivered(f"HTTP {status}")
    if status >= 400:
        raise Rejected(f"HTTP {status}: {response.text[:200]}")


def _mark(engine: Engine, ids: Sequence[int], *, sent: bool) -> None:
    if not ids:
        return
    values: dict[str, Any] = {"attempts": col(EventOutbox.attempts) + 1}
    if sent:
        values["sent_at"] = utcnow()
    with engine.begin() as conn:
        conn.execute(update(EventOutbox).where(col(EventOutbox.id).in_(ids)).values(**values))


def _breaker_open(url: str) -> bool:
    return _down_until.get(url, 0.0) > time.monotonic()


def deliver_committed(engine: Engine, rows: Sequence[Outgoing]) -> None:
    """Send the rows a commit just wrote (called after the commit: never raises). Without an API URL, or
    shortly after a failed send to it, the rows are left for a flush without trying."""
    url = api_url()
    if not rows or url is None or _breaker_open(url):
        return
    ids = [r.row_id for r in rows]
    try:
        try:
            post_events(url, rows)
        except (Undelivered, Rejected) as exc:
            if isinstance(exc, Undelivered):
                _down_until[url] = time.monotonic() + RETRY_AFTER_SECONDS
            log.warning("events.undelivered", count=len(rows), error=str(exc), then="dabing events flush")
            _mark(engine, ids, sent=False)
            return
        _mark(engine, ids, sent=True)
    except Exception:  # committed work stands whatever happens here; unmarked rows are re-sent (same ids)
        log.exception("events.outbox_failed", count=len(rows))


def _send_one_by_one(url: str, rows: Sequence[Outgoing]) -> tuple[list[int], list[int]]:
    """After a rejected batch: (sent ids, rejected ids). ``Undelivered`` propagates."""
    sent: list[int] = []
    rejected: list[int] = []
    for row in rows:
        try:
            post_events(url, [row])
            sent.append(row.row_id)
        except Rejected as exc:
            log.error("event.rejected", outbox_id=row.row_id, event_name=row.event, error=str(exc))
            rejected.append(row.row_id)
    return sent, rejected


def _unsent_after(engine: Engine, after: int, limit: int) -> list[Outgoing]:
    with Session(engine) as s:
        query = select(EventOutbox).where(UNSENT, col(EventOutbox.id) > after)
        return [r.outgoing() for r in s.scalars(query.order_by(col(EventOutbox.id)).limit(limit))]


def unsent(engine: Engine) -> tuple[int, Any]:
    """(number of unsent rows, created_at of the oldest)."""
    with Session(engine) as s:
        query = select(func.count(), func.min(EventOutbox.created_at)).where(UNSENT)
        count, oldest = s.execute(query).one()
        return int(count), oldest


def flush(engine: Engine, chunk_size: int = CHUNK, url: str | None = None) -> FlushResult:
    """Send every unsent row, oldest first, ``chunk_size`` per request; stop at the first ``Undelivered``.

    No lock is held while sending: a row a concurrent commit or flush is sending may go twice, with the
    same event id (see the module doc). Rejected rows stay unsent and are skipped until the next flush.
    """
    url = url or api_url()
    result = FlushResult()
    if url is None:
        result.error = "no Prefect API URL configured (PREFECT_API_URL)"
    after = 0
    while url is not None and (rows := _unsent_after(engine, after, chunk_size)):
        after = rows[-1].row_id
        try:
            sent, rejected = [r.row_id for r in rows], list[int]()
            try:
                post_events(url, rows)
            except Rejected:
                sent, rejected = _send_one_by_one(url, rows)
        except Undelivered as exc:
            _down_until[url] = time.monotonic() + RETRY_AFTER_SECONDS
            _mark(engine, [r.row_id for r in rows], sent=False)
            result.error = str(exc)
            break
        _mark(engine, sent, sent=True)
        _mark(engine, rejected, sent=False)
        result.sent += len(sent)
        result.rejected += len(rejected)
    if url is not None and result.error is None:
        _down_until.pop(url, None)  # the server answers: commits send again at once
    result.pending = unsent(engine)[0]
    log.info("events.flushed", **result.model_dump())
    return result


@task(name="flush-events", **RETRY)
def flush_outbox(chunk_size: int = CHUNK) -> FlushResult:
    """Send the configured database's unsent events to the configured Prefect server."""
    return flush(get_engine(), chunk_size)


def prune(engine: Engine, keep_days: int, now: datetime | None = None) -> int:
    """Delete the rows sent more than ``keep_days`` days ago, ``PRUNE_BATCH`` per transaction (0: keep all).

    Unsent rows always stay, however old; ``case_transition`` stays the audit of what changed."""
    if keep_days <= 0:
        return 0
    before = (now or utcnow()) - timedelta(days=keep_days)
    pruned = 0
    while True:
        with Session(engine) as s:
            old = select(col(EventOutbox.id)).where(col(EventOutbox.sent_at) < before)
            ids = list(s.scalars(old.order_by(col(EventOutbox.id)).limit(PRUNE_BATCH)))
            if not ids:
                break
            s.execute(delete(EventOutbox).where(col(EventOutbox.id).in_(ids)))
            s.commit()
        pruned += len(ids)
    log.info("events.pruned", pruned=pruned, keep_days=keep_days)
    return pruned


@task(name="prune-events", **RETRY)
def prune_outbox() -> int:
    """Delete sent events older than ``DABING_EVENTS_KEEP_DAYS`` from the configured database."""
    return prune(get_engine(), get_settings().events_keep_days)
