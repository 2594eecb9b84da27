"""What a database is for (pure: no session). The demo stamps the databases it creates, and rebuilds only
a database that is empty or carries that stamp: it never writes over a coordinator's data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Field, SQLModel

from models.common import utcnow

ROLE = "role"  # the app_meta key
DEMO = "demo"  # its value in a database `dabing demo` created
#: Tables whose rows say nothing about what a database holds.
BOOKKEEPING = frozenset({"alembic_version"})
#: Loaded from config by init-db: rows, yet named last when the demo says what a database holds.
FROM_CONFIG = frozenset({"actor", "hospital", "hospital_disease"})


class AppMeta(SQLModel, table=True):
    """Facts about the database itself, one row per key (``role`` = ``demo``: the demo created it)."""

    __tablename__ = "app_meta"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class DemoRefused(RuntimeError):
    """The demo was pointed at a database holding other data: nothing was changed."""


@dataclass(frozen=True, slots=True)
class DatabaseContent:
    """What a database holds: its ``app_meta`` role (None: no stamp) and the rows of every table."""

    role: str | None
    rows: Mapping[str, int]

    def holds_data(self) -> bool:
        return any(n for table, n in self.rows.items() if table not in BOOKKEEPING)


def check_demo_target(where: str, content: DatabaseContent) -> None:
    """The demo may rebuild an empty database or one it stamped; anything else raises ``DemoRefused``
    with one line naming the database and the tables holding the most rows (the ones loaded from config last)."""
    if content.role == DEMO or not content.holds_data():
        return
    held = sorted(
        ((t in FROM_CONFIG, -n, t) for t, n in content.rows.items() if n and t not in BOOKKEEPING),
    )
    summary = ", ".join(f"{t} {-n}" for _, n, t in held[:3]) + (", …" if len(held) > 3 else "")
    raise DemoRefused(
        f"refused: {where} is not a demo database ({summary}): the demo rebuilds only an empty database "
        "or one it created; nothing was changed"
    )
