"""The idempotency key of screening intake: one screening finding per person, diagnosis code and date.

A row per screening finding (``screening_id``), unique on (patient, code, date): importing the same file
twice, or a file repeating a row, finds the key and writes nothing new. (A table of its own rather than
columns on ``screening``: databases imported before this key existed may already hold duplicates, which
migration 0007 collapses into one key each instead of failing.)"""

from __future__ import annotations

from datetime import date

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class ScreeningKey(SQLModel, table=True):
    __tablename__ = "screening_key"
    __table_args__ = (UniqueConstraint("patient_id", "icd10", "screened_on", name="uq_screening_key"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id")
    icd10: str = Field(max_length=16)
    screened_on: date
    screening_id: int = Field(foreign_key="screening.id")
