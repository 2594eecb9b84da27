"""Grouping one commit's changes into Prefect events (pure)."""

from __future__ import annotations

import pytest

from models.events import BATCH_MAX, Change, DomainEvent, plan_events

TRIAGED = DomainEvent.CASE_TRIAGED


@pytest.mark.parametrize(
    ("changes", "expected", "reason"),
    [
        ([Change(TRIAGED, "case", (31,))], [("case.triaged", "dabing.case.31", [31])], "one case: an entity event"),
        (
            [Change(TRIAGED, "case", (1, 2)), Change(TRIAGED, "case", (3,))],
            [("case.triaged", "dabing.batch.k-0-0", [1, 2, 3])],
            "same event in one commit merges into one batch",
        ),
        (
            [Change(TRIAGED, "case", (5,)), Change(TRIAGED, "case", (5,))],
            [("case.triaged", "dabing.case.5", [5])],
            "the same case twice is one change",
        ),
        (
            [Change(TRIAGED, "case", (1,)), Change(DomainEvent.CASE_CLOSED, "case", (2,))],
            [("case.triaged", "dabing.case.1", [1]), ("case.closed", "dabing.case.2", [2])],
            "different events stay apart",
        ),
        ([Change(TRIAGED, "case", ())], [], "nothing changed, nothing said"),
    ],
)
def test_plan_events(changes: list[Change], expected: list[tuple[str, str, list[int]]], reason: str) -> None:
    got = [(e.event, e.resource["prefect.resource.id"], e.payload["ids"]) for e in plan_events(changes, "k")]
    assert got == expected, reason


def test_big_bulk_change_is_split_into_batches_of_batch_max() -> None:
    specs = plan_events([Change(TRIAGED, "case", tuple(range(1, 2 * BATCH_MAX + 2)))], "k")
    assert [len(s.payload["ids"]) for s in specs] == [BATCH_MAX, BATCH_MAX, 1]
    assert len({s.resource["prefect.resource.id"] for s in specs}) == 3
    assert specs[0].resource["dabing.count"] == str(BATCH_MAX)


def test_entity_event_carries_payload_and_an_id_label() -> None:
    (spec,) = plan_events([Change(TRIAGED, "case", (7,), {"on": "2017-05-10"})], "k")
    assert spec.payload == {"on": "2017-05-10", "ids": [7]}
    assert spec.resource["dabing.case_id"] == "7"


def test_events_say_where_so_the_feed_filters_by_county() -> None:
    from models.events import Where, batched_cases, single_entities

    changes = [Change(TRIAGED, "case", (7,)), Change(DomainEvent.CASE_CLOSED, "case", (1, 2, 3))]
    assert single_entities(changes) == {("case", 7)} and batched_cases(changes) == {1, 2, 3}
    where = {("case", 7): Where("520527", "esrd_dialysis", "520527-PH")}
    one, batch = plan_events(changes, "k", where, {1: "520527", 2: "520527", 3: "530427"})
    assert one.resource["dabing.region_code"] == "520527" and one.resource["dabing.hospital_code"] == "520527-PH"
    assert [(r["prefect.resource.role"], r["prefect.resource.id"]) for r in one.related] == [
        ("region", "dabing.region.520527"),
        ("disease", "dabing.disease.esrd_dialysis"),
        ("hospital", "dabing.hospital.520527-PH"),
    ]
    assert "dabing.region_code" not in batch.resource, "two counties: no single label"
    assert {r["prefect.resource.id"] for r in batch.related} == {"dabing.region.520527", "dabing.region.530427"}
    (county,) = plan_events([Change(TRIAGED, "case", (1, 2))], "k", None, {1: "520527", 2: "520527"})
    assert county.resource["dabing.region_code"] == "520527"
