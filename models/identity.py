"""Identity at rest and in text (pure: keys are passed in, nothing is read from settings here).

A patient's national ID number is stored twice, never in clear:

- ``national_id_hash``: HMAC-SHA256 of the normalised number under a secret *lookup* key (64 hex
  characters, unique). Intake finds an already registered person by it (dedup); without the key nobody
  can test guesses against it (a plain SHA-256 of an 18-character ID with a date and a region inside
  would be brute-forced in minutes).
- ``national_id_sealed`` / ``name_sealed``: AES-256-GCM of the number and the name under a separate
  *sealing* key, random 96-bit nonce per value, the column's purpose *and the row's lookup hash* as
  associated data (``v2.`` tokens): a sealed name pasted into the national-ID column, or one patient's
  sealed value copied into another patient's row, does not open. Opening the number also checks that its
  HMAC is the row's ``national_id_hash``. Only the FHIR export opens the number. (``v1.`` tokens, bound to
  the purpose only, are re-sealed by migration 0005.)

Both keys are derived from one secret (``DABING_IDENTITY_KEY``) with HKDF-SHA256, once per process:
a per-row KDF would make the 1M-patient bench build minutes slower for nothing (the secret is a random key,
not a password). ``mask_text`` is the text side: what logs and error messages run through.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypedDict

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

TOKEN_VERSION = "v2"
_NONCE = 12
MIN_SECRET_LENGTH = 16


class Purpose(StrEnum):
    """What a sealed value is (bound to the ciphertext as associated data)."""

    NATIONAL_ID = "national_id"
    NAME = "name"


class IdentityKeyError(ValueError):
    """A sealed value cannot be opened (another key, or a damaged value). Never repeats the value."""


@dataclass(frozen=True, slots=True)
class IdentityKeys:
    key_id: str  # first 8 hex characters of a hash of the lookup key: tells two keys apart, reveals nothing
    lookup: bytes
    sealing: AESGCM


def derive_keys(secret: str) -> IdentityKeys:
    """The lookup (HMAC) key and the sealing (AES-256-GCM) key, derived apart from one secret."""
    if len(secret) < MIN_SECRET_LENGTH:
        raise IdentityKeyError(f"identity key: must be at least {MIN_SECRET_LENGTH} characters")

    def part(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"dabing-identity", info=info).derive(secret.encode())

    lookup = part(b"lookup-hmac-sha256")
    return IdentityKeys(hashlib.sha256(lookup).hexdigest()[:8], lookup, AESGCM(part(b"seal-aes256gcm")))


def lookup_hash(keys: IdentityKeys, national_id: str) -> str:
    """HMAC-SHA256 (hex) of a normalised national ID number: the lookup and uniqueness key."""
    return hmac.digest(keys.lookup, national_id.encode(), "sha256").hex()  # one-shot C call (~3x hmac.new)


def _associated(purpose: Purpose, row_hash: str) -> bytes:
    """What a sealed value is bound to: its column's purpose and its row (the lookup hash)."""
    return f"{purpose.value}:{row_hash}".encode()


def nonces(n: int) -> Iterator[bytes]:
    """``n`` random 96-bit nonces from one read of the OS's CSPRNG: each is as random as its own read, and a
    bulk import seals two values per new person (one ``getrandom`` call per value measured ~4 µs here)."""
    block = os.urandom(_NONCE * n)
    return (block[i : i + _NONCE] for i in range(0, len(block), _NONCE))


def seal(keys: IdentityKeys, purpose: Purpose, value: str, row_hash: str, nonce: bytes | None = None) -> str:
    """``v2.<base64url(nonce + ciphertext + tag)>``, bound to ``purpose`` and to the row's lookup hash; a fresh
    random nonce unless one of ``nonces`` is given (each used once)."""
    if nonce is None:
        nonce = os.urandom(_NONCE)
    elif len(nonce) != _NONCE:
        raise ValueError(f"a nonce is {_NONCE} bytes")
    blob = nonce + keys.sealing.encrypt(nonce, value.encode(), _associated(purpose, row_hash))
    return f"{TOKEN_VERSION}.{base64.urlsafe_b64encode(blob).decode()}"


def unseal(keys: IdentityKeys, purpose: Purpose, token: str, row_hash: str) -> str:
    """The value sealed for this purpose and this row; IdentityKeyError otherwise (never the value)."""
    version, _, body = token.partition(".")
    if version != TOKEN_VERSION:
        raise IdentityKeyError(f"{purpose}: not a sealed value of this version (run the migrations)")
    try:
        blob = base64.urlsafe_b64decode(body.encode())
        return keys.sealing.decrypt(blob[:_NONCE], blob[_NONCE:], _associated(purpose, row_hash)).decode()
    except (InvalidTag, ValueError):
        raise IdentityKeyError(
            f"{purpose}: cannot be opened with this DABING_IDENTITY_KEY (key id {keys.key_id}) for this row; "
            "was the database written under another key, or the value copied from another row?"
        ) from None


def open_national_id(keys: IdentityKeys, patient_id: int | None, row_hash: str, token: str) -> str:
    """A patient's national ID number, checked against the row: it opens only with the row's lookup hash
    as associated data, and its HMAC must be that hash. IdentityKeyError names the internal id only."""
    try:
        national_id = unseal(keys, Purpose.NATIONAL_ID, token, row_hash)
    except IdentityKeyError as exc:
        raise IdentityKeyError(f"patient {patient_id}: {exc}") from None
    if not hmac.compare_digest(lookup_hash(keys, national_id), row_hash):
        raise IdentityKeyError(
            f"patient {patient_id}: integrity error: the sealed national ID does not match the row's lookup hash"
        )
    return national_id


def open_name(keys: IdentityKeys, patient_id: int | None, row_hash: str, token: str) -> str:
    """A patient's name (bound to the row's lookup hash like the number)."""
    try:
        return unseal(keys, Purpose.NAME, token, row_hash)
    except IdentityKeyError as exc:
        raise IdentityKeyError(f"patient {patient_id}: {exc}") from None


class ProtectedIdentity(TypedDict):
    national_id_hash: str
    national_id_sealed: str
    name_sealed: str


def protect(keys: IdentityKeys, national_id: str, name: str) -> ProtectedIdentity:
    """The patient columns that hold a person's identity (national ID already normalised)."""
    row_hash = lookup_hash(keys, national_id)
    return {
        "national_id_hash": row_hash,
        "national_id_sealed": seal(keys, Purpose.NATIONAL_ID, national_id, row_hash),
        "name_sealed": seal(keys, Purpose.NAME, name, row_hash),
    }


# --- masking in text --------------------------------------------------------------------------------

ID_MASK = "[national-id]"
NAME_MASK = "[name]"
#: Keys whose value is identity wherever they appear (log fields, nested dicts, ``key=value`` text).
NAME_KEYS = frozenset({"name", "patient_name", "person_name", "full_name", "xingming"})
ID_KEYS = frozenset({"national_id", "id_number", "id_card", "nid", "national_id_number", "sfzh"})
IDENTITY_KEYS = NAME_KEYS | ID_KEYS

_ID_SHAPED = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])")
_KEYS = "|".join(sorted(IDENTITY_KEYS, key=len, reverse=True))
#: key=value, key: value, 'key': 'value', "key": "value" (reprs, JSON, pydantic and dataclass reprs)
_KEYED = re.compile(
    rf"""(?P<key>['"]?\b(?:{_KEYS})\b['"]?\s*[=:]\s*)(?P<value>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s,;)}}\]]+)""",
    re.IGNORECASE,
)
#: pydantic's error text repeats the offending input: ``[type=..., input_value='张三', input_type=str]``
_INPUT_VALUE = re.compile(r"input_value=.*?(?=, input_type=)", re.DOTALL)


def mask_text(text: str) -> str:
    """Mask ID-shaped numbers, values written after an identity key, and pydantic's echoed inputs."""
    if not text:
        return text
    text = _INPUT_VALUE.sub("input_value=[masked]", text)
    text = _KEYED.sub(_keyed_mask, text)
    return _ID_SHAPED.sub(ID_MASK, text)


#: what may be an ID number written after an ID key: digits (6 or more), with spaces, dashes, X or stars
_NUMBERISH = re.compile(r"(?=(?:\D*\d){6})[\dXx*\s-]+")
#: an ordinary lowercase word after ``key:`` — prose ("national_id: check digit does not match"), not a value
_PROSE_WORD = re.compile(r"[a-z]+")


def _keyed_mask(m: re.Match[str]) -> str:
    """Mask the value after an identity key, but only a value, never the words of a message: after an ID key
    only a number (a word such as ``check`` or ``must`` stays); after a name key anything except a lowercase
    English word following a colon (``key=value``, quoted, capitalised or non-ASCII values are masked)."""
    key_text, value = m.group("key"), m.group("value")
    key = key_text.strip("'\"= :\t").lower()
    quoted = value[:1] in "'\"" and len(value) >= 2
    if key in ID_KEYS:
        return key_text + ID_MASK if _NUMBERISH.fullmatch(value[1:-1] if quoted else value) else m.group(0)
    if not quoted and "=" not in key_text and _PROSE_WORD.fullmatch(value):
        return m.group(0)
    return key_text + NAME_MASK


def mask_value(value: Any, key: str | None = None) -> Any:
    """A log value with identity masked: by its key, in nested mappings and sequences, and in text."""
    if key is not None and key.lower() in IDENTITY_KEYS and value is not None:
        return NAME_MASK if key.lower() in NAME_KEYS else ID_MASK
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_value(v, k if isinstance(k, str) else None) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [mask_value(v) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if value is None or isinstance(value, bool | int | float):
        return value
    text = repr(value)  # objects (pydantic models, dataclasses, exceptions) are rendered with their repr
    masked = mask_text(text)
    return value if masked == text else masked
