"""Sealed identity bound to its row: ``v1.`` tokens (associated data = purpose) re-sealed as ``v2.`` tokens
(associated data = purpose + the row's national_id_hash), so a sealed value copied into another patient's row
no longer opens (issue 22 #7). Every number is checked against its row's hash on the way. In batches, under
the configured DABING_IDENTITY_KEY, with the frozen formats of ``migrations/sealing.py``; downgrade re-seals
as ``v1.``. Rows already in the target format are left as they are (a re-run does nothing).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import hmac

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_patient = sa.table(
    "patient",
    sa.column("id", sa.Integer),
    sa.column("national_id_hash", sa.String),
    sa.column("national_id_sealed", sa.String),
    sa.column("name_sealed", sa.String),
)


def _reseal(target: str) -> None:
    from migrations.sealing import NAME, NATIONAL_ID, batches, configured_keys, lookup_hash, seal, unseal

    keys, conn = configured_keys(), op.get_bind()
    update = (
        sa.update(_patient)
        .where(_patient.c.id == sa.bindparam("pid"))
        .values(national_id_sealed=sa.bindparam("s"), name_sealed=sa.bindparam("n"))
    )
    columns = [_patient.c.national_id_hash, _patient.c.national_id_sealed, _patient.c.name_sealed]
    for rows in batches(_patient, columns):
        params = []
        for pid, h, sid, sname in rows:
            if sid.startswith(f"{target}.") and sname.startswith(f"{target}."):
                continue
            try:
                nid, name = unseal(keys, NATIONAL_ID, sid, h), unseal(keys, NAME, sname, h)
            except Exception:
                raise RuntimeError(
                    f"patient {pid}: sealed identity cannot be opened with this DABING_IDENTITY_KEY "
                    "(another key, or a damaged or copied value); nothing was changed"
                ) from None
            if not hmac.compare_digest(lookup_hash(keys, nid), h):
                raise RuntimeError(f"patient {pid}: sealed national ID does not match its lookup hash")
            params.append(
                {"pid": pid, "s": seal(keys, target, NATIONAL_ID, nid, h), "n": seal(keys, target, NAME, name, h)}
            )
        if params:
            conn.execute(update, params)


def upgrade() -> None:
    _reseal("v2")


def downgrade() -> None:
    _reseal("v1")
