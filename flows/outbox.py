"""Send the events the Prefect server missed (orchestration only): scheduled as ``flush-events/outbox``."""

from __future__ import annotations

from typing import Annotated

from prefect import flow
from pydantic import Field

from flows.context import run_context
from flows.params import form
from models.outbox import FlushResult
from tasks.infra.outbox import CHUNK, flush_outbox, prune_outbox


class EventsUndelivered(RuntimeError):
    """The flush stopped with events still unsent (the run fails so the UI shows it)."""


@flow(name="flush-events")
async def flush_events(
    chunk_size: Annotated[
        int, Field(ge=1, le=50_000), form("每批事件数 Chunk size", "每次发送的事件条数。Events per request.")
    ] = CHUNK,
) -> FlushResult:
    """补发事件：把事件发件箱中未送达 Prefect 的事件按先后补发，并清理过期的已发事件。
    Send every event still in the outbox, oldest first (e.g. after the Prefect server was down), then
    delete the ones sent more than ``DABING_EVENTS_KEEP_DAYS`` ago."""
    with run_context():
        result = flush_outbox(chunk_size)
        prune_outbox()
        if result.error is not None:
            raise EventsUndelivered(f"{result.pending} events unsent: {result.error}")
        return result
