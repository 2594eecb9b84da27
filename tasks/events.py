"""Domain events, emitted after the database commit and never before.

Code that changes state calls ``record(session, Change(...))`` inside its unit of work; the changes wait in
``session.info``. An ``after_commit`` listener on every Session turns them into Prefect events
(``models.events.plan_events``) and hands them to ``emit_event`` (which queues them for a background sender and
never raises); a rollback drops them. So an event always describes something the system of record holds; the
converse is not guaranteed (events are at-least-once and best effort: a Prefect server that is down loses
them — the database, ``case_transition`` above all, stays the record; see README "Events").

Emission needs somewhere to go: inside a Prefect run, or with a Prefect API URL configured. Plain calls (unit tests,
scripts) emit nothing rather than start a temporary Prefect server.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

import structlog
from sqlalchemy import event
from sqlalchemy.orm import Session

from config.settings import get_settings
from models.events import Change, EventSpec, plan_events

log = structlog.get_logger()
_KEY = "dabing.events"

Sink = Callable[[EventSpec, list[dict[str, str]]], None]


def record(session: Session, change: Change) -> None:
    """Queue ``change`` to be emitted once ``session`` commits."""
    if change.ids:
        session.info.setdefault(_KEY, []).append(change)


def record_ids(session: Session, change: Change, ids: Sequence[int]) -> None:
    record(session, Change(change.event, change.kind, tuple(ids), change.payload))


def _run_related() -> list[dict[str, str]]:
    """The flow run and task run doing the work, so the UI links a run to the cases it acted on."""
    from prefect.context import FlowRunContext, TaskRunContext

    related: list[dict[str, str]] = []
    flow_ctx = FlowRunContext.get()
    if flow_ctx is not None and flow_ctx.flow_run is not None:
        fr = flow_ctx.flow_run
        related.append(
            {"prefect.resource.id": f"prefect.flow-run.{fr.id}", "prefect.resource.role": "flow-run",
             "prefect.resource.name": fr.name}
        )  # fmt: skip
    task_ctx = TaskRunContext.get()
    if task_ctx is not None:
        tr = task_ctx.task_run
        related.append(
            {"prefect.resource.id": f"prefect.task-run.{tr.id}", "prefect.resource.role": "task-run",
             "prefect.resource.name": tr.name}
        )  # fmt: skip
    return related


def _in_run() -> bool:
    from prefect.context import FlowRunContext, TaskRunContext

    return FlowRunContext.get() is not None or TaskRunContext.get() is not None


def prefect_sink(spec: EventSpec, related: list[dict[str, str]]) -> None:
    from prefect.events import emit_event
    from prefect.settings import PREFECT_API_URL

    if not (PREFECT_API_URL.value() or _in_run()):
        return

    emit_event(spec.event, resource=spec.resource, related=related, payload=spec.payload)


# Where events go. Tests append a capturing sink; the Prefect sink is always first.
sinks: list[Sink] = [prefect_sink]


def _after_commit(session: Session) -> None:
    changes: list[Change] = session.info.pop(_KEY, [])
    if not changes or not get_settings().events:
        return
    specs = plan_events(changes, uuid.uuid4().hex[:12])
    related = _run_related()
    for spec in specs:
        for sink in sinks:
            try:
                sink(spec, related)
            except Exception:  # an event is never worth failing committed work
                log.exception("event.emit_failed", event_name=spec.event)
    log.debug("events.emitted", count=len(specs))


def _after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)


def install() -> None:
    """Register the listeners once (idempotent); called by ``tasks.db``."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
