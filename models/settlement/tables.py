"""Persisted settlements and the per-patient annual payer ledger (openIMIS ClaimDedRem style)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.common import enum_field, money_field, utcnow
from models.settlement.policy import PayerLayer


class Settlement(SQLModel, table=True):
    """One per stay (treatment episode): UNIQUE(episode_id) in the database makes settling twice impossible.
    ``case_id`` names the special-disease case the stay treated (None: any other stay)."""

    id: int | None = Field(default=None, primary_key=True)
    episode_id: int = Field(foreign_key="treatment_episode.id", unique=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    policy_id: str = Field(max_length=40)
    service_date: date
    total: Decimal = money_field()
    in_scope: Decimal = money_field()
    patient_pays: Decimal = money_field()
    self_pay_ratio: Decimal = Field(max_digits=6, decimal_places=4)
    flags: str = Field(default="", max_length=200)
    settled_at: datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=60)


class SettlementLine(SQLModel, table=True):
    __tablename__ = "settlement_line"

    settlement_id: int = Field(foreign_key="settlement.id", primary_key=True)
    layer: PayerLayer = enum_field(PayerLayer, primary_key=True)
    base: Decimal = money_field()
    deductible: Decimal = money_field()
    ratio: Decimal = Field(max_digits=6, decimal_places=4)
    paid: Decimal = money_field()
    rule: str = Field(max_length=160)


class PayerLedger(SQLModel, table=True):
    """Running totals per patient, year and layer: what annual deductibles and caps see."""

    __tablename__ = "payer_ledger"
    __table_args__ = (UniqueConstraint("patient_id", "year", "layer", name="uq_payer_ledger"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id")  # indexed by the unique constraint's prefix
    year: int
    layer: PayerLayer = enum_field(PayerLayer)
    paid: Decimal = money_field()
    deductible_used: Decimal = money_field()
