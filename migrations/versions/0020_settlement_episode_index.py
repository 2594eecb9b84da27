"""``ix_settlement_episode_id`` dropped: ``uq_settlement_episode_generation`` (episode_id, generation) leads with
``episode_id`` and serves every lookup of a stay's settlements (the pending read's anti-join, ``unsettled``, the
reversal's and re-settlement's reads), so the single-column index only cost one more b-tree entry per settlement
written (persisted settlement: a sixth of the table's index writes).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("settlement") as batch_op:
        batch_op.drop_index("ix_settlement_episode_id")


def downgrade() -> None:
    with op.batch_alter_table("settlement") as batch_op:
        batch_op.create_index("ix_settlement_episode_id", ["episode_id"], unique=False)
