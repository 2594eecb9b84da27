"""The transactional outbox of domain events (pure: no Prefect, no session).

Each planned Prefect event (``models.events.EventSpec``: one per single-entity change, one per ≤ 5,000 ids of
a bulk change) becomes one ``event_outbox`` row, inserted in the same transaction as the change it describes:
it commits with the change and rolls back with it. ``sent_at`` is set once the Prefect server accepted the
event; rows without it are sent later, oldest first (``tasks.infra.outbox``). Internal ids only, as in the events.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, Column, Index, text
from sqlmodel import Field, SQLModel

from models.common import utcnow
from models.events import EventSpec

UNSENT = text("sent_at IS NULL")


class EventOutbox(SQLModel, table=True):
    """One Prefect event, written with the change; ``event_id`` is its Prefect event id on every send."""

    __tablename__ = "event_outbox"
    # flushes read only the unsent rows: the partial index stays as small as the backlog
    __table_args__ = (Index("ix_event_outbox_unsent", "id", sqlite_where=UNSENT, postgresql_where=UNSENT),)

    id: int | None = Field(default=None, primary_key=True)
    # random, not derived from ``id``: several app databases (a demo, tests, a restored copy) may send to one
    # Prefect server, and the server drops a second event with an id it has already seen
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event: str = Field(max_length=64)
    resource_id: str = Field(max_length=128)
    resource: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    related: list[dict[str, str]] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    attempts: int = 0  # sends tried (the successful one included)

    @classmethod
    def of(cls, spec: EventSpec, related: list[dict[str, str]]) -> EventOutbox:
        return cls(
            event=spec.event,
            resource_id=spec.resource["prefect.resource.id"],
            resource=spec.resource,
            payload=spec.payload,
            related=related,
        )

    def outgoing(self) -> Outgoing:
        assert self.id is not None, "flushed rows only"
        return Outgoing(self.id, self.event_id, self.event, self.resource, self.related, self.payload, self.created_at)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A row's content detached from any session: what one send needs."""

    row_id: int
    event_id: uuid.UUID
    event: str
    resource: dict[str, str]
    related: list[dict[str, str]]
    payload: dict[str, Any]
    created_at: datetime


class FlushResult(BaseModel):
    """What one flush did: ``pending`` rows are still unsent afterwards (``error`` says why, if it stopped)."""

    sent: int = 0
    rejected: int = 0  # refused by the server as invalid: kept unsent, retried on every flush, logged
    pending: int = 0
    error: str | None = None
