"""Two indexes of ``finding`` that no query needs, and its foreign key to ``nightly_run``, dropped: a first night
at 1M patients opens 600,000 alarms and every index and constraint is written or checked for each. PostgreSQL,
on a loaded machine, the foreign key aside: those 597,820 rows took 17.5 s with every index, 11.4 s without this
pair and ``ix_finding_night`` (which stays, for the reports by period). ``run_id`` stays indexed as the leading
column of ``uq_finding_run_kind_subject``; open alarms by kind use the partial ``uq_finding_active`` (kind
first); reports by kind group a run's or a period's rows, found by ``run_id`` or ``night``. The foreign key cost
a third of the insert on PostgreSQL (a per-row trigger: 11,139 rows 725 → 474 ms, loaded machine); a finding's
run is the one that writes it, opened first in its own transaction, and no code deletes a run.

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


#: Names the baseline's unnamed foreign key for SQLite's batch copy (PostgreSQL named it itself).
_NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def _fk() -> str:
    return "finding_run_id_fkey" if op.get_bind().dialect.name == "postgresql" else "fk_finding_run_id_nightly_run"


def upgrade() -> None:
    with op.batch_alter_table("finding", naming_convention=_NAMING) as batch_op:
        batch_op.drop_index("ix_finding_run_id")
        batch_op.drop_index("ix_finding_kind")
        batch_op.drop_constraint(_fk(), type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("finding", naming_convention=_NAMING) as batch_op:
        batch_op.create_foreign_key(_fk(), "nightly_run", ["run_id"], ["id"])
        batch_op.create_index("ix_finding_kind", ["kind"], unique=False)
        batch_op.create_index("ix_finding_run_id", ["run_id"], unique=False)
