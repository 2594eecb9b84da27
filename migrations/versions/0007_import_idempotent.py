"""screening_key: one screening finding per person, diagnosis code and date (idempotent import, issue 17).
Existing findings are keyed from their screening and condition; duplicates a repeated import made earlier
collapse into one key (the earliest screening), so the upgrade never fails on old data.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screening_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("icd10", AutoString(length=16), nullable=False),
        sa.Column("screened_on", sa.Date(), nullable=False),
        sa.Column("screening_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.ForeignKeyConstraint(["screening_id"], ["screening.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("patient_id", "icd10", "screened_on", name="uq_screening_key"),
    )
    op.execute(
        "INSERT INTO screening_key (patient_id, icd10, screened_on, screening_id) "
        "SELECT s.patient_id, c.icd10, s.screened_on, min(s.id) FROM screening s "
        "JOIN condition c ON c.screening_id = s.id GROUP BY s.patient_id, c.icd10, s.screened_on"
    )


def downgrade() -> None:
    op.drop_table("screening_key")
