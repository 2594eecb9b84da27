"""Settlement rows encoded once, straight into what the driver takes (whole fen and ISO text on SQLite, COPY
text on PostgreSQL): the generic ``append_rows`` checks every value's type (~1 µs each, 40 values a bill);
here each column's encoding is known, so a settlement and its four lines cost a few µs."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from models.common import fen
from models.settlement.bill import LayerLine, Statement
from models.settlement.engine import LedgerDelta
from models.settlement.policy import PayerLayer
from models.settlement.stored import LINE_COLUMNS
from tasks.infra.bulkwrite import COPY_ESCAPES

__all__ = ["LEDGER_COLUMNS", "LINE_COLUMNS", "SETTLEMENT_COLUMNS", "Encoder", "insert_encoded"]
_ZERO = Decimal("0.00")
_COPY_SPECIAL = re.compile("[\\\\\t\n\r]")

SETTLEMENT_COLUMNS = ("id", "episode_id", "case_id", "patient_id", "policy_id", "service_date", "total",
                      "in_scope", "patient_pays", "self_pay_ratio", "flags", "settled_at", "actor")  # fmt: skip
LEDGER_COLUMNS = ("patient_id", "year", "layer", "paid", "deductible_used")


class Encoder:
    """Per backend: how a money amount, a stored time, a nullable id and a text are written. On PostgreSQL a text
    is escaped for COPY once per distinct string in the batch (rule ids and labels repeat; ``str.translate`` costs
    ~4 µs on a Chinese label, and only a text holding a backslash, tab or line break needs it)."""

    def __init__(self, dialect: str, now: datetime) -> None:
        self.pg = dialect == "postgresql"
        self.money: Callable[[Decimal], Any] = str if self.pg else fen
        utc = now.astimezone(UTC) if now.tzinfo is not None else now
        self.now = utc.replace(tzinfo=None).isoformat() if self.pg else utc.strftime("%Y-%m-%d %H:%M:%S.%f")
        self.null: Any = "\\N" if self.pg else None
        self._escaped: dict[str, str] = {}
        self._zero: dict[object, tuple[Any, ...]] = {}
        self._shared: list[LayerLine] = []

    def text(self, s: str) -> str:
        if not self.pg:
            return s
        out = self._escaped.get(s)
        if out is None:  # most texts need no escape: looking is ~20x cheaper than translating
            out = self._escaped[s] = s.translate(COPY_ESCAPES) if _COPY_SPECIAL.search(s) else s
        return out

    def settlement(self, sid: int, row: Any, st: Statement, actor: str) -> tuple[Any, ...]:
        m, on = self.money, row.discharged_on
        case = self.null if row.case_id is None else row.case_id
        return (sid, row.episode_id, case, row.patient_id, self.text(st.policy_id), _iso(on), m(st.total),
                m(st.in_scope), m(st.patient_pays), str(st.self_pay_ratio), self.text(",".join(st.flags)), self.now,
                self.text(actor))  # fmt: skip

    def ledger(self, patient_id: int, year: int, layer: PayerLayer, paid: Decimal, used: Decimal) -> tuple[Any, ...]:
        """A new payer_ledger row (in ``LEDGER_COLUMNS`` order)."""
        return (patient_id, year, layer.value, self.money(paid), self.money(used))

    def lines(
        self, sid: int, st: Statement, deltas: Sequence[LedgerDelta], label: Callable[[LayerLine], str]
    ) -> list[tuple[Any, ...]]:
        """A settlement's lines with its id, as ``models.settlement.stored.line_rows`` gives them (``LINE_COLUMNS``
        order), encoded straight from the statement. A line that pays nothing (a third of them) is encoded once:
        the engine shares one such line per layer and bill signature (kept here by identity, its ledger part
        zero: it has no delta); any other is keyed by its values."""
        m, text, out, zero = self.money, self.text, [], self._zero
        used = {d.layer: d.deductible for d in deltas}
        for ln in st.layers:
            layer, base, paid = ln.layer, ln.base, ln.paid
            if paid or base:
                out.append((sid, layer.value, m(base), m(ln.deductible), str(ln.ratio), m(paid), text(ln.rule),
                            text(label(ln)), m(used.get(layer, _ZERO))))  # fmt: skip
                continue
            ledger = used.get(layer)
            key: object = id(ln) if ledger is None else (layer, ln.deductible, ln.ratio, ln.rule, label(ln), ledger)
            tail = zero.get(key)
            if tail is None:
                self._shared.append(ln)  # alive while its id is a key
                tail = zero[key] = (layer.value, m(base), m(ln.deductible), str(ln.ratio), m(paid), text(ln.rule),
                                    text(label(ln)), m(ledger if ledger is not None else _ZERO))  # fmt: skip
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
