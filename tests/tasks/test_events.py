"""Events leave only after the commit; a rollback drops them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from models.events import EventSpec
from tasks import events
from tasks.db import session_scope
from tasks.hospitals import sync_hospitals
from tasks.steps import confirm_case
from tests.flows.helpers import import_one_patient


@pytest.fixture()
def captured() -> Iterator[list[EventSpec]]:
    seen: list[EventSpec] = []

    def sink(spec: EventSpec, _related: Any) -> None:
        seen.append(spec)

    events.sinks.append(sink)
    yield seen
    events.sinks.remove(sink)


def test_committed_move_emits_after_commit(tmp_path: Path, db_url: str, captured: list[EventSpec]) -> None:
    case_id, _ = import_one_patient(tmp_path, "N18.5")
    assert [e.event for e in captured] == ["patient.screened"]
    captured.clear()
    confirm_case.fn(case_id, date(2017, 5, 10), "", "xinping-coordinator")
    assert [(e.event, e.payload["ids"], e.payload["on"]) for e in captured] == [
        ("case.confirmed", [case_id], "2017-05-10")
    ]


def test_rolled_back_work_emits_nothing(db_url: str, captured: list[EventSpec]) -> None:
    from models.events import Change, DomainEvent

    with pytest.raises(RuntimeError), session_scope() as s:
        sync_hospitals(s)
        events.record(s, Change(DomainEvent.CASE_CLOSED, "case", (1,)))
        raise RuntimeError("boom")
    with session_scope() as s:
        events.record(s, Change(DomainEvent.CASE_CLOSED, "case", (2,)))
    assert [e.payload["ids"] for e in captured] == [[2]], "only the committed unit of work speaks"
