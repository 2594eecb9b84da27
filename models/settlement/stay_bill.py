"""A stored stay as a bill (pure): what the settlement at discharge prices, and what a re-settlement, the
2207 export and the policy simulation rebuild — one construction, so they can never price it differently."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Protocol

from models.common import age_on
from models.enums import PovertyStatus
from models.referral import location_of
from models.settlement.bill import Bill, PatientFacts

#: The patient's poverty status and groups on the service date (``tasks.pathway.patient_facts``).
Facts = tuple[PovertyStatus, frozenset[str]]


class StayRow(Protocol):
    """What a stored stay row offers (a labelled SQL row or a named tuple with these names)."""

    @property
    def region(self) -> str: ...
    @property
    def discharged_on(self) -> date: ...
    @property
    def setting(self) -> str: ...
    @property
    def treatment_kind(self) -> str: ...
    @property
    def hospital_level(self) -> str: ...
    @property
    def hospital_region(self) -> str: ...
    @property
    def birth_date(self) -> date: ...
    @property
    def total(self) -> Decimal: ...
    @property
    def out_of_scope(self) -> Decimal: ...
    @property
    def sessions(self) -> int: ...


@lru_cache(maxsize=4096)
def patient_facts(poverty_status: PovertyStatus, age: int, groups: frozenset[str]) -> PatientFacts:
    """A patient's facts on the service date (frozen: one per status, age and groups, shared by their bills)."""
    return PatientFacts.model_construct(poverty_status=poverty_status, age=age, groups=groups)


def bill_of(row: StayRow, facts: Facts) -> Bill:
    """The stored discharge as a bill: typed values, so ``Bill.from_record`` checks without re-parsing; the
    patient's status and groups are those in force on the service date."""
    on = row.discharged_on
    return Bill.from_record(
        region=row.region,
        service_date=on,
        setting=row.setting,  # type: ignore[arg-type]
        hospital_level=row.hospital_level,  # type: ignore[arg-type]
        hospital_location=location_of(row.region, row.hospital_region),
        patient=patient_facts(facts[0], age_on(row.birth_date, on), facts[1]),
        total=row.total,
        out_of_scope=row.out_of_scope,
        sessions=row.sessions,
        prior_paid={},
        treatment_kind=row.treatment_kind,  # type: ignore[arg-type]  # made a member by from_record
    )
