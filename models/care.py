"""Designated hospitals, referrals, treatment episodes, follow-ups and family-doctor contracts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.common import enum_field, money_field, region_field, utcnow
from models.enums import CareSetting, HospitalLevel, ReferralDirection, ReferralStatus, TreatmentKind


class Hospital(SQLModel, table=True):
    """Synced from config/data/hospitals.yaml (the config file is the source)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=120)
    level: HospitalLevel = enum_field(HospitalLevel)
    region_code: str = region_field()
    capacity: int = Field(ge=0)
    green_channel: bool = False


class HospitalDisease(SQLModel, table=True):
    __tablename__ = "hospital_disease"

    hospital_id: int = Field(foreign_key="hospital.id", primary_key=True)
    disease_code: str = Field(max_length=40, primary_key=True)


class Referral(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    hospital_id: int = Field(foreign_key="hospital.id", index=True)
    from_hospital_id: int | None = Field(default=None, foreign_key="hospital.id")
    direction: ReferralDirection = enum_field(ReferralDirection, default=ReferralDirection.INITIAL)
    status: ReferralStatus = enum_field(ReferralStatus, default=ReferralStatus.PENDING)
    urgent: bool = False
    green_channel: bool = False
    referred_on: date
    actor: str = Field(max_length=60)
    created_at: datetime = Field(default_factory=utcnow)


class TreatmentEpisode(SQLModel, table=True):
    """One stay of a registered patient (住院, or an outpatient 门诊慢特病 course counted in ``sessions``) at a
    hospital, with its diagnosis. Linked to a special-disease case (``case_id``) when it treats one; any other
    stay (a fracture, a delivery) has none and is admitted, discharged and settled all the same."""

    __tablename__ = "treatment_episode"
    # A case's stays with their discharge day from the index alone (first discharges: the treatment rate)
    __table_args__ = (Index("ix_treatment_episode_case_discharged", "case_id", "discharged_on"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    hospital_id: int = Field(foreign_key="hospital.id", index=True)
    referral_id: int | None = Field(default=None, foreign_key="referral.id")
    icd10: str = Field(max_length=16)
    treatment_kind: TreatmentKind = enum_field(
        TreatmentKind, default=TreatmentKind.GENERAL, sa_column_kwargs={"server_default": TreatmentKind.GENERAL.value}
    )
    setting: CareSetting = enum_field(CareSetting, default=CareSetting.INPATIENT)
    admitted_on: date
    discharged_on: date | None = Field(default=None, index=True)
    sessions: int = Field(default=0, ge=0)
    total_cost: Decimal = money_field()
    out_of_scope: Decimal = money_field()
    admitted_by: str | None = Field(default=None, max_length=60)
    discharged_by: str | None = Field(default=None, max_length=60)


class FollowUp(SQLModel, table=True):
    __tablename__ = "follow_up"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    followed_on: date = Field(index=True)
    actor: str = Field(max_length=60)
    outcome: str = Field(default="stable", max_length=40)
    created_at: datetime = Field(default_factory=utcnow)


class FamilyDoctorContract(SQLModel, table=True):
    __tablename__ = "family_doctor_contract"
    __table_args__ = (UniqueConstraint("patient_id", "signed_on", name="uq_contract_patient_signed"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    doctor_ref: str = Field(max_length=40)
    institution_id: int | None = Field(default=None, foreign_key="hospital.id")
    signed_on: date
    expires_on: date = Field(index=True)
