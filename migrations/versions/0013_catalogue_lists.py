"""External lists (issue 19): ``external_status`` holds one row per person, source and list date (a re-import
of the same list writes nothing new), the insurance fund's "insured or not" (``insured``), and a poverty status
only where the list gives one (the insurance list does not).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_STATUS = sa.Enum(
    "registered_poor",
    "minimum_living",
    "destitute",
    "edge",
    "monitored",
    "general",
    name="povertystatus",
    native_enum=False,
    length=40,
)


def upgrade() -> None:
    # keep one row per (patient, source, list date) before the constraint: the lowest id of each
    op.execute(
        "DELETE FROM external_status WHERE id NOT IN "
        "(SELECT MIN(id) FROM external_status GROUP BY patient_id, source, list_date)"
    )
    with op.batch_alter_table("external_status", schema=None) as batch_op:
        batch_op.add_column(sa.Column("insured", sa.Boolean(), nullable=True))
        batch_op.alter_column("poverty_status", existing_type=_STATUS, nullable=True)
        batch_op.create_unique_constraint(
            "uq_external_status_patient_source_date", ["patient_id", "source", "list_date"]
        )


def downgrade() -> None:
    op.execute("DELETE FROM external_status WHERE poverty_status IS NULL")
    with op.batch_alter_table("external_status", schema=None) as batch_op:
        batch_op.drop_constraint("uq_external_status_patient_source_date", type_="unique")
        batch_op.alter_column("poverty_status", existing_type=_STATUS, nullable=False)
        batch_op.drop_column("insured")
