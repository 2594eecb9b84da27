"""The persisted half of settlement: the patients' locks and annual ledgers, pricing in ledger order, and the
set-based writes (settlements, their lines, ledger rows) in as few round trips as the backend allows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select, text, update
from sqlmodel import Session, col

from models.enums import PovertyStatus
from models.people import Patient
from models.settlement.bill import Bill, PriorUse, Statement, trusted
from models.settlement.engine import LedgerDelta, settle
from models.settlement.label import Labels
from models.settlement.ledger import apply_statement
from models.settlement.policy import PayerLayer, Policy
from models.settlement.tables import PayerLedger, Settlement
from tasks.infra.bulkwrite import id_in
from tasks.settlement.rows import LEDGER_COLUMNS, LINE_COLUMNS, SETTLEMENT_COLUMNS, Encoder, insert_encoded

#: (patient id, year, layer) → (ledger row id, paid, deductible used) as stored before this call.
Stored = dict[tuple[int, int, PayerLayer], tuple[int, Decimal, Decimal]]
#: (patient id, year): that patient's annual ledger, layer by layer.
YearKey = tuple[int, int]


class Pending(NamedTuple):
    """A discharged stay waiting for its settlement, with what pricing it needs (``tasks.settlement.settle._pending``
    selects these columns in this order). A plain named tuple: an attribute of SQLAlchemy's ``Row`` costs ~2 µs
    (a mapping lookup), and a bill's settlement reads some 25 of them."""

    episode_id: int
    case_id: int | None
    patient_id: int
    poverty_status: PovertyStatus
    birth_date: date
    region: str
    hospital_level: str
    hospital_region: str
    setting: str
    treatment_kind: str
    discharged_on: date
    total: Decimal
    out_of_scope: Decimal
    sessions: int


class Priced(NamedTuple):
    """One stay priced: its pending row and its statement."""

    row: Pending
    statement: Statement
    deltas: list[LedgerDelta]


def lock_ledgers(session: Session, patients: list[int]) -> Stored:
    """Lock the patients (in id order, so concurrent chunks cannot deadlock), then read their ledgers.

    Locking the patient row, not only its ledger rows, serialises every settlement of one patient even
    before its first ledger row exists (two first bills would otherwise both start from zero); the ledger
    rows are then read without a lock of their own (only a holder of the patient lock writes them). FOR NO
    KEY UPDATE does not block inserts that merely reference the patient. SQLite has no row locks: its single
    writer lock is taken at this transaction's first write, which fails (and is retried) when another
    settlement committed after these reads.
    """
    if not patients:
        return {}
    if session.connection().dialect.name == "postgresql":
        session.execute(
            select(col(Patient.id))
            .where(id_in(session, col(Patient.id), patients))
            .order_by(col(Patient.id))
            .with_for_update(key_share=True)
        ).all()
    rows = session.execute(
        select(
            col(PayerLedger.id),
            col(PayerLedger.patient_id),
            col(PayerLedger.year),
            col(PayerLedger.layer),
            col(PayerLedger.paid),
            col(PayerLedger.deductible_used),
        ).where(id_in(session, col(PayerLedger.patient_id), patients))
    ).tuples()
    return {(pid, year, PayerLayer(layer)): (lid, paid, ded) for lid, pid, year, layer, paid, ded in rows}


def unsettled(session: Session, stay_ids: list[int]) -> set[int]:
    """Which of the stays have no settlement (read once the patients' locks are held)."""
    if not stay_ids:
        return set()
    done = session.execute(
        select(col(Settlement.episode_id)).where(id_in(session, col(Settlement.episode_id), stay_ids))
    ).scalars()
    return set(stay_ids) - set(done)


Years = dict[YearKey, dict[PayerLayer, PriorUse]]


def price(todo: Sequence[tuple[Pending, Bill, Policy]], stored: Stored) -> tuple[list[Priced], Years]:
    """Settle the bills in order, each seeing its patient's year as the bills before it left it; returns the
    statements and the patients' years after them."""
    years: Years = {}
    for (patient_id, year, layer), (_, paid, ded) in stored.items():
        years.setdefault((patient_id, year), {})[layer] = trusted(PriorUse, {"paid": paid, "deductible": ded})
    priced: list[Priced] = []
    for row, unpriced, policy in todo:
        key = (row.patient_id, row.discharged_on.year)
        prior = years.get(key, {})
        object.__setattr__(unpriced, "prior_paid", prior)  # the bill was built for this call only (from_record)
        statement, deltas = settle(unpriced, policy)
        years[key] = apply_statement(prior, deltas)
        priced.append(Priced(row, statement, deltas))
    return priced, years


def write(session: Session, priced: list[Priced], years: Years, stored: Stored, now: datetime, actor: str) -> None:
    """Append the settlements with their lines, update the ledger rows that changed, add the new ones."""
    if not priced:
        return
    enc = Encoder(session.connection().dialect.name, now)
    labels = Labels()
    settlements: list[tuple[Any, ...]] = []
    lines: list[tuple[Any, ...]] = []
    for sid, (row, st, deltas) in zip(_reserve_ids(session, len(priced)), priced, strict=True):
        settlements.append(enc.settlement(sid, row, st, actor))
        lines += enc.lines(sid, st, deltas, labels)
    insert_encoded(session, "settlement", SETTLEMENT_COLUMNS, settlements)
    insert_encoded(session, "settlement_line", LINE_COLUMNS, lines)
    changed, fresh = _carry(stored, years)
    if changed:
        ledger: Any = PayerLedger.__table__  # type: ignore[attr-defined]  # Core: one executemany
        session.connection().execute(
            update(ledger)
            .where(ledger.c.id == bindparam("lid"))
            .values(paid=bindparam("p"), deductible_used=bindparam("d")),
            changed,
        )
    if fresh:
        insert_encoded(session, "payer_ledger", LEDGER_COLUMNS, [enc.ledger(*r) for r in fresh])


def _carry(
    stored: Stored, years: Years
) -> tuple[list[dict[str, Any]], list[tuple[int, int, PayerLayer, Decimal, Decimal]]]:
    """The new ledgers: (updates of stored rows that changed, new rows for layers without one yet)."""
    changed: list[dict[str, Any]] = []
    fresh: list[tuple[int, int, PayerLayer, Decimal, Decimal]] = []
    for (patient_id, year), layers in years.items():
        for layer, use in layers.items():
            was = stored.get((patient_id, year, layer))
            if was is None:
                fresh.append((patient_id, year, layer, use.paid, use.deductible))
            elif (was[1], was[2]) != (use.paid, use.deductible):
                changed.append({"lid": was[0], "p": use.paid, "d": use.deductible})
    return changed, fresh


def _reserve_ids(session: Session, n: int) -> Sequence[int]:
    """``n`` settlement ids reserved for this call (written explicitly, so the rows' ids need not be read
    back): from the sequence on PostgreSQL; on SQLite the next ids after the highest (a writer that committed
    since this transaction's first read makes its first write fail, and the task retries)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        stmt = text("SELECT nextval(pg_get_serial_sequence('settlement', 'id')) FROM generate_series(1, :n)")
        return [int(i) for i in conn.execute(stmt, {"n": n}).scalars()]
    top = int(conn.execute(text("SELECT max(id) FROM settlement")).scalar() or 0)
    return range(top + 1, top + 1 + n)
