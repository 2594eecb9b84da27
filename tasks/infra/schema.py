"""Database-side guarantees that do not depend on Python: the audit tables are append-only."""

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


#: Other append-only audit tables get the same guards (the referral history).
_ALSO = ("referral_event",)


def install_guards(engine: Engine) -> None:
    statements = _SQLITE if engine.dialect.name == "sqlite" else _POSTGRES
    statements = statements + [sql.replace("case_transition", t) for t in _ALSO for sql in statements]
    with engine.begin() as conn:
        for sql in statements:
            conn.execute(text(sql))
