"""Persisted settlement on SQLite and PostgreSQL: exact amounts, annual ledgers, idempotency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from models import national_id
from models.clinical import Case
from models.settlement.amounts import BillAmounts
from models.settlement.tables import PayerLedger, Settlement, SettlementLine
from tasks.infra.db import session_scope
from tasks.pathway.diagnosis import confirm_many
from tasks.pathway.hospitals import sync_hospitals
from tasks.pathway.intake import import_screenings_file
from tasks.pathway.referral import refer_many
from tasks.pathway.treatment import Discharge, admit_many, discharge_many
from tasks.settlement.settle import settle_case, settle_many

HEADER = "household_ref,national_id,name,region_code,poverty_status,screened_on,icd10\n"
ON = date(2017, 3, 1)


def discharged_case(tmp_path: Path, url: str, poverty: str, bills: list[tuple[str, str]]) -> list[int]:
    """One patient with len(bills) distinct diseases, each discharged from a county hospital with a bill."""
    nid = national_id.make("520527", date(1941, 1, 5), 77)
    codes = ["S72.0", "I63.9", "A15.0"][: len(bills)]
    body = "".join(f"H1,{nid},贺某,520527,{poverty},2017-02-01,{c}\n" for c in codes)
    (tmp_path / "s.csv").write_text(HEADER + body, encoding="utf-8")
    import_screenings_file.fn(str(tmp_path / "s.csv"), "coordinator")
    with session_scope(url) as s:
        sync_hospitals(s)
        ids = list(s.execute(select(Case.id).order_by(Case.id)).scalars())
        confirm_many(s, ids, ON, "coordinator")
        s.execute(Case.__table__.update().values(disease_code=None))  # type: ignore[attr-defined]
    with session_scope(url) as s:
        for cid, code in zip(ids, ["stroke_sequelae", "tuberculosis", "hypertension"], strict=False):
            s.execute(
                Case.__table__.update()
                .where(Case.id == cid)
                .values(  # type: ignore[attr-defined]
                    state="triaged", disease_code=code, category="long_term"
                )
            )
        refer_many(s, ids, ON, "coordinator")
        admit_many(s, ids, ON, "coordinator")
        discharge_many(
            s,
            [
                Discharge(cid, date(2017, 3, 10 + i), BillAmounts.parse(t, o))
                for i, (cid, (t, o)) in enumerate(zip(ids, bills, strict=True))
            ],
            "coordinator",
        )
    return ids


def _run(tmp_path: Path, url: str) -> None:
    ids = discharged_case(tmp_path, url, "destitute", [("39467.00", "733.00")])
    first = settle_case.fn(ids[0], "coordinator")
    again = settle_case.fn(ids[0], "coordinator")
    assert (first.changed, first.state, again.changed, again.state) == (True, "settled", False, "settled")
    with session_scope(url) as s:
        st = s.execute(select(Settlement)).scalar_one()
        lines = {ln.layer: ln.paid for ln in s.execute(select(SettlementLine)).scalars()}
        assert (st.total, st.in_scope, st.patient_pays) == (Decimal("39467.00"), Decimal("38734.00"), Decimal("0.00"))
        assert lines == {
            "basic_insurance": Decimal("38534.00"),
            "critical_illness": Decimal("0.00"),
            "medical_assistance": Decimal("933.00"),
        }
        assert again.settlement_id == first.settlement_id == st.id
        assert s.execute(select(func.count()).select_from(Settlement)).scalar() == 1


def test_he_zunxian_persisted_once_sqlite(tmp_path: Path, db_url: str) -> None:
    _run(tmp_path, db_url)


@pytest.mark.postgres
def test_he_zunxian_persisted_once_postgres(tmp_path: Path, pg_url: str) -> None:
    _run(tmp_path, pg_url)


def _annual(tmp_path: Path, url: str) -> None:
    """Two bills of a minimum-living patient in one year: the 3,000 critical-illness threshold is used once."""
    ids = discharged_case(tmp_path, url, "minimum_living", [("20000.00", "0"), ("20000.00", "0")])
    with session_scope(url) as s:
        moved, held = settle_many(s, ids, "coordinator")
    assert (len(moved), held) == (2, {})
    with session_scope(url) as s:
        ledger = {lg.layer: (lg.paid, lg.deductible_used) for lg in s.execute(select(PayerLedger)).scalars()}
        # basic: (20000-200)*0.75 = 14850 each; critical: first (5150-3000)*0.5 = 1075, second 5150*0.5 = 2575
        assert ledger["basic_insurance"] == (Decimal("29700.00"), Decimal("0.00"))
        assert ledger["critical_illness"] == (Decimal("3650.00"), Decimal("3000.00"))
        with pytest.raises(IntegrityError):
            episode = s.execute(select(Settlement.episode_id)).scalars().first()
            s.execute(
                insert(Settlement).values(
                    episode_id=episode,
                    case_id=ids[0],
                    patient_id=1,
                    policy_id="x",
                    service_date=ON,
                    self_pay_ratio=0,
                    actor="x",
                )
            )
    with session_scope(url) as s:
        assert settle_many(s, ids, "coordinator") == ([], {})


def test_annual_ledger_and_db_uniqueness_sqlite(tmp_path: Path, db_url: str) -> None:
    _annual(tmp_path, db_url)


@pytest.mark.postgres
def test_annual_ledger_and_db_uniqueness_postgres(tmp_path: Path, pg_url: str) -> None:
    _annual(tmp_path, pg_url)
