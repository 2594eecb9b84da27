"""Persisted settlements and the per-patient annual payer ledger (openIMIS ClaimDedRem style)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.common import enum_field, money_field, utcnow
from models.settlement.policy import PayerLayer


class Settlement(SQLModel, table=True):
    """A settlement of a treatment episode, or the reversal (冲销) of one; rows are appended, never updated.

    A settlement has a ``generation`` (0 at discharge, +1 per re-settlement) and no ``reverses_id``; a reversal
    has ``reverses_id`` (the settlement it cancels, its amounts negated) and no generation. The database keeps
    "at most one effective settlement per stay" under concurrency: UNIQUE(episode_id, generation) makes two
    settlements of one generation impossible, UNIQUE(reverses_id) two reversals of one settlement, and a
    re-settlement is written only with (or after) the reversal of the generation before it.
    """

    __table_args__ = (
        UniqueConstraint("episode_id", "generation", name="uq_settlement_episode_generation"),
        UniqueConstraint("reverses_id", name="uq_settlement_reverses"),
        CheckConstraint("(generation IS NULL) <> (reverses_id IS NULL)", name="ck_settlement_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    #: indexed as the leading column of uq_settlement_episode_generation (migration 0020)
    episode_id: int = Field(foreign_key="treatment_episode.id")
    #: 0 for the settlement at discharge, n for the n-th re-settlement; NULL on a reversal row.
    generation: int | None = Field(default=0, sa_column_kwargs={"server_default": "0"})
    #: The settlement this row reverses (冲销); NULL on a settlement.
    reverses_id: int | None = Field(default=None, foreign_key="settlement.id")
    #: Why a reversal or re-settlement was made (the coordinator's words); empty at discharge.
    reason: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    #: The special-disease case the stay treated (None: any other stay).
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
    #: Which rule applied, in Chinese (基本医保 · 三级医院 65% · 起付线 500元), beside the stable ``rule`` id.
    label_zh: str = Field(default="", max_length=300, sa_column_kwargs={"server_default": ""})
    #: What this line added to the annual deductible used (a yearly deductible); a reversal takes it back.
    ledger_deductible: Decimal = money_field(sa_column_kwargs={"server_default": "0"})


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
