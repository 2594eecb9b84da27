"""The fast append path must store exactly what the ORM would, on both backends, and surface unique
violations as SQLAlchemy IntegrityError (the retry policies depend on it)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from config.identity import identity_keys
from models.care import Hospital
from models.clinical import Screening
from models.enums import HospitalLevel, PovertyStatus
from models.identity import protect
from models.people import Household, Patient
from models.settlement.policy import PayerLayer
from models.settlement.tables import PayerLedger
from tasks.infra.bulkwrite import append_rows, id_in
from tasks.infra.db import session_scope

AWKWARD = "tab\there\nnew line \\ backslash 中文"


def _patient() -> int:
    with session_scope() as s:
        hh = Household(ref="H1", region_code="520527", poverty_status=PovertyStatus.GENERAL)
        s.add(hh)
        s.flush()
        p = Patient(
            household_id=hh.id or 0,
            **protect(identity_keys(), "X", "n"),
            region_code="520527",
            poverty_status=PovertyStatus.GENERAL,
            sex="F",
            birth_date=date(1960, 1, 1),
        )
        s.add(p)
        s.flush()
        return p.id or 0


def _round_trip() -> None:
    pid = _patient()
    at = datetime(2017, 3, 1, 8, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))
    with session_scope() as s:
        append_rows(
            s,
            "hospital",
            ("code", "name", "level", "region_code", "capacity", "green_channel"),
            [("H-X", AWKWARD, HospitalLevel.LEVEL3, "520527", 5, True)],
        )
        append_rows(
            s,
            "screening",
            ("patient_id", "screened_on", "method", "actor", "created_at"),
            [(pid, date(2017, 3, 1), "health_check", AWKWARD[:60], at)],
        )
        append_rows(
            s,
            "payer_ledger",
            ("patient_id", "year", "layer", "paid", "deductible_used"),
            [(pid, 2017, PayerLayer.BASIC_INSURANCE, Decimal("38534.00"), Decimal("0.10"))],
        )
    with session_scope() as s:
        h = s.execute(select(Hospital).where(col(Hospital.code) == "H-X")).scalars().one()
        assert (h.name, h.level, h.green_channel) == (AWKWARD, HospitalLevel.LEVEL3, True)
        sc = s.execute(select(Screening)).scalars().one()
        assert sc.actor == AWKWARD[:60]
        assert sc.created_at.replace(tzinfo=UTC) == at.astimezone(UTC), "stored as UTC wall time"
        lg = s.execute(select(PayerLedger)).scalars().one()
        assert (lg.paid, lg.deductible_used, lg.layer) == (Decimal("38534.00"), Decimal("0.10"), "basic_insurance")
        assert s.execute(select(col(Hospital.id)).where(id_in(s, col(Hospital.id), [h.id or 0, 999]))).all()
    with pytest.raises(IntegrityError), session_scope() as s:
        append_rows(
            s,
            "payer_ledger",
            ("patient_id", "year", "layer", "paid", "deductible_used"),
            [(pid, 2017, PayerLayer.BASIC_INSURANCE, Decimal("1"), Decimal("0"))],
        )
    with session_scope() as s:
        assert len(s.execute(select(PayerLedger)).all()) == 1, "the failed append wrote nothing"


def test_round_trip_sqlite(db_url: str) -> None:
    _round_trip()


def test_round_trip_postgres(pg_url: str) -> None:
    _round_trip()


def test_sqlite_converters_bind_what_the_generic_conversion_binds() -> None:
    """Each column's converter (money, enum, a remembered timestamp, the plain fast path) gives exactly what
    ``_sqlite_value`` gives for a value of any type, so a caller passing an unusual type is written as before."""
    import models.tables  # noqa: F401  (every table mapped)
    from tasks.infra.bulkwrite import _sqlite_converters, _sqlite_money, _sqlite_value

    at = datetime(2017, 3, 1, 8, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))
    values = [None, 7, True, 1.5, "text", AWKWARD, HospitalLevel.LEVEL3, PayerLayer.CRITICAL_ILLNESS, at,
              at.replace(tzinfo=None), date(2017, 3, 1), Decimal("12.30")]  # fmt: skip
    columns = ("case_id", "from_state", "to_state", "actor", "at", "event_id")
    for convert in _sqlite_converters("case_transition", columns):
        for _ in range(2):  # the second time from the timestamp's memory
            assert [convert(v) for v in values] == [_sqlite_value(v) for v in values]
    paid = _sqlite_converters("payer_ledger", ("patient_id", "paid"))[1]
    assert paid is _sqlite_money and paid(Decimal("38534.01")) == 3853401


def test_a_temporary_tables_money_is_written_as_its_type_writes_it(db_url: str) -> None:
    """A run's own table (nightly_found, outside the app's metadata) takes its column types from ``types``: an
    amount goes in as whole fen on SQLite and reads back to the fen on either backend."""
    from tasks.nightly.found import FOUND_COLUMNS, add_found, found, reset_found

    row = dict.fromkeys(FOUND_COLUMNS) | {"kind": "poverty_alarm", "subject": "household:7", "reason": "r",
                                           "region_code": "520527", "household_id": 7, "amount": Decimal("12345.67"),
                                           "subject_id": 7, "rule": "year"}  # fmt: skip
    with session_scope() as s:
        reset_found(s)
        assert add_found(s, [row]) == 1
        assert s.execute(select(found.c.amount)).scalar_one() == Decimal("12345.67")
        if s.connection().dialect.name == "sqlite":
            assert s.connection().exec_driver_sql("SELECT amount FROM nightly_found").scalar_one() == 1234567
