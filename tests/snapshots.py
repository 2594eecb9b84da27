"""Every table's rows of a database, to compare two databases (a backup and its original, a database
before and after a refused command)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, inspect, text


def table_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Table name → its rows (sorted), read through an engine of its own."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t: sorted((tuple(r) for r in conn.execute(text(f'SELECT * FROM "{t}"'))), key=repr)
                for t in sorted(inspect(conn).get_table_names())
            }
    finally:
        engine.dispose()
