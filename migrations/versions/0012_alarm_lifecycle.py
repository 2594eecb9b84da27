"""Alarm lifecycle (预警 → 核实 → 处置 → 销号): a finding becomes an alarm that opens once per (kind, subject)
and stays open while its condition holds (``cleared_on`` empty; partial unique index ``uq_finding_active``),
with a coordinator status, an assignee and the night it escalated; ``alarm_event`` is its append-only audit.

Existing findings (one per night per subject) are folded: per (kind, subject) the latest row stays open,
the older ones are cleared on their own night.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_STATUS = ("open", "acknowledged", "assigned", "handled", "dismissed", "resolved")
_STEP = ("acknowledge", "assign", "handle", "dismiss", "resolve", "escalate")
_ACTION = (
    "assistance_granted",
    "added_to_monitoring",
    "data_corrected",
    "follow_up_done",
    "contract_signed",
    "referred_for_treatment",
    "case_retriaged",
)
_ACTIVE = sa.text("cleared_on IS NULL")


def _enum(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=40)


def upgrade() -> None:
    with op.batch_alter_table("finding") as batch_op:
        batch_op.add_column(sa.Column("subject_id", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("rule", AutoString(length=48), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("status", _enum(_STATUS, "alarmstatus"), nullable=False, server_default="open"))
        batch_op.add_column(sa.Column("cleared_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("escalated_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("assignee", AutoString(length=60), nullable=True))
    op.execute(
        "UPDATE finding SET subject_id = COALESCE(CASE"
        " WHEN kind IN ('overdue_follow_up', 'untreated', 'stuck', 'retriage') THEN case_id"
        " WHEN kind = 'poverty_alarm' THEN household_id ELSE patient_id END, 0)"
    )
    tail = (
        "substr(subject, instr(subject, '/') + 1)"
        if op.get_bind().dialect.name == "sqlite"
        else "split_part(subject, '/', 2)"
    )
    op.execute(f"UPDATE finding SET rule = {tail} WHERE kind = 'poverty_alarm' AND subject LIKE '%/%'")
    op.execute(
        "UPDATE finding SET cleared_on = night WHERE id NOT IN (SELECT max(id) FROM finding GROUP BY kind, subject)"
    )
    with op.batch_alter_table("finding") as batch_op:
        batch_op.alter_column("subject_id", server_default=None)
        batch_op.alter_column("rule", server_default=None)
        batch_op.alter_column("status", server_default=None)
    op.create_index(
        "uq_finding_active",
        "finding",
        ["kind", "subject_id", "subject"],
        unique=True,
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    )
    op.create_table(
        "alarm_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("step", _enum(_STEP, "alarmstep"), nullable=False),
        sa.Column("actor", AutoString(length=60), nullable=False),
        sa.Column("note", AutoString(length=200), nullable=False),
        sa.Column("action", _enum(_ACTION, "alarmaction"), nullable=True),
        sa.Column("assignee", AutoString(length=60), nullable=True),
        sa.Column("night", sa.Date(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["finding_id"], ["finding.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alarm_event_finding_id", "alarm_event", ["finding_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_alarm_event_finding_id", table_name="alarm_event")
    op.drop_table("alarm_event")
    op.drop_index("uq_finding_active", table_name="finding")
    with op.batch_alter_table("finding") as batch_op:
        for column in ("assignee", "escalated_on", "cleared_on", "status", "rule", "subject_id"):
            batch_op.drop_column(column)
