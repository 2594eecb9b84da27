"""Family-doctor contracts (家庭医生签约, target 100%): the event history and its pure rules.

A contract term is a ``family_doctor_contract`` row (team, institution, from, until). Signing and renewing each
append a term; ending one appends a ``contract_event`` row (``ended`` on a date, with the reason): no term is
ever changed (the database refuses UPDATE/DELETE on both tables). Each sign, renewal and end also has its
``contract_event`` row with the actor and reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlmodel import Field, SQLModel, col

from models.care import FamilyDoctorContract
from models.common import enum_field, utcnow
from models.corrections import REASON_MAX


class ContractEventKind(StrEnum):
    SIGNED = "signed"  # 签约
    RENEWED = "renewed"  # 续约
    ENDED = "ended"  # 解约


CONTRACT_EVENT_LABELS = {
    ContractEventKind.SIGNED: "签约",
    ContractEventKind.RENEWED: "续约",
    ContractEventKind.ENDED: "解约",
}


class ContractEvent(SQLModel, table=True):
    """What happened to a contract term, when, by whom and why (append-only)."""

    __tablename__ = "contract_event"

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="family_doctor_contract.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    kind: ContractEventKind = enum_field(ContractEventKind)
    on: date
    renews_id: int | None = Field(default=None, foreign_key="family_doctor_contract.id")  # renewed: the term before
    actor: str = Field(max_length=60)
    reason: str = Field(max_length=REASON_MAX)
    recorded_at: datetime = Field(default_factory=utcnow)


def ended_by(day: Any) -> Any:
    """SQL: the ``family_doctor_contract`` row of the enclosing query has an end recorded on or before ``day``
    (a date or a date expression): such a term no longer counts as in force."""
    return (
        select(ContractEvent.id)  # type: ignore[call-overload]
        .where(
            col(ContractEvent.contract_id) == col(FamilyDoctorContract.id),
            col(ContractEvent.kind) == ContractEventKind.ENDED,
            col(ContractEvent.on) <= day,
        )
        .exists()
    )


class Term(NamedTuple):
    """One contract term as the pure rules read it; ``ended_on``: the earliest end recorded for it, if any."""

    id: int
    signed_on: date
    expires_on: date
    ended_on: date | None = None


def term_until(start: date, years: int) -> date:
    """The last day of a term of ``years`` years from ``start`` (a 1-year term from 2017-04-01 ends 2018-03-31;
    from 29 February, a year later is 28 February)."""
    try:
        anniversary = start.replace(year=start.year + years)
    except ValueError:  # 29 February → 28 February
        anniversary = start.replace(year=start.year + years, day=28) + timedelta(days=1)
    return anniversary - timedelta(days=1)


def in_force(term: Term, on: date) -> bool:
    """Signed on or before ``on``, not expired, not ended by then (an end takes effect on its date)."""
    return term.signed_on <= on <= term.expires_on and (term.ended_on is None or on < term.ended_on)


def current_term(terms: Iterable[Term], on: date) -> Term | None:
    """The term in force on ``on`` (the latest signed, if terms overlap)."""
    live = [t for t in terms if in_force(t, on)]
    return max(live, key=lambda t: (t.signed_on, t.id)) if live else None


def last_day(term: Term) -> date:
    """The last day a term is in force: its expiry, or the day before its end."""
    return min(term.expires_on, term.ended_on - timedelta(days=1)) if term.ended_on else term.expires_on


def overlapping(terms: Iterable[Term], start: date, until: date) -> Term | None:
    """A term in force on some day of [start, until] (a new contract may not overlap one: renew or end it)."""
    clash = [t for t in terms if t.signed_on <= until and start <= last_day(t) and t.signed_on <= last_day(t)]
    return min(clash, key=lambda t: (t.signed_on, t.id)) if clash else None


def contract_rate(contracted: int, population: int) -> str:
    """签约率 as the ledger prints it, one decimal (``87.6%``); no population → ``0.0%``."""
    rate = (Decimal(contracted) * 100 / population).quantize(Decimal("0.1")) if population else Decimal("0.0")
    return f"{rate}%"
