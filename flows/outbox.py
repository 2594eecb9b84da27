"""Send the events the Prefect server missed (orchestration only): scheduled as ``flush-events/outbox``."""

from __future__ import annotations

from prefect import flow

from models.outbox import FlushResult
from tasks.outbox import CHUNK, flush_outbox, prune_outbox


class EventsUndelivered(RuntimeError):
    """The flush stopped with events still unsent (the run fails so the UI shows it)."""


@flow(name="flush-events")
async def flush_events(chunk_size: int = CHUNK) -> FlushResult:
    """Send every event still in the outbox, oldest first (e.g. after the Prefect server was down), then
    delete the ones sent more than ``DABING_EVENTS_KEEP_DAYS`` ago."""
    result = flush_outbox(chunk_size)
    prune_outbox()
    if result.error is not None:
        raise EventsUndelivered(f"{result.pending} events unsent: {result.error}")
    return result
