"""Households and patients. Identity (national ID, name) lives only in ``patient``, and only protected:
a keyed lookup hash and sealed values (``models.identity``); everything else refers to the internal id."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import ConfigDict, field_validator
from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models import national_id
from models.common import Money, enum_field, region_field, utcnow
from models.digits import ascii_code
from models.enums import PovertyStatus


class HouseholdBase(SQLModel):
    ref: str = Field(min_length=1, max_length=40, description="External household number (户编号).")
    region_code: str = region_field()
    poverty_status: PovertyStatus = enum_field(PovertyStatus, default=PovertyStatus.GENERAL)
    annual_income: Decimal | None = Field(default=None, ge=0, decimal_places=2, sa_type=Money())


class Household(HouseholdBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(min_length=1, max_length=40, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class PatientBase(SQLModel):
    region_code: str = region_field()
    poverty_status: PovertyStatus = enum_field(PovertyStatus, index=True)
    sex: str = Field(max_length=1)
    birth_date: date


class PatientCreate(SQLModel):
    """What a coordinator types in; validated, never logged."""

    # a validation error never repeats an ID or a name (SQLModelConfig extends ConfigDict but is not exported)
    model_config = ConfigDict(hide_input_in_errors=True)  # type: ignore[assignment]

    household_ref: str = Field(min_length=1, max_length=40)
    national_id: str
    name: str = Field(min_length=1, max_length=60)
    region_code: str = Field(regex=r"^[0-9]{6}$")
    poverty_status: PovertyStatus

    _ascii = field_validator("region_code", mode="before")(ascii_code)

    @field_validator("national_id")
    @classmethod
    def _valid_id(cls, v: str) -> str:
        return national_id.normalise(v)


class Patient(PatientBase, table=True):
    # a household's members with their status from the index alone: the poverty alarms' sums (migration 0021)
    __table_args__ = (Index("ix_patient_household_status", "household_id", "poverty_status"),)

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id")
    national_id_hash: str = Field(max_length=64, unique=True, description="HMAC-SHA256 of the ID number.")
    national_id_sealed: str = Field(max_length=120, description="AES-256-GCM sealed ID number.")
    name_sealed: str = Field(max_length=400, description="AES-256-GCM sealed name.")
    created_at: datetime = Field(default_factory=utcnow)


class ExternalStatus(SQLModel, table=True):
    """A person on an imported external list (扶贫办 / 民政 / 医保) for the 四个一致 check: the poverty status
    (poverty office, civil affairs) or whether insured (insurance fund). One row per person, source and list
    date (``dabing lists import``: a re-import writes nothing new); the latest list date is the one compared."""

    __tablename__ = "external_status"
    __table_args__ = (
        Index("ix_external_status_patient_date", "patient_id", "list_date"),
        UniqueConstraint("patient_id", "source", "list_date", name="uq_external_status_patient_source_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id")
    source: str = Field(max_length=40)
    list_date: date
    poverty_status: PovertyStatus | None = enum_field(PovertyStatus, default=None, nullable=True)
    insured: bool | None = None
