"""Identity protected at rest (keyed hash + sealed values instead of clear national ID and name); actors.

Existing patients are converted in place, in batches, under the configured DABING_IDENTITY_KEY: the clear
columns are dropped only after every row has its hash and sealed values. Downgrade opens them again (same key).
The identity format of this revision (v1: HMAC-SHA256 lookup hash, AES-256-GCM sealed values, keys derived by
HKDF) is frozen below, not imported from the application: a later change there cannot change this migration.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlmodel.sql.sqltypes import AutoString

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BATCH = 5_000
_patient = sa.table(
    "patient",
    sa.column("id", sa.Integer),
    sa.column("national_id", sa.String),
    sa.column("name", sa.String),
    sa.column("national_id_hash", sa.String),
    sa.column("national_id_sealed", sa.String),
    sa.column("name_sealed", sa.String),
)


def _batches(columns: list[sa.ColumnElement[Any]]) -> Iterator[list[sa.Row[Any]]]:
    """Patients in id order, BATCH at a time (keyset: constant memory at province scale)."""
    conn, last = op.get_bind(), 0
    while rows := conn.execute(
        sa.select(_patient.c.id, *columns).where(_patient.c.id > last).order_by(_patient.c.id).limit(BATCH)
    ).all():
        yield list(rows)
        last = rows[-1][0]


# --- the v1 identity format, frozen at this revision ----------------------------------------------------------
NONCE = 12


def frozen_keys(secret: str) -> tuple[bytes, AESGCM]:
    """(HMAC lookup key, AES-256-GCM sealing key) derived from the DABING_IDENTITY_KEY secret."""

    def derive(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"dabing-identity", info=info).derive(secret.encode())

    return derive(b"lookup-hmac-sha256"), AESGCM(derive(b"seal-aes256gcm"))


def frozen_seal(sealing: AESGCM, purpose: str, value: str) -> str:
    nonce = os.urandom(NONCE)
    return "v1." + base64.urlsafe_b64encode(nonce + sealing.encrypt(nonce, value.encode(), purpose.encode())).decode()


def frozen_unseal(sealing: AESGCM, purpose: str, token: str) -> str:
    blob = base64.urlsafe_b64decode(token.partition(".")[2].encode())
    return sealing.decrypt(blob[:NONCE], blob[NONCE:], purpose.encode()).decode()


def _configured_keys() -> tuple[bytes, AESGCM]:
    from config.settings import get_settings  # the configured secret (settings, not application code)

    return frozen_keys(get_settings().identity_key.get_secret_value())


def upgrade() -> None:
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
    (lookup, sealing), conn = _configured_keys(), op.get_bind()
    update = (
        sa.update(_patient)
        .where(_patient.c.id == sa.bindparam("pid"))
        .values(national_id_hash=sa.bindparam("h"), national_id_sealed=sa.bindparam("s"), name_sealed=sa.bindparam("n"))
    )
    for rows in _batches([_patient.c.national_id, _patient.c.name]):
        params = []
        for pid, national_id, name in rows:
            nid = national_id.strip().upper()
            digest = hmac.new(lookup, nid.encode(), hashlib.sha256).hexdigest()
            sealed = frozen_seal(sealing, "national_id", nid), frozen_seal(sealing, "name", name)
            params.append({"pid": pid, "h": digest, "s": sealed[0], "n": sealed[1]})
        conn.execute(update, params)
    with op.batch_alter_table("patient") as batch_op:
        for column in ("national_id_hash", "national_id_sealed", "name_sealed"):
            batch_op.alter_column(column, nullable=False)
        batch_op.create_unique_constraint("patient_national_id_hash_key", ["national_id_hash"])
        batch_op.drop_column("national_id")
        batch_op.drop_column("name")


def downgrade() -> None:
    with op.batch_alter_table("patient") as batch_op:
        batch_op.add_column(sa.Column("national_id", sa.VARCHAR(length=18)))
        batch_op.add_column(sa.Column("name", sa.VARCHAR(length=60)))
    (_lookup, sealing), conn = _configured_keys(), op.get_bind()
    update = (
        sa.update(_patient)
        .where(_patient.c.id == sa.bindparam("pid"))
        .values(national_id=sa.bindparam("i"), name=sa.bindparam("n"))
    )
    for rows in _batches([_patient.c.national_id_sealed, _patient.c.name_sealed]):
        conn.execute(
            update,
            [
                {
                    "pid": pid,
                    "i": frozen_unseal(sealing, "national_id", sid),
                    "n": frozen_unseal(sealing, "name", sname),
                }
                for pid, sid, sname in rows
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
