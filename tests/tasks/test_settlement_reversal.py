"""Reversal (冲销) and re-settlement on SQLite and PostgreSQL: audited negative rows, the ledger follows
(paid and yearly deductible), history is appended and never updated, the guards refuse a second reversal."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from models.errors import BadInput, NotFound
from models.settlement.amounts import BillAmounts
from models.settlement.tables import PayerLedger, Settlement, SettlementLine
from tasks.infra.db import session_scope
from tasks.settlement.reversal import AlreadyReversed, resettle, reverse
from tasks.settlement.settle import settle_case, settle_many
from tests.tasks.test_settlement_tasks import discharged_case

D = Decimal


def _ledger(url: str) -> dict[str, tuple[Decimal, Decimal]]:
    with session_scope(url) as s:
        return {lg.layer: (lg.paid, lg.deductible_used) for lg in s.execute(select(PayerLedger)).scalars()}


def _rows(url: str) -> list[tuple[int, int | None, int | None, Decimal, Decimal, str]]:
    with session_scope(url) as s:
        return [
            (r.id, r.generation, r.reverses_id, r.total, r.patient_pays, r.reason)
            for r in s.execute(select(Settlement).order_by(col(Settlement.id))).scalars()
        ]


def _labels(url: str, settlement_id: int) -> dict[str, tuple[Decimal, str]]:
    with session_scope(url) as s:
        q = select(SettlementLine).where(col(SettlementLine.settlement_id) == settlement_id)
        return {ln.layer: (ln.paid, ln.label_zh) for ln in s.execute(q).scalars()}


def _correct(tmp_path: Path, url: str) -> None:
    (case_id,) = discharged_case(tmp_path, url, "destitute", [("39467.00", "733.00")])
    first = settle_case.fn(case_id, "coordinator")
    assert first.settlement_id is not None
    original = _rows(url)[0]
    labels = _labels(url, first.settlement_id)
    # the 贺遵贤 bill, labelled in Chinese beside the rule id
    assert labels["basic_insurance"] == (D("38534.00"), "基本医保 · 特困供养人员 县内住院 · 100% · 起付线 200元")
    assert labels["medical_assistance"][1].startswith("医疗救助 · 特困供养人员 因病住院 · 100%")
    with session_scope(url) as s:
        episode = s.execute(select(Settlement.episode_id)).scalar_one()
        out = resettle(s, episode, BillAmounts.parse("30733.00", "733.00"), "coordinator", "出院金额录入错误")
    assert (out.reversed_id, out.generation) == (first.settlement_id, 1)
    rows = _rows(url)
    assert rows[0] == original, "the original row is never updated"
    assert rows[1] == (out.reversal_id, None, first.settlement_id, D("-39467.00"), D("-0.00"), "出院金额录入错误")
    assert rows[2][1:5] == (1, None, D("30733.00"), D("0.00"))
    assert out.reversal_id is not None
    reversal = _labels(url, out.reversal_id)
    assert reversal["basic_insurance"] == (D("-38534.00"), "冲销 · " + labels["basic_insurance"][1])
    # the ledger holds the corrected bill only: basic 30000 − 200 deductible, assistance the rest
    assert _ledger(url)["basic_insurance"] == (D("29800.00"), D("0.00"))
    assert _ledger(url)["medical_assistance"] == (D("933.00"), D("0.00"))
    with session_scope(url) as s:
        assert out.settlement_id is not None
        back = reverse(s, out.settlement_id, "coordinator", "住院记录作废")
    assert back.reversed_id == out.settlement_id
    assert {layer: paid for layer, (paid, _) in _ledger(url).items()} == dict.fromkeys(
        ("basic_insurance", "critical_illness", "medical_assistance"), D("0.00")
    )
    with pytest.raises(AlreadyReversed, match="already reversed"), session_scope(url) as s:
        reverse(s, out.settlement_id, "coordinator", "again")
    with pytest.raises(BadInput, match="is itself a reversal"), session_scope(url) as s:
        assert back.reversal_id is not None
        reverse(s, back.reversal_id, "coordinator", "reverse the reversal")
    with pytest.raises(BadInput, match="reason"), session_scope(url) as s:
        reverse(s, first.settlement_id, "coordinator", "   ")
    with pytest.raises(NotFound), session_scope(url) as s:
        reverse(s, 999_999, "coordinator", "x")
    # nothing in effect: a re-settlement writes generation 2 without a reversal
    with session_scope(url) as s:
        again = resettle(s, episode, BillAmounts.parse("30733.00", "733.00"), "coordinator", "重新结算")
    assert (again.reversed_id, again.reversal_id, again.generation) == (None, None, 2)
    assert _ledger(url)["basic_insurance"] == (D("29800.00"), D("0.00"))
    # the database refuses a second settlement of one generation and a second reversal of one settlement
    with pytest.raises(IntegrityError), session_scope(url) as s:
        s.add(Settlement(**{**s.get(Settlement, again.settlement_id).model_dump(exclude={"id"})}))  # type: ignore[union-attr]
        s.flush()
    with pytest.raises(IntegrityError), session_scope(url) as s:
        twin = s.get(Settlement, back.reversal_id)
        assert twin is not None
        s.add(Settlement(**twin.model_dump(exclude={"id"})))
        s.flush()


def test_reverse_and_resettle_sqlite(tmp_path: Path, db_url: str) -> None:
    _correct(tmp_path, db_url)


@pytest.mark.postgres
def test_reverse_and_resettle_postgres(tmp_path: Path, pg_url: str) -> None:
    _correct(tmp_path, pg_url)


def _deductible_follows(tmp_path: Path, url: str) -> None:
    """Two bills of a minimum-living patient: the first used the 3,000 yearly critical-illness deductible;
    reversing it gives the deductible back to the year (the second bill is not re-priced: see README)."""
    ids = discharged_case(tmp_path, url, "minimum_living", [("20000.00", "0"), ("20000.00", "0")])
    with session_scope(url) as s:
        settle_many(s, ids, "coordinator")
    assert _ledger(url)["critical_illness"] == (D("3650.00"), D("3000.00"))
    first = _rows(url)[0][0]
    with session_scope(url) as s:
        reverse(s, first, "coordinator", "重复结算")
    assert _ledger(url)["critical_illness"] == (D("2575.00"), D("0.00"))
    assert _ledger(url)["basic_insurance"] == (D("14850.00"), D("0.00"))


def test_deductible_follows_sqlite(tmp_path: Path, db_url: str) -> None:
    _deductible_follows(tmp_path, db_url)


@pytest.mark.postgres
def test_deductible_follows_postgres(tmp_path: Path, pg_url: str) -> None:
    _deductible_follows(tmp_path, pg_url)
