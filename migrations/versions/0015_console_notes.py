"""Notes typed on a console page (reasons, alarm notes): the run carries only ``console-note:<id>``.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", AutoString(length=60), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("text", AutoString(length=500), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_console_note_patient_id", "console_note", ["patient_id"])


def downgrade() -> None:
    op.drop_index("ix_console_note_patient_id", table_name="console_note")
    op.drop_table("console_note")
