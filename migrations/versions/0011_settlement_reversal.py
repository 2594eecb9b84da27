"""Settlement reversal (冲销) and re-settlement; Chinese statement labels stored (issue 18).

``settlement``: UNIQUE(episode_id) becomes UNIQUE(episode_id, generation) and UNIQUE(reverses_id) (at most one
effective settlement per stay, at most one reversal per settlement), with ``generation`` (0 for every existing
row), ``reverses_id`` and ``reason``. ``settlement_line``: ``label_zh`` (empty for rows settled before) and
``ledger_deductible`` (0 before: those settlements' yearly deductibles cannot be told apart, see README).
Downgrade refuses when reversal rows or re-settlements exist (UNIQUE(episode_id) could not hold).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

#: Names the baseline's unnamed UNIQUE(episode_id) for SQLite's batch copy (PostgreSQL named it itself).
_NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _money() -> sa.types.TypeEngine[Any]:
    """What ``models.common.Money`` is at this revision: whole fen on SQLite (0006), NUMERIC(18,2) elsewhere."""
    return sa.BigInteger() if op.get_bind().dialect.name == "sqlite" else sa.Numeric(18, 2)


def _old_unique() -> str:
    return "settlement_episode_id_key" if op.get_bind().dialect.name == "postgresql" else "uq_settlement_episode_id"


def upgrade() -> None:
    with op.batch_alter_table("settlement", naming_convention=_NAMING) as batch_op:
        batch_op.add_column(sa.Column("generation", sa.Integer(), server_default="0", nullable=True))
        batch_op.add_column(sa.Column("reverses_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reason", AutoString(length=200), server_default="", nullable=False))
        batch_op.drop_constraint(_old_unique(), type_="unique")
        batch_op.create_foreign_key("fk_settlement_reverses_id", "settlement", ["reverses_id"], ["id"])
        batch_op.create_unique_constraint("uq_settlement_episode_generation", ["episode_id", "generation"])
        batch_op.create_unique_constraint("uq_settlement_reverses", ["reverses_id"])
        batch_op.create_check_constraint("ck_settlement_kind", "(generation IS NULL) <> (reverses_id IS NULL)")
        batch_op.create_index("ix_settlement_episode_id", ["episode_id"], unique=False)
    with op.batch_alter_table("settlement_line") as batch_op:
        batch_op.add_column(sa.Column("label_zh", AutoString(length=300), server_default="", nullable=False))
        batch_op.add_column(sa.Column("ledger_deductible", _money(), server_default="0", nullable=False))


def downgrade() -> None:
    later = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM settlement WHERE generation IS NULL OR generation > 0"))
    if later.scalar():
        raise RuntimeError("settlements have reversals or re-settlements: UNIQUE(episode_id) cannot be restored")
    with op.batch_alter_table("settlement_line") as batch_op:
        batch_op.drop_column("ledger_deductible")
        batch_op.drop_column("label_zh")
    with op.batch_alter_table("settlement") as batch_op:
        batch_op.drop_index("ix_settlement_episode_id")
        batch_op.drop_constraint("ck_settlement_kind", type_="check")
        batch_op.drop_constraint("uq_settlement_reverses", type_="unique")
        batch_op.drop_constraint("uq_settlement_episode_generation", type_="unique")
        batch_op.drop_constraint("fk_settlement_reverses_id", type_="foreignkey")
        batch_op.create_unique_constraint(_old_unique(), ["episode_id"])
        batch_op.drop_column("reason")
        batch_op.drop_column("reverses_id")
        batch_op.drop_column("generation")
