"""A night run before a night already run is a replay (补查): ``nightly_run.replay``, and its counts.

Applying a back-dated night to the open alarms cleared every alarm whose condition had not yet begun then (on
the demo county, 1,365 of 2,362 after the night of day 240) — alarms coordinators had acknowledged or assigned —
and the next night re-opened them as new ones without that history; it also referred the waiting list on the
past date. A replay judges the night the same way but only counts what it found (``nightly_count``, per chunk,
region and kind), leaving the alarms, the cases and the waiting list as they are.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("nightly_run", sa.Column("replay", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "nightly_count",
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("nightly_run.id"), primary_key=True),
        sa.Column("stage", sa.String(length=40), primary_key=True),
        sa.Column("first_id", sa.Integer(), primary_key=True),
        sa.Column("region_code", sa.String(length=6), primary_key=True),
        sa.Column("kind", sa.String(length=40), primary_key=True),
        sa.Column("conditions", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("nightly_count")
    with op.batch_alter_table("nightly_run") as batch_op:
        batch_op.drop_column("replay")
