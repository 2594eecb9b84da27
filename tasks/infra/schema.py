"""Database-side guarantees that do not depend on Python: the audit and history tables are append-only."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

#: Tables whose rows are appended, never updated or deleted: corrections are new rows with actor and reason.
APPEND_ONLY = ("case_transition", "patient_fact", "case_correction", "family_doctor_contract", "contract_event",
               "referral_event", "console_note")  # fmt: skip


def _sqlite(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        for verb in ("UPDATE", "DELETE")
    ]


def _postgres(table: str) -> list[str]:
    return [
        f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$ "
        f"BEGIN RAISE EXCEPTION '{table} is append-only'; END $$ LANGUAGE plpgsql",
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()",
    ]


def install_guards(engine: Engine) -> None:
    statements = _sqlite if engine.dialect.name == "sqlite" else _postgres
    with engine.begin() as conn:
        for table in APPEND_ONLY:
            for sql in statements(table):
                conn.execute(text(sql))
