"""Signed actor assertions (pure; the key is passed in): who asks a coordinator deployment to run, for which
deployment and parameters, until when. The console (and the CLI) sign one per run and attach it as a run tag;
a deployment run naming a person as actor is refused unless its tag verifies (``flows.context``). Without the
server-side key, nobody reaching only the Prefect API can start a coordinator's step under another actor's name.

Token: ``v1.<expires unix seconds>.<hex HMAC-SHA256(key, "v1|actor|deployment|digest|expires")>``; the key is
derived from ``DABING_IDENTITY_KEY`` with HKDF (its own ``info``: no other use of the secret shares it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic_core import to_jsonable_python

VERSION = "v1"
TAG_PREFIX = "actor-assertion:"
#: How long a signed request stays valid: long enough for a busy server to start the run, short for a replay.
LIFETIME_SECONDS = 300


class AssertionRefused(PermissionError):
    """The run's actor is not vouched for; the message names the actor and the deployment only."""

    def __init__(self, actor: str, deployment: str, why: str) -> None:
        super().__init__(
            f"access denied: actor {actor} not vouched for on {deployment}: {why} "
            "(start coordinator steps from the console or the local CLI)"
        )


def derive_key(secret: str, purpose: bytes) -> bytes:
    """A 32-byte key for ``purpose`` (``b"actor-assertion"``, ``b"console-session"``) from the app's secret."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"dabing-console", info=purpose).derive(secret.encode())


def params_digest(parameters: Mapping[str, Any]) -> str:
    """SHA-256 of the parameters as JSON (sorted keys; dates, decimals and enums as their JSON text)."""
    text = json.dumps(to_jsonable_python(dict(parameters)), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _mac(key: bytes, actor: str, deployment: str, digest: str, expires: int) -> str:
    message = f"{VERSION}|{actor}|{deployment}|{digest}|{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sign(key: bytes, actor: str, deployment: str, parameters: Mapping[str, Any], now: float) -> str:
    """The run tag vouching that ``actor`` asks for ``deployment`` with exactly ``parameters``."""
    expires = int(now) + LIFETIME_SECONDS
    return f"{TAG_PREFIX}{VERSION}.{expires}.{_mac(key, actor, deployment, params_digest(parameters), expires)}"


def verify(key: bytes, tags: list[str], actor: str, deployment: str, parameters: Mapping[str, Any], now: float) -> None:
    """Raise AssertionRefused unless one of ``tags`` is a valid, unexpired assertion for exactly this run."""
    tokens = [t.removeprefix(TAG_PREFIX) for t in tags if t.startswith(TAG_PREFIX)]
    if not tokens:
        raise AssertionRefused(actor, deployment, "no signed actor assertion")
    digest = params_digest(parameters)
    for token in tokens:
        version, _, rest = token.partition(".")
        expires_text, _, mac = rest.partition(".")
        if version != VERSION or not expires_text.isdigit():
            continue
        expires = int(expires_text)
        if hmac.compare_digest(mac, _mac(key, actor, deployment, digest, expires)):
            if now > expires:
                raise AssertionRefused(actor, deployment, "the signed actor assertion has expired")
            return
    raise AssertionRefused(actor, deployment, "the actor assertion does not match this actor, deployment or parameters")
