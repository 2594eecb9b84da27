"""Screenings, conditions, cases (the pathway) and the append-only transition audit."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.common import enum_field, region_field, utcnow
from models.enums import CaseState, Category, ConditionStatus


class Screening(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    screened_on: date
    method: str = Field(default="health_check", max_length=30)
    actor: str = Field(max_length=60)
    created_at: datetime = Field(default_factory=utcnow)


class ConditionBase(SQLModel):
    icd10: str = Field(max_length=16)
    status: ConditionStatus = enum_field(ConditionStatus, default=ConditionStatus.SUSPECTED)


class Condition(ConditionBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    screening_id: int | None = Field(default=None, foreign_key="screening.id")
    confirmed_on: date | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class CaseBase(SQLModel):
    state: CaseState = enum_field(CaseState, default=CaseState.SCREENED)
    disease_code: str | None = Field(default=None, max_length=40)
    category: str | None = Field(default=None, max_length=20)
    state_reason: str | None = Field(default=None, max_length=60)


class Case(CaseBase, table=True):
    """One suspected/confirmed condition of one patient followed along the pathway."""

    # Few indexes on purpose: every state change rewrites each of them (bulk moves of 5,000 cases).
    # patient_id is served by the unique constraint's prefix; (state, state_changed_at) serves both
    # "cases in state X" and "stuck in X since before T". (region_code, state, category) serves the console at
    # province scale: a county's cases by state and category, read from the index alone (the ledger, the case
    # list's count), where region_code's own index made the state filter read every case row of the county.
    __table_args__ = (
        UniqueConstraint("patient_id", "disease_code", name="uq_case_patient_disease"),
        Index("ix_case_state_changed", "state", "state_changed_at"),
        Index("ix_case_region_state", "region_code", "state", "category"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id")
    condition_id: int = Field(foreign_key="condition.id", unique=True)
    region_code: str = region_field()
    hospital_id: int | None = Field(default=None, foreign_key="hospital.id", index=True)
    green_channel: bool = False
    catalogue_version: str | None = Field(default=None, max_length=20)
    triaged_at: datetime | None = None
    state_changed_at: datetime = Field(default_factory=utcnow)
    created_at: datetime = Field(default_factory=utcnow)


class CaseTransition(SQLModel, table=True):
    """Audit of every state change. Rows are appended, never updated (triggers forbid it). ``at`` is when the
    move was recorded; ``occurred_on`` the business date it took effect (screened / confirmed / referred /
    admitted / discharged on, the night of a nightly move; an undo: the date the restored state began), which
    the nightly run reads to know a case's state on a past night. None on rows written before migration 0022."""

    __tablename__ = "case_transition"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    from_state: CaseState | None = enum_field(CaseState, default=None, nullable=True)
    to_state: CaseState = enum_field(CaseState)
    actor: str = Field(max_length=60)
    reason: str = Field(max_length=120)
    at: datetime = Field(default_factory=utcnow)
    occurred_on: date | None = None
    event_id: str | None = Field(default=None, max_length=64)


CATEGORY_VALUES = tuple(c.value for c in Category)
