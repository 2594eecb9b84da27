"""The development identity key is for the demo only: ``require_real_key`` refuses to hash, seal or open
identity — and ``dabing up`` / ``serve`` refuse to start — on any other database while
``DABING_IDENTITY_KEY`` is the public default.

"Demo database" is decided in one place, ``is_demo_database``: a database the demo created and stamped
(``app_meta`` role ``demo``, ``tasks/ops/demo_db.py``), or any while ``DABING_ALLOW_DEV_KEY=true`` (the test
suite's conftest sets it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.orm import Session

from config.identity import identity_keys
from config.settings import DEV_IDENTITY_KEY, get_settings
from models.identity import IdentityKeys
from models.meta import DEMO, ROLE, AppMeta
from tasks.infra.db import get_engine

HOW_TO = (
    "generate one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'` and set "
    "DABING_IDENTITY_KEY=<it> in .env (keep it out of the database and its backups)"
)


class DevelopmentKeyRefused(RuntimeError):
    """The default identity key on a database that is not the demo's; nothing was read or written."""


def _role(conn: Connection) -> str | None:
    if not inspect(conn).has_table(AppMeta.__tablename__):
        return None
    return conn.execute(text("SELECT value FROM app_meta WHERE key = :k"), {"k": ROLE}).scalar()


def stamped_role(target: Any = None) -> str | None:
    """The ``app_meta`` role of a database given as a URL, an Engine, a Connection or a Session (None: the
    configured one); read inside a Session's own transaction."""
    if isinstance(target, Session):
        return _role(target.connection())
    if isinstance(target, Connection):
        return _role(target)
    engine = target if isinstance(target, Engine) else get_engine(target)
    with engine.connect() as conn:
        return _role(conn)


def is_demo_database(target: Any = None) -> bool:
    """Whether the development key may be used on this database (see the module doc)."""
    return get_settings().allow_dev_key or stamped_role(target) == DEMO


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
