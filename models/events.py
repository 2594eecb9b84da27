"""The domain-event catalogue and how committed changes become Prefect events (pure: no Prefect, no session).

A unit of work records what it changed (``Change``: event name, resource kind, internal ids, a small payload).
After its commit the changes are grouped into ``EventSpec``s: a change of exactly one entity becomes one event
about that entity (resource ``dabing.case.31``) — that is what a coordinator's action produces and what
deployment triggers listen to; a change of many entities (a bulk chunk) becomes one *batch* event per
``BATCH_MAX`` ids (resource ``dabing.batch.<uuid>``, ids in ``payload["ids"]``), so province-scale bulk work
sends hundreds of events, not millions. Every payload carries ``ids``. Internal ids only: never a national ID
number or a name.

An entity event also says *where* (``Where``, looked up in the same commit): the region, the catalogue disease
and the designated hospital as resource labels (``dabing.region_code`` …) and as related resources
(``dabing.region.520527`` with role ``region`` …), so the Prefect event feed filters by county, disease or
hospital.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from models.enums import CaseState

PREFIX = "dabing"
BATCH_MAX = 5_000  # ids per batch event: ~40 kB, far below the server's 1.5 MB event limit
MAX_REGIONS = 50  # related region resources of one batch event (a province-wide batch names its first 50)


class DomainEvent(StrEnum):
    """Every event the engine emits (see README, "Events")."""

    PATIENT_REGISTERED = "patient.registered"
    PATIENT_SCREENED = "patient.screened"  # a suspected condition opened a case
    CASE_CONFIRMED = "case.confirmed"
    CASE_TRIAGED = "case.triaged"
    REFERRAL_CREATED = "referral.created"
    REFERRAL_ACCEPTED = "referral.accepted"  # the designated hospital accepted (case event, payload referral_id)
    REFERRAL_DECLINED = "referral.declined"  # declined with a reason; the case is re-referred or waits
    TREATMENT_ADMITTED = "treatment.admitted"
    TREATMENT_DISCHARGED = "treatment.discharged"
    SETTLEMENT_COMPLETED = "settlement.completed"
    SETTLEMENT_REVERSED = "settlement.reversed"  # 冲销: a negative settlement cancels one
    SETTLEMENT_RESETTLED = "settlement.resettled"  # 重新结算 with corrected amounts
    SETTLEMENT_HELD = "settlement.held"  # a discharge that cannot be settled (reason: field and why)
    CASE_CURED = "case.cured"
    CASE_UNDER_MAINTENANCE = "case.under_maintenance"
    CASE_UNDER_MANAGEMENT = "case.under_management"
    CASE_CLOSED = "case.closed"
    FOLLOW_UP_RECORDED = "follow_up.recorded"
    ALARM_RAISED = "alarm.raised"  # nightly findings written for a chunk
    ALARM_ESCALATED = "alarm.escalated"  # alarms unhandled past the limit raised to the prefecture
    NIGHTLY_COMPLETED = "nightly.completed"
    PATIENT_CORRECTED = "patient.corrected"  # poverty status or groups changed from a date (patient_fact)
    CASE_CORRECTED = "case.corrected"  # diagnosis corrected, or a step undone (case_correction)
    CONTRACT_SIGNED = "contract.signed"  # 家庭医生签约
    CONTRACT_RENEWED = "contract.renewed"  # 续约
    CONTRACT_ENDED = "contract.ended"  # 解约


STATE_EVENTS: dict[CaseState, DomainEvent] = {
    CaseState.SCREENED: DomainEvent.PATIENT_SCREENED,
    CaseState.CONFIRMED: DomainEvent.CASE_CONFIRMED,
    CaseState.TRIAGED: DomainEvent.CASE_TRIAGED,
    CaseState.REFERRED: DomainEvent.REFERRAL_CREATED,
    CaseState.IN_TREATMENT: DomainEvent.TREATMENT_ADMITTED,
    CaseState.DISCHARGED: DomainEvent.TREATMENT_DISCHARGED,
    CaseState.SETTLED: DomainEvent.SETTLEMENT_COMPLETED,
    CaseState.CURED: DomainEvent.CASE_CURED,
    CaseState.UNDER_MAINTENANCE: DomainEvent.CASE_UNDER_MAINTENANCE,
    CaseState.UNDER_MANAGEMENT: DomainEvent.CASE_UNDER_MANAGEMENT,
    CaseState.CLOSED: DomainEvent.CASE_CLOSED,
}


def resource_id(kind: str, key: object) -> str:
    return f"{PREFIX}.{kind}.{key}"


def only_date(dates: Iterable[date | None]) -> date | None:
    """The business date ``on`` of a set-based move: the one date every moved row shares, else None (a bulk
    chunk of several days; a single case always has its date)."""
    distinct = set(dates)
    return next(iter(distinct)) if len(distinct) == 1 else None


@dataclass(frozen=True, slots=True)
class Where:
    """Where an entity is: region code, catalogue disease code, designated hospital code (None: not yet)."""

    region_code: str | None = None
    disease_code: str | None = None
    hospital_code: str | None = None

    def items(self) -> list[tuple[str, str]]:
        parts = (("region", self.region_code), ("disease", self.disease_code), ("hospital", self.hospital_code))
        return [(role, value) for role, value in parts if value]


@dataclass(frozen=True, slots=True)
class Change:
    """What one statement of a unit of work changed."""

    event: DomainEvent
    kind: str  # resource kind: case, patient, nightly-run, ...
    ids: tuple[int, ...]
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EventSpec:
    """One Prefect event to emit: arguments for ``prefect.events.emit_event``."""

    event: str
    resource: dict[str, str]
    payload: dict[str, Any]
    related: list[dict[str, str]] = field(default_factory=list)  # region, disease, hospital (entity events)


def _entity(change: Change, where: Where) -> EventSpec:
    key = change.ids[0]
    return EventSpec(
        event=change.event.value,
        resource={
            "prefect.resource.id": resource_id(change.kind, key),
            "prefect.resource.name": f"{change.kind} {key}",
            f"{PREFIX}.{change.kind.replace('-', '_')}_id": str(key),
            **{f"{PREFIX}.{role}_code": value for role, value in where.items()},
        },
        payload={**change.payload, "ids": [key]},
        related=[
            {"prefect.resource.id": resource_id(role, value), "prefect.resource.role": role}
            for role, value in where.items()
        ],
    )


def _batches(change: Change, batch_key: str, regions: Mapping[int, str]) -> Iterable[EventSpec]:
    for part, start in enumerate(range(0, len(change.ids), BATCH_MAX)):
        ids = list(change.ids[start : start + BATCH_MAX])
        within = sorted({regions[i] for i in ids if i in regions})
        yield EventSpec(
            event=change.event.value,
            resource={
                "prefect.resource.id": resource_id("batch", f"{batch_key}-{part}"),
                "prefect.resource.name": f"{len(ids)} × {change.kind}",
                f"{PREFIX}.kind": change.kind,
                f"{PREFIX}.count": str(len(ids)),
                **({f"{PREFIX}.region_code": within[0]} if len(within) == 1 else {}),
            },
            payload={**change.payload, "ids": ids},
            related=[
                {"prefect.resource.id": resource_id("region", r), "prefect.resource.role": "region"}
                for r in within[:MAX_REGIONS]
            ],
        )


def single_entities(changes: Sequence[Change]) -> set[tuple[str, int]]:
    """(kind, id) of every change that will become an entity event: what ``plan_events`` wants a ``Where`` of."""
    return {(key[1], next(iter(found))) for key, found in _merged_ids(changes).items() if len(found) == 1}


def batched_cases(changes: Sequence[Change]) -> set[int]:
    """Case ids that will travel in batch events: what ``plan_events`` wants the ``regions`` of."""
    return set().union(*(found for kind, found in _merged_ids(changes).items() if kind[1] == "case" and len(found) > 1))


def _merged_ids(changes: Sequence[Change]) -> dict[tuple[DomainEvent, str], set[int]]:
    ids: dict[tuple[DomainEvent, str], set[int]] = {}
    for ch in changes:
        ids.setdefault((ch.event, ch.kind), set()).update(ch.ids)
    return ids


def plan_events(
    changes: Sequence[Change],
    batch_key: str,
    where: Mapping[tuple[str, int], Where] | None = None,
    regions: Mapping[int, str] | None = None,
) -> list[EventSpec]:
    """Group one commit's changes: same event and kind merge; one id → entity event, more → batch events.

    ``batch_key`` (unique per commit) makes batch resource ids distinct. Payload keys of merged changes must
    agree (they come from one statement type); the first change's payload wins. ``where`` gives the region,
    disease and hospital of entity events by (kind, id); ``regions`` the region of each case id in a batch (a
    batch of one region is labelled with it, and relates to every region it covers).
    """
    where, regions = where or {}, regions or {}
    merged: dict[tuple[DomainEvent, str], Change] = {}
    for ch in changes:
        if not ch.ids:
            continue
        key = (ch.event, ch.kind)
        prev = merged.get(key)
        merged[key] = ch if prev is None else Change(ch.event, ch.kind, prev.ids + ch.ids, prev.payload)
    specs: list[EventSpec] = []
    for n, ch in enumerate(merged.values()):
        unique = tuple(dict.fromkeys(ch.ids))
        ch = Change(ch.event, ch.kind, unique, ch.payload)
        if len(unique) == 1:
            specs.append(_entity(ch, where.get((ch.kind, unique[0]), Where())))
        else:
            specs.extend(_batches(ch, f"{batch_key}-{n}", regions if ch.kind == "case" else {}))
    return specs
