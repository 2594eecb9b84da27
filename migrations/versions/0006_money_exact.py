"""Money exact on SQLite: NUMERIC(18,2) columns (stored as REAL by SQLite, ~15 significant digits) become
64-bit INTEGER columns of whole fen (issue 22 #9; ``models.common.Money``). Existing values are converted
in SQL, rounded to the nearest fen. PostgreSQL keeps NUMERIC(18,2): nothing to do there.
Downgrade turns fen back into NUMERIC yuan.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

#: Every money column at this revision (frozen: later models may add more in their own migrations).
MONEY = {
    "household": ("annual_income",),
    "finding": ("amount",),
    "payer_ledger": ("paid", "deductible_used"),
    "treatment_episode": ("total_cost", "out_of_scope"),
    "settlement": ("total", "in_scope", "patient_pays"),
    "settlement_line": ("base", "deductible", "paid"),
}
_YUAN = sa.Numeric(18, 2)


def _assignments(expression: str, columns: tuple[str, ...]) -> str:
    return ", ".join(f"{c} = {expression.format(c=c)}" for c in columns)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, columns in MONEY.items():
        op.execute(f"UPDATE {table} SET {_assignments('CAST(ROUND({c} * 100) AS INTEGER)', columns)}")
        with op.batch_alter_table(table) as batch_op:
            for column in columns:
                batch_op.alter_column(column, type_=sa.BigInteger(), existing_type=_YUAN)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, columns in MONEY.items():
        with op.batch_alter_table(table) as batch_op:
            for column in columns:
                batch_op.alter_column(column, type_=_YUAN, existing_type=sa.BigInteger())
        op.execute(f"UPDATE {table} SET {_assignments('ROUND({c} / 100.0, 2)', columns)}")
