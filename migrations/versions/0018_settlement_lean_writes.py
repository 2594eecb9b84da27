"""Settlement writes lighter: ``ix_settlement_episode_id`` and the foreign keys of the rows a settlement appends to
their parents, dropped.

``uq_settlement_episode_generation`` (episode_id, generation) leads with ``episode_id`` and serves every lookup of
a stay's settlements (the pending read's anti-join, ``unsettled``, the reversal's and re-settlement's reads), so the
single-column index only cost one more b-tree entry per settlement written.

The foreign keys ``settlement`` → ``treatment_episode``, ``case``, ``patient``; ``settlement_line`` → ``settlement``;
``payer_ledger`` → ``patient`` are checked by a per-row trigger on PostgreSQL: seven checks a bill, 40% of the
server's CPU in persisted settlement (20,000 patients, 21,125 bills: 118 → 72 µs a bill). Every such row is written
by ``tasks.settlement`` from parents it has just read in the same transaction (the stay and its patient, the
patient row locked; the case moved by that transaction's UPDATE; a line with its settlement, in one call), and no
code deletes a patient, a case, a stay, a settlement or a line (settlements are appended, never updated or removed).
``settlement.reverses_id`` keeps its foreign key (written only on a reversal). Columns stay indexed as before
(``case_id``, ``patient_id`` their own indexes, ``settlement_id`` and ``patient_id`` the leading columns of the
line's primary key and ``uq_payer_ledger``).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

#: Names the unnamed foreign keys for SQLite's batch copy (PostgreSQL named them itself: <table>_<column>_fkey).
_NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
#: table → (column, referred table) of each foreign key dropped
_FKS = {
    "settlement": [("episode_id", "treatment_episode"), ("case_id", "case"), ("patient_id", "patient")],
    "settlement_line": [("settlement_id", "settlement")],
    "payer_ledger": [("patient_id", "patient")],
}


def _fk(table: str, column: str, referred: str) -> str:
    if op.get_bind().dialect.name == "postgresql":
        return f"{table}_{column}_fkey"
    return f"fk_{table}_{column}_{referred}"


def upgrade() -> None:
    with op.batch_alter_table("settlement") as batch_op:
        batch_op.drop_index("ix_settlement_episode_id")
    for table, fks in _FKS.items():
        with op.batch_alter_table(table, naming_convention=_NAMING) as batch_op:
            for column, referred in fks:
                batch_op.drop_constraint(_fk(table, column, referred), type_="foreignkey")


def downgrade() -> None:
    for table, fks in _FKS.items():
        with op.batch_alter_table(table, naming_convention=_NAMING) as batch_op:
            for column, referred in fks:
                batch_op.create_foreign_key(_fk(table, column, referred), referred, [column], ["id"])
    with op.batch_alter_table("settlement") as batch_op:
        batch_op.create_index("ix_settlement_episode_id", ["episode_id"], unique=False)
