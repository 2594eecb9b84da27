"""Indexes for the console at province scale (issue 20, bench/bench_console.py): a county's cases by state and
category from the index alone (ledger counts, the case list's count under a state filter), and a case's stays
with their discharge day (first discharges for the treatment rate).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_case_region_state", "case", ["region_code", "state", "category"])
    op.create_index("ix_treatment_episode_case_discharged", "treatment_episode", ["case_id", "discharged_on"])


def downgrade() -> None:
    op.drop_index("ix_treatment_episode_case_discharged", table_name="treatment_episode")
    op.drop_index("ix_case_region_state", table_name="case")
