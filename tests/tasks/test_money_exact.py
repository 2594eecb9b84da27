"""Money exact on SQLite and PostgreSQL (issue 22 #9): SQLite keeps whole fen in an INTEGER (its NUMERIC is
REAL: 1000000000000000.01 came back as 1000000000000000), amounts are capped at MAX_AMOUNT (99,999,999.99 yuan)
with a one-line error naming the field, and the largest bill round-trips exactly through discharge, settlement,
the annual ledger, SQL sums and the report totals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlmodel import col
from typer.testing import CliRunner

from cli.app import app
from models.care import TreatmentEpisode
from models.common import MAX_AMOUNT, money_bind
from models.findings import Finding, FindingKind, NightlyRun, RunStatus
from models.settlement.bill import BillError, parse_money
from models.settlement.tables import PayerLedger, Settlement, SettlementLine
from tasks.infra.bulkwrite import append_rows
from tasks.infra.db import session_scope
from tasks.reports.summary import collect_summary
from tasks.settlement.settle import settle_many
from tests.tasks.test_settlement_tasks import discharged_case

D = Decimal
BILLS = [(str(MAX_AMOUNT), "0.03"), ("0.10", "0.00"), ("0.10", "0.01")]


def _round_trip_at_the_bound(tmp_path: Path, url: str) -> None:
    ids = discharged_case(tmp_path, url, "destitute", BILLS)
    with session_scope(url) as s:
        moved, held = settle_many(s, ids, "t")
    assert sorted(moved) == sorted(ids) and not held
    with session_scope(url) as s:
        episode = s.execute(select(TreatmentEpisode).where(col(TreatmentEpisode.case_id) == ids[0])).scalar_one()
        assert (episode.total_cost, episode.out_of_scope) == (MAX_AMOUNT, D("0.03"))
        bills = {st.case_id: st for st in s.execute(select(Settlement)).scalars()}
        big = bills[ids[0]]
        assert (big.total, big.in_scope) == (MAX_AMOUNT, MAX_AMOUNT - D("0.03"))
        assert all(isinstance(v, Decimal) for st in bills.values() for v in (st.total, st.in_scope, st.patient_pays))
        lines = list(s.execute(select(SettlementLine)).scalars())
        for st in bills.values():
            paid = sum((ln.paid for ln in lines if ln.settlement_id == st.id), D("0.00"))
            assert paid + st.patient_pays == st.total, "layers and the patient pay the whole bill, to the fen"
        ledger = sum((lg.paid for lg in s.execute(select(PayerLedger)).scalars()), D("0.00"))
        assert ledger == sum((ln.paid for ln in lines), D("0.00"))
        expected = sum((D(t) for t, _ in BILLS), D("0.00"))
        assert s.execute(select(func.sum(col(Settlement.total)))).scalar_one() == expected  # summed in SQL
        pays = sum((st.patient_pays for st in bills.values()), D("0.00"))
        count = select(func.count()).select_from(Settlement)
        assert s.execute(count.where(col(Settlement.total) > D("0.10"))).scalar_one() == 1  # compared in SQL
        assert s.execute(count.where(col(Settlement.total) >= D("0.10"))).scalar_one() == len(BILLS)
        report = collect_summary(s, "monthly", date(2017, 3, 15))
        assert (D(report.total), D(report.patient_pays)) == (expected, pays)
        if url.startswith("sqlite"):
            kinds = s.execute(text("SELECT DISTINCT typeof(total), typeof(patient_pays) FROM settlement")).all()
            assert [tuple(k) for k in kinds] == [("integer", "integer")], "whole fen, not REAL"


def test_the_largest_bill_round_trips_exactly(tmp_path: Path, db_url: str) -> None:
    _round_trip_at_the_bound(tmp_path, db_url)


@pytest.mark.postgres
def test_the_largest_bill_round_trips_exactly_postgres(tmp_path: Path, pg_url: str) -> None:
    _round_trip_at_the_bound(tmp_path, pg_url)


def test_bulk_appended_money_is_exact_and_compared_in_the_database_unit(db_url: str) -> None:
    """append_rows (executemany/COPY, no type processing) writes money as the column type would; a raw SQL
    threshold bound with money_bind compares in the stored unit."""
    with session_scope() as s:
        run = NightlyRun(night=date(2017, 6, 1), scope="*", status=RunStatus.FINISHED)
        s.add(run)
        s.flush()
        row = (run.id, date(2017, 6, 1), FindingKind.POVERTY_ALARM, "x", "r", "520527", None, None, None)
        columns = ("run_id", "night", "kind", "subject", "reason", "region_code", "patient_id", "household_id",
                   "case_id", "amount", "created_at", "subject_id", "rule", "status")  # fmt: skip
        amounts = [MAX_AMOUNT, D("6000.01"), D("6000.00"), None]
        rows = [(*row[:3], f"s{i}", *row[4:], a, date(2017, 6, 1), i, "", "open") for i, a in enumerate(amounts)]
        append_rows(s, "finding", columns, rows)
    with session_scope() as s:
        back = list(s.execute(select(col(Finding.amount)).order_by(col(Finding.subject))).scalars())
        assert back == amounts
        dialect = s.connection().dialect.name
        over = text("SELECT count(*) FROM finding WHERE amount > :floor")
        assert s.execute(over, {"floor": money_bind(dialect, D("6000.00"))}).scalar_one() == 2


@pytest.mark.parametrize("amount", ["1000000000000000.01", "100000000.00", "99999999.991"])
def test_amounts_beyond_the_bound_are_refused_naming_the_field(amount: str) -> None:
    with pytest.raises(BillError, match=r"^total_cost: ") as err:
        parse_money(amount, "total_cost")
    assert "\n" not in str(err.value)
    assert parse_money(str(MAX_AMOUNT), "total_cost") == MAX_AMOUNT


def test_the_issue_example_is_refused_on_the_command_line() -> None:
    """`dabing discharge … 1000000000000000.01 --out-of-scope 0.03`: refused before anything runs."""
    done = CliRunner().invoke(app, ["discharge", "1", "2017-03-10", "1000000000000000.01", "--out-of-scope", "0.03"])
    assert done.exit_code == 2
    assert "too large (at most 99999999.99)" in " ".join(done.output.split())
