"""``case_transition.occurred_on``: the business date a move took effect, beside ``at`` (when it was recorded).

The nightly run judges a case by its state on the night asked. For a night before the case's current state
began it reads the last move that had taken effect by then (``tasks/nightly/rewind.py``), so a back-dated or
replayed night gives the answer living through it gave, also for cases that moved on since. Rows written before
this revision keep NULL: their business date was not recorded, and no rule guesses it (such a case is not judged
on a night before its current state began, as before).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("case_transition", sa.Column("occurred_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_transition") as batch_op:
        batch_op.drop_column("occurred_on")
