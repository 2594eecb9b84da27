"""Setting a database up: schema to head (Alembic), database-side guards, the actors of config/data/actors.yaml."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

import models.tables  # noqa: F401  (every table mapped)
from tasks.infra.access import sync_actors
from tasks.infra.db import get_engine
from tasks.infra.migrate import migrate
from tasks.infra.schema import install_guards


def init_db(url: str | None = None) -> Engine:
    """Create or upgrade every table to the current schema (idempotent), with guards and actors."""
    engine = get_engine(url)
    migrate(engine)  # empty: create + stamp; older schema: Alembic upgrade to head
    install_guards(engine)
    with Session(engine) as session:
        sync_actors(session)  # who may act where: config/data/actors.yaml
        session.commit()
    return engine
