"""The identity keys of this process, derived once from ``DABING_IDENTITY_KEY`` (see ``models.identity``)."""

from __future__ import annotations

from functools import lru_cache

from config.logging import get_logger
from config.settings import DEV_IDENTITY_KEY, get_settings
from models.identity import IdentityKeys, derive_keys


def identity_keys() -> IdentityKeys:
    """Keys for the configured secret (re-derived only when the setting changes)."""
    return _keys_for(get_settings().identity_key.get_secret_value())


@lru_cache(maxsize=2)
def _keys_for(secret: str) -> IdentityKeys:
    keys = derive_keys(secret)
    if secret == DEV_IDENTITY_KEY:
        get_logger(__name__).warning(
            "identity.dev_key_in_use",
            key_id=keys.key_id,
            hint="national IDs and names are protected with the public development key; "
            "set DABING_IDENTITY_KEY to a secret of your own before loading real people",
        )
    return keys
