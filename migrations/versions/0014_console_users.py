"""The console's users (argon2 password hashes), sign-in attempts (lock-out) and identity-shown audit.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_user",
        sa.Column("actor_id", AutoString(length=60), nullable=False),
        sa.Column("password_hash", AutoString(length=200), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["actor.id"]),
        sa.PrimaryKeyConstraint("actor_id"),
    )
    op.create_table(
        "console_login",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", AutoString(length=60), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_console_login_actor_at", "console_login", ["actor_id", "at"])
    op.create_table(
        "console_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", AutoString(length=60), nullable=False),
        sa.Column("action", AutoString(length=40), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_console_audit_patient_id", "console_audit", ["patient_id"])


def downgrade() -> None:
    op.drop_index("ix_console_audit_patient_id", table_name="console_audit")
    op.drop_table("console_audit")
    op.drop_index("ix_console_login_actor_at", table_name="console_login")
    op.drop_table("console_login")
    op.drop_table("console_user")
