"""The development identity key is for the demo only: ``require_real_key`` refuses to hash, seal or open
identity — and ``dabing up`` / ``serve`` refuse to start — on any other database while
``DABING_IDENTITY_KEY`` is the public default.

"Demo database" is decided in one place, ``is_demo_database``: today the demo's own default URL
(``sqlite:///var/demo.db``) or ``DABING_ALLOW_DEV_KEY=true`` (the test suite's conftest sets it); a stamp
written by the demo into its database can replace the URL test here without touching the callers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from config.identity import identity_keys
from config.settings import DEV_IDENTITY_KEY, get_settings
from models.identity import IdentityKeys

DEMO_DATABASE_URL = "sqlite:///var/demo.db"
HOW_TO = (
    "generate one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'` and set "
    "DABING_IDENTITY_KEY=<it> in .env (keep it out of the database and its backups)"
)


class DevelopmentKeyRefused(RuntimeError):
    """The default identity key on a database that is not the demo's; nothing was read or written."""


def _url_of(target: Any) -> str:
    """The database URL of a URL string, an Engine, a Connection or a Session (None: the configured one)."""
    if target is None:
        return get_settings().database_url
    if isinstance(target, str):
        return target
    bind = target.get_bind() if hasattr(target, "get_bind") else target
    url = getattr(bind, "url", bind)
    return str(url.render_as_string(hide_password=True) if hasattr(url, "render_as_string") else url)


def is_demo_database(target: Any = None) -> bool:
    """Whether the development key may be used on this database (see the module doc)."""
    if get_settings().allow_dev_key:
        return True
    url, demo = make_url(_url_of(target)), make_url(DEMO_DATABASE_URL)
    if not url.drivername.startswith("sqlite") or not url.database:
        return False
    return Path(url.database).resolve() == Path(demo.database or "").resolve()


def require_real_key(target: Any = None) -> None:
    """Raise DevelopmentKeyRefused when the default key is configured and ``target`` is not a demo database."""
    if get_settings().identity_key.get_secret_value() == DEV_IDENTITY_KEY and not is_demo_database(target):
        raise DevelopmentKeyRefused(
            "refused: DABING_IDENTITY_KEY is the public development key and this is not the demo database; " + HOW_TO
        )


def guarded_keys(target: Any = None) -> IdentityKeys:
    """The identity keys, after ``require_real_key`` (every hash, seal and open of identity goes through here)."""
    require_real_key(target)
    return identity_keys()
