"""``finding``'s patient, household and case indexes keep only the rows that name one (``WHERE … IS NOT NULL``):
an alarm names one or two of the three (a poverty alarm a household, a case alarm its patient and case), so half
of their entries were NULLs no query looks up. A 1M first night's 591,980 alarms wrote 1,775,940 entries into
these three indexes, 859,640 of them NULL. Every query of these columns compares them to a value (the patient's
timeline, a case's open alarms), which SQLite and PostgreSQL both answer from a partial index.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

COLUMNS = ("patient_id", "household_id", "case_id")


def upgrade() -> None:
    for column in COLUMNS:
        op.drop_index(f"ix_finding_{column}", table_name="finding")
        named = sa.text(f"{column} IS NOT NULL")
        op.create_index(f"ix_finding_{column}", "finding", [column], sqlite_where=named, postgresql_where=named)


def downgrade() -> None:
    for column in COLUMNS:
        op.drop_index(f"ix_finding_{column}", table_name="finding")
        op.create_index(f"ix_finding_{column}", "finding", [column])
