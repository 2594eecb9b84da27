"""Corrections and contracts: patient_fact (poverty status and groups with effective dates), case_correction
(diagnosis corrected, closed, undone: actor and reason), contract_event (family-doctor contract signed, renewed,
ended). All three are append-only (triggers: ``tasks/infra/schema.py``, installed by ``init_db``).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=40)


def upgrade() -> None:
    op.create_table(
        "patient_fact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("factkind", "status", "group_added", "group_removed"), nullable=False),
        sa.Column("value", AutoString(length=40), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("actor", AutoString(length=60), nullable=False),
        sa.Column("reason", AutoString(length=200), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_patient_fact_patient_from", "patient_fact", ["patient_id", "effective_from"])
    op.create_table(
        "case_correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("correctionkind", "diagnosis", "close", "undo"), nullable=False),
        sa.Column("detail", AutoString(length=120), nullable=False),
        sa.Column("reason", AutoString(length=200), nullable=False),
        sa.Column("actor", AutoString(length=60), nullable=False),
        sa.Column("transition_id", sa.Integer(), nullable=True),
        sa.Column("undone_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["transition_id"], ["case_transition.id"]),
        sa.ForeignKeyConstraint(["undone_id"], ["case_transition.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_correction_case_id", "case_correction", ["case_id"])
    op.create_table(
        "contract_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("contracteventkind", "signed", "renewed", "ended"), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("renews_id", sa.Integer(), nullable=True),
        sa.Column("actor", AutoString(length=60), nullable=False),
        sa.Column("reason", AutoString(length=200), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contract_id"], ["family_doctor_contract.id"]),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.ForeignKeyConstraint(["renews_id"], ["family_doctor_contract.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_contract_event_contract_id", "contract_event", ["contract_id"])
    op.create_index("ix_contract_event_patient_id", "contract_event", ["patient_id"])


def downgrade() -> None:
    """Dropping a table drops its append-only triggers with it (SQLite and PostgreSQL)."""
    for table in ("contract_event", "case_correction", "patient_fact"):
        op.drop_table(table)
