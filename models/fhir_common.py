"""Building blocks shared by the FHIR R4 mapping (``fhir_bundle``: the pathway; ``fhir_claims``: coverage and
the one-stop settlement): identifier systems, deterministic resource ids and small datatype constructors.

Resource ids are UUIDs derived from internal ids, so the same input gives the same file.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.money import Money
from fhir.resources.R4B.reference import Reference

from models.care import Hospital

BASE = "urn:dabing"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
TERM = "http://terminology.hl7.org/CodeSystem"
_NS = uuid.uuid5(uuid.NAMESPACE_URL, BASE)


def aware(at: datetime) -> datetime:
    """Naive datetimes (SQLite) are UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def uid(kind: str, key: object) -> str:
    return str(uuid.uuid5(_NS, f"{kind}/{key}"))


def ref(kind: str, key: object) -> Reference:
    """A reference to another entry of the same Bundle (its ``fullUrl`` is ``urn:uuid:<uid>``)."""
    return Reference(reference=f"urn:uuid:{uid(kind, key)}", type=kind)


def concept(system: str, code: str, display: str | None = None, text: str | None = None) -> CodeableConcept:
    return CodeableConcept(coding=[Coding(system=system, code=code, display=display)], text=text)


def ids(kind: str, key: object) -> list[Identifier]:
    """The internal id as a business identifier (system ``urn:dabing:<kind>``)."""
    return [Identifier(system=f"{BASE}:{kind.lower()}", value=str(key))]


def money(value: Decimal) -> Money:
    return Money(value=value, currency="CNY")


def org(h: Hospital) -> Reference:
    """A designated hospital, by its code (no Organization resource is exported)."""
    return Reference(identifier=Identifier(system=f"{BASE}:hospital", value=h.code), display=h.name)
