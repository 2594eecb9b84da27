"""Settlement rows encoded once, straight into what the driver takes (whole fen and ISO text on SQLite, COPY
text on PostgreSQL): the generic ``append_rows`` checks every value's type (~1 µs each, 40 values a bill);
here each column's encoding is known, so a settlement and its four lines cost a few µs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from models.common import fen
from models.settlement.bill import Statement
from models.settlement.policy import PayerLayer
from models.settlement.stored import LineRow

SETTLEMENT_COLUMNS = ("id", "episode_id", "case_id", "patient_id", "policy_id", "service_date", "total",
                      "in_scope", "patient_pays", "self_pay_ratio", "flags", "settled_at", "actor")  # fmt: skip
LINE_COLUMNS = (
    "settlement_id",
    "layer",
    "base",
    "deductible",
    "ratio",
    "paid",
    "rule",
    "label_zh",
    "ledger_deductible",
)
LEDGER_COLUMNS = ("patient_id", "year", "layer", "paid", "deductible_used")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class Encoder:
    """Per backend: how a money amount, a stored time and a nullable id are written."""

    def __init__(self, dialect: str, now: datetime) -> None:
        self.pg = dialect == "postgresql"
        self.money: Callable[[Decimal], Any] = str if self.pg else fen
        utc = now.astimezone(UTC) if now.tzinfo is not None else now
        self.now = utc.replace(tzinfo=None).isoformat() if self.pg else utc.strftime("%Y-%m-%d %H:%M:%S.%f")
        self.null: Any = "\\N" if self.pg else None
        self.text: Callable[[str], str] = (lambda s: s.translate(_COPY_ESCAPES)) if self.pg else (lambda s: s)
        self._zero: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    def settlement(self, sid: int, row: Any, st: Statement, actor: str) -> tuple[Any, ...]:
        m, on = self.money, row.discharged_on
        case = self.null if row.case_id is None else row.case_id
        return (sid, row.episode_id, case, row.patient_id, self.text(st.policy_id), _iso(on), m(st.total),
                m(st.in_scope), m(st.patient_pays), str(st.self_pay_ratio), self.text(",".join(st.flags)), self.now,
                self.text(actor))  # fmt: skip

    def ledger(self, patient_id: int, year: int, layer: PayerLayer, paid: Decimal, used: Decimal) -> tuple[Any, ...]:
        """A new payer_ledger row (in ``LEDGER_COLUMNS`` order)."""
        return (patient_id, year, layer.value, self.money(paid), self.money(used))

    def lines(self, sid: int, rows: Sequence[LineRow]) -> list[tuple[Any, ...]]:
        """A settlement's lines with its id; a line that pays nothing (a third of them) is shared."""
        m, text, out = self.money, self.text, []
        for layer, base, deductible, ratio, paid, rule, label, ledger in rows:
            if paid or base:
                out.append((sid, layer.value, m(base), m(deductible), str(ratio), m(paid), text(rule), text(label),
                            m(ledger)))  # fmt: skip
            else:
                key = (layer, deductible, ratio, rule, label, ledger)
                tail = self._zero.get(key)
                if tail is None:
                    tail = self._zero[key] = (layer.value, m(base), m(deductible), str(ratio), m(paid), text(rule),
                                              text(label), m(ledger))  # fmt: skip
                out.append((sid, *tail))
        return out


def _iso(d: date) -> str:
    return d.isoformat()


def insert_encoded(session: Session, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Insert rows already encoded by ``Encoder`` (COPY on PostgreSQL, one executemany on SQLite)."""
    if not rows:
        return
    conn = session.connection()
    driver: Any = conn.connection.driver_connection
    quote = conn.dialect.identifier_preparer.quote
    cols = ", ".join(quote(c) for c in columns)
    try:
        if conn.dialect.name == "postgresql":
            body = "\n".join(["\t".join([str(v) for v in r]) for r in rows]) + "\n"
            with driver.cursor() as cur, cur.copy(f"COPY {quote(table)} ({cols}) FROM STDIN") as copy:
                copy.write(body.encode())
        else:
            marks = ", ".join("?" * len(columns))
            driver.executemany(f"INSERT INTO {quote(table)} ({cols}) VALUES ({marks})", rows)
    except Exception as exc:
        import sqlite3

        import psycopg

        if isinstance(exc, sqlite3.IntegrityError | psycopg.IntegrityError):
            raise IntegrityError(f"append to {table}", None, exc) from exc
        raise
