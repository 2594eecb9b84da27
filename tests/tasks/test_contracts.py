"""Family-doctor contracts on SQLite and PostgreSQL: sign, renew, end as appended rows (actor, reason), the
contract rate in the ledger, and the terms and events refusing UPDATE/DELETE."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import col

from models.care import FamilyDoctorContract
from models.clinical import Case
from models.contracts import ContractEvent, ended_by
from models.corrections import CorrectionRefused
from models.errors import BadInput
from tasks.infra.db import session_scope
from tasks.pathway.contracts import end_contract, renew_contract, sign_contract
from tasks.reports.ledger import ledger_summary
from tests.tasks.test_case_corrections import two_cases


def _patient(url: str) -> int:
    with session_scope(url) as s:
        return int(s.execute(select(col(Case.patient_id))).scalars().first() or 0)


def test_sign_renew_end_are_appended_and_the_ledger_counts_them(tmp_path: Path, db_url: str) -> None:
    two_cases(tmp_path, db_url)
    pid = _patient(db_url)
    signed = sign_contract.fn(pid, "城关-1团队", "520527-TH1", date(2017, 4, 1), 1, "coordinator", "入户签约")
    assert (signed.expires_on, signed.institution) == (date(2018, 3, 31), "520527-TH1")
    with pytest.raises(CorrectionRefused, match=f"patient {pid} has contract {signed.contract_id} in force"):
        sign_contract.fn(pid, "另一团队", None, date(2017, 5, 1), 1, "coordinator", "again")
    renewed = renew_contract.fn(pid, None, None, None, 1, "coordinator", "到期续约")
    assert (renewed.signed_on, renewed.expires_on, renewed.team) == (date(2018, 4, 1), date(2019, 3, 31), "城关-1团队")
    with session_scope(db_url) as s:
        assert ledger_summary(s, "520527", date(2017, 6, 1)).contract_rate == "100.0%"
    ended = end_contract.fn(pid, date(2018, 6, 1), "coordinator", "迁出本县")
    assert ended.contract_id == renewed.contract_id
    with session_scope(db_url) as s:
        summary = ledger_summary(s, "520527", date(2018, 6, 1))
        assert (summary.contracted, summary.contract_patients, summary.contract_rate) == (0, 1, "0.0%")
        assert ledger_summary(s, "520527", date(2018, 5, 31)).contract_rate == "100.0%"
        events = s.execute(select(col(ContractEvent.kind), col(ContractEvent.reason)).order_by(col(ContractEvent.id)))
        assert events.tuples().all() == [("signed", "入户签约"), ("renewed", "到期续约"), ("ended", "迁出本县")]
        live = select(col(FamilyDoctorContract.id)).order_by(col(FamilyDoctorContract.id))
        assert s.execute(live.where(~ended_by(date(2018, 5, 31)))).scalars().all() == [
            signed.contract_id,
            ended.contract_id,
        ]
        assert s.execute(live.where(~ended_by(date(2018, 6, 1)))).scalars().all() == [signed.contract_id]  # nightly
        terms = s.execute(select(FamilyDoctorContract).order_by(col(FamilyDoctorContract.id))).scalars().all()
        assert [(t.signed_on, t.expires_on) for t in terms] == [
            (date(2017, 4, 1), date(2018, 3, 31)),
            (date(2018, 4, 1), date(2019, 3, 31)),
        ]


def test_an_institution_outside_the_county_is_refused(tmp_path: Path, db_url: str) -> None:
    two_cases(tmp_path, db_url)
    with pytest.raises(BadInput, match=r"^institution: 530427-PH is not in the patient's region"):
        sign_contract.fn(_patient(db_url), "t", "530427-PH", date(2017, 4, 1), 1, "coordinator", "x")
    with session_scope(db_url) as s:
        assert s.execute(select(FamilyDoctorContract)).first() is None


def test_terms_and_events_cannot_be_updated_or_deleted(tmp_path: Path, db_url: str) -> None:
    two_cases(tmp_path, db_url)
    sign_contract.fn(_patient(db_url), "t", None, date(2017, 4, 1), 1, "coordinator", "签约")
    for table in ("family_doctor_contract", "contract_event"):
        for sql in (f"UPDATE {table} SET patient_id = patient_id", f"DELETE FROM {table}"):
            with pytest.raises(DBAPIError, match="append-only"), session_scope(db_url) as s:
                s.execute(text(sql))
