"""Identity protected at rest (keyed hash + sealed values instead of clear national ID and name); actors.

Existing patients are converted in place, in batches, under the configured DABING_IDENTITY_KEY: the clear
columns are dropped only after every row has its hash and sealed values (``v1.`` format, frozen in
``migrations/sealing.py``). Downgrade opens them again (same key).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_patient = sa.table(
    "patient",
    sa.column("id", sa.Integer),
    sa.column("national_id", sa.String),
    sa.column("name", sa.String),
    sa.column("national_id_hash", sa.String),
    sa.column("national_id_sealed", sa.String),
    sa.column("name_sealed", sa.String),
)


def upgrade() -> None:
    from migrations.sealing import NAME, NATIONAL_ID, batches, configured_keys, lookup_hash, seal

    op.create_table(
        "actor",
        sa.Column("id", AutoString(length=60), nullable=False),
        sa.Column("display", AutoString(length=120), nullable=False),
        sa.Column(
            "role",
            sa.Enum("coordinator", "supervisor", "system", name="actorrole", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("region_prefix", AutoString(length=6), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("patient") as batch_op:
        batch_op.add_column(sa.Column("national_id_hash", AutoString(length=64)))
        batch_op.add_column(sa.Column("national_id_sealed", AutoString(length=120)))
        batch_op.add_column(sa.Column("name_sealed", AutoString(length=400)))
    keys, conn = configured_keys(), op.get_bind()
    update = (
        sa.update(_patient)
        .where(_patient.c.id == sa.bindparam("pid"))
        .values(national_id_hash=sa.bindparam("h"), national_id_sealed=sa.bindparam("s"), name_sealed=sa.bindparam("n"))
    )
    for rows in batches(_patient, [_patient.c.national_id, _patient.c.name]):
        params = []
        for pid, national_id, name in rows:
            nid = national_id.strip().upper()
            h = lookup_hash(keys, nid)
            params.append(
                {"pid": pid, "h": h, "s": seal(keys, "v1", NATIONAL_ID, nid, h), "n": seal(keys, "v1", NAME, name, h)}
            )
        conn.execute(update, params)
    with op.batch_alter_table("patient") as batch_op:
        for column in ("national_id_hash", "national_id_sealed", "name_sealed"):
            batch_op.alter_column(column, nullable=False)
        batch_op.create_unique_constraint("patient_national_id_hash_key", ["national_id_hash"])
        batch_op.drop_column("national_id")
        batch_op.drop_column("name")


def downgrade() -> None:
    from migrations.sealing import NAME, NATIONAL_ID, batches, configured_keys, unseal

    with op.batch_alter_table("patient") as batch_op:
        batch_op.add_column(sa.Column("national_id", sa.VARCHAR(length=18)))
        batch_op.add_column(sa.Column("name", sa.VARCHAR(length=60)))
    keys, conn = configured_keys(), op.get_bind()
    update = (
        sa.update(_patient)
        .where(_patient.c.id == sa.bindparam("pid"))
        .values(national_id=sa.bindparam("i"), name=sa.bindparam("n"))
    )
    for rows in batches(_patient, [_patient.c.national_id_hash, _patient.c.national_id_sealed, _patient.c.name_sealed]):
        conn.execute(
            update,
            [
                {"pid": pid, "i": unseal(keys, NATIONAL_ID, sid, h), "n": unseal(keys, NAME, sname, h)}
                for pid, h, sid, sname in rows
            ],
        )
    with op.batch_alter_table("patient") as batch_op:
        batch_op.alter_column("national_id", nullable=False)
        batch_op.alter_column("name", nullable=False)
        batch_op.create_unique_constraint("patient_national_id_key", ["national_id"])
        batch_op.drop_column("national_id_hash")
        batch_op.drop_column("national_id_sealed")
        batch_op.drop_column("name_sealed")
    op.drop_table("actor")
