"""Referral history: ``referral_event`` — every status change of a referral after it was made (accepted,
declined with a reason, admitted, cancelled) with actor, business date and time; appended, never updated.
(Capacity per hospital and disease lives in config/data/hospitals.yaml; occupancy is counted from referrals and
stays, so no table holds it.)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_STATUS = ("pending", "accepted", "declined", "admitted", "cancelled")


def _status() -> sa.Enum:
    return sa.Enum(*_STATUS, name="referralstatus", native_enum=False, length=40)


def upgrade() -> None:
    op.create_table(
        "referral_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("from_status", _status(), nullable=False),
        sa.Column("to_status", _status(), nullable=False),
        sa.Column("reason", AutoString(length=40), nullable=True),
        sa.Column("actor", AutoString(length=60), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("referral_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_event_referral_id"), ["referral_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("referral_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_event_referral_id"))
    op.drop_table("referral_event")
