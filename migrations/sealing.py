"""Frozen copies of the identity sealing formats, for the migrations that convert between them.

Migrations must keep doing what they did when they were written, whatever ``models.identity`` becomes, so
they use these helpers and not the application's (issue 16). Each format is written down here once:

- ``v1.`` (migration 0002): AES-256-GCM, associated data = the column's purpose only;
- ``v2.`` (migration 0005): associated data = ``<purpose>:<national_id_hash>`` (bound to the row).

Key derivation (HKDF-SHA256 from ``DABING_IDENTITY_KEY``) is the same for both.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from alembic import op
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NATIONAL_ID, NAME = "national_id", "name"
_NONCE = 12
BATCH = 5_000


def batches(table: sa.TableClause, columns: Sequence[sa.ColumnElement[Any]]) -> Iterator[list[sa.Row[Any]]]:
    """Rows ``(id, *columns)`` in id order, BATCH at a time (keyset: constant memory at province scale)."""
    conn, last = op.get_bind(), 0
    while rows := conn.execute(
        sa.select(table.c.id, *columns).where(table.c.id > last).order_by(table.c.id).limit(BATCH)
    ).all():
        yield list(rows)
        last = rows[-1][0]


@dataclass(frozen=True, slots=True)
class Keys:
    lookup: bytes
    sealing: AESGCM


def configured_keys() -> Keys:
    """The keys of the configured ``DABING_IDENTITY_KEY`` (the secret is read from the settings)."""
    from config.settings import get_settings

    secret = get_settings().identity_key.get_secret_value().encode()

    def part(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"dabing-identity", info=info).derive(secret)

    return Keys(part(b"lookup-hmac-sha256"), AESGCM(part(b"seal-aes256gcm")))


def lookup_hash(keys: Keys, national_id: str) -> str:
    return hmac.new(keys.lookup, national_id.encode(), hashlib.sha256).hexdigest()


def _aad(version: str, purpose: str, row_hash: str) -> bytes:
    return purpose.encode() if version == "v1" else f"{purpose}:{row_hash}".encode()


def seal(keys: Keys, version: str, purpose: str, value: str, row_hash: str) -> str:
    nonce = os.urandom(_NONCE)
    blob = nonce + keys.sealing.encrypt(nonce, value.encode(), _aad(version, purpose, row_hash))
    return f"{version}.{base64.urlsafe_b64encode(blob).decode()}"


def unseal(keys: Keys, purpose: str, token: str, row_hash: str) -> str:
    """Opens a ``v1.`` or ``v2.`` token (the version is read from the token). Raises on a wrong key or row."""
    version, _, body = token.partition(".")
    if version not in ("v1", "v2"):
        raise ValueError(f"{purpose}: not a sealed value")
    blob = base64.urlsafe_b64decode(body.encode())
    return keys.sealing.decrypt(blob[:_NONCE], blob[_NONCE:], _aad(version, purpose, row_hash)).decode()
