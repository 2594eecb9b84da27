"""Database-side guarantees that do not depend on Python: the audit table is append-only."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

_SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS case_transition_no_update BEFORE UPDATE ON case_transition "
    "BEGIN SELECT RAISE(ABORT, 'case_transition is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS case_transition_no_delete BEFORE DELETE ON case_transition "
    "BEGIN SELECT RAISE(ABORT, 'case_transition is append-only'); END",
]
_POSTGRES = [
    "CREATE OR REPLACE FUNCTION case_transition_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'case_transition is append-only'; END $$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS case_transition_append_only ON case_transition",
    "CREATE TRIGGER case_transition_append_only BEFORE UPDATE OR DELETE ON case_transition "
    "FOR EACH ROW EXECUTE FUNCTION case_transition_append_only()",
]


def install_guards(engine: Engine) -> None:
    statements = _SQLITE if engine.dialect.name == "sqlite" else _POSTGRES
    with engine.begin() as conn:
        for sql in statements:
            conn.execute(text(sql))
