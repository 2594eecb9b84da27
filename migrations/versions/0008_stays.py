"""Stays for every registered patient (issue 17): a ``treatment_episode`` belongs to the patient and names its
diagnosis (``icd10``, filled from the case's condition for existing stays) and kind (``treatment_kind``); its
``case_id`` and the settlement's become optional (a stay that treats no special-disease case); who admitted and
who discharged it are kept (``admitted_by``, ``discharged_by``).

Downgrade refuses while stays without a case exist (it would have to drop them and their settlements).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_KIND = sa.Enum(
    "general",
    "dialysis",
    "chemotherapy",
    "radiotherapy",
    "delivery",
    "rehabilitation",
    name="treatmentkind",
    native_enum=False,
    length=40,
)


def upgrade() -> None:
    with op.batch_alter_table("treatment_episode") as batch_op:
        batch_op.add_column(sa.Column("icd10", AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column("treatment_kind", _KIND, nullable=False, server_default="general"))
        batch_op.add_column(sa.Column("admitted_by", AutoString(length=60), nullable=True))
        batch_op.add_column(sa.Column("discharged_by", AutoString(length=60), nullable=True))
    op.execute(
        'UPDATE treatment_episode SET icd10 = (SELECT condition.icd10 FROM "case" JOIN condition'
        ' ON condition.id = "case".condition_id WHERE "case".id = treatment_episode.case_id)'
    )
    with op.batch_alter_table("treatment_episode") as batch_op:
        batch_op.alter_column("icd10", existing_type=AutoString(length=16), nullable=False)
        batch_op.alter_column("case_id", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("settlement") as batch_op:
        batch_op.alter_column("case_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    caseless = op.get_bind().execute(sa.text("SELECT count(*) FROM treatment_episode WHERE case_id IS NULL")).scalar()
    if caseless:
        raise RuntimeError(f"downgrade 0008: {caseless} stay(s) treat no case; they would be lost. Nothing changed.")
    with op.batch_alter_table("settlement") as batch_op:
        batch_op.alter_column("case_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("treatment_episode") as batch_op:
        batch_op.alter_column("case_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("discharged_by")
        batch_op.drop_column("admitted_by")
        batch_op.drop_column("treatment_kind")
        batch_op.drop_column("icd10")
