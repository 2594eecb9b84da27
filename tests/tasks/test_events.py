"""Events leave only after the commit; a rollback drops them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from models.events import EventSpec
from tasks.infra import events
from tasks.infra.db import session_scope
from tasks.pathway.hospitals import sync_hospitals
from tasks.pathway.steps import confirm_case
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


def test_case_events_say_where_and_on_which_day(tmp_path: Path, db_url: str, captured: list[EventSpec]) -> None:
    """The event feed filters by county, disease and hospital; admit, discharge and settlement carry their date."""

    from models.enums import ReferralDirection
    from models.settlement.amounts import BillAmounts
    from tasks.pathway.steps import admit_case, discharge_case, refer_case, triage_case
    from tasks.settlement.settle import settle_case

    with session_scope() as s:
        sync_hospitals(s)
    case_id, nid = import_one_patient(tmp_path, "N18.5")
    actor = "xinping-coordinator"
    confirm_case.fn(case_id, date(2017, 5, 10), "", actor)
    triage_case.fn(case_id, date(2017, 5, 10), actor)
    refer_case.fn(case_id, date(2017, 5, 11), False, ReferralDirection.INITIAL, actor)
    admit_case.fn(case_id, date(2017, 5, 12), actor)
    discharge_case.fn(case_id, date(2017, 5, 20), BillAmounts.parse("38734.00", "733.00"), actor)
    settle_case.fn(case_id, actor)
    by_name = {e.event: e for e in captured if e.payload["ids"] == [case_id]}
    on = {name: by_name[name].payload["on"] for name in ("treatment.admitted", "treatment.discharged")}
    assert on == {"treatment.admitted": "2017-05-12", "treatment.discharged": "2017-05-20"}
    assert by_name["settlement.completed"].payload["on"] == "2017-05-20", "the service (discharge) date"
    settled = by_name["settlement.completed"]
    assert settled.resource["dabing.region_code"] == "530427"
    assert settled.resource["dabing.disease_code"] and settled.resource["dabing.hospital_code"]
    roles = {r["prefect.resource.role"]: r["prefect.resource.id"] for r in settled.related}
    assert roles["region"] == "dabing.region.530427"
    assert roles["hospital"] == f"dabing.hospital.{settled.resource['dabing.hospital_code']}"
    assert by_name["patient.screened"].resource["dabing.region_code"] == "530427", "known from the first event on"
    assert nid not in str(captured)
