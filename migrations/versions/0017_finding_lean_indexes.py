"""Two indexes of ``finding`` that no query needs, dropped: a first night at 1M patients opens 600,000 alarms and
every index is written for each (PostgreSQL, on a loaded machine, the foreign key aside: those 597,820 rows took 17.5 s
with every index, 11.4 s without this pair and ``ix_finding_night``, which stays for the reports by period).
``run_id`` stays indexed as the leading column of ``uq_finding_run_kind_subject``;
open alarms by kind use the partial ``uq_finding_active`` (kind first); reports by kind group a run's or a
period's rows, found by ``run_id`` or ``night``.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("finding") as batch_op:
        batch_op.drop_index("ix_finding_run_id")
        batch_op.drop_index("ix_finding_kind")


def downgrade() -> None:
    with op.batch_alter_table("finding") as batch_op:
        batch_op.create_index("ix_finding_kind", ["kind"], unique=False)
        batch_op.create_index("ix_finding_run_id", ["run_id"], unique=False)
