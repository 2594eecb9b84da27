"""Poverty status and groups as patient data with effective dates (issue 17 corrections, issue 18 #4), on SQLite
and PostgreSQL: a stored settlement uses the status and groups in force on its service date; the history is
append-only; ``patient.poverty_status`` answers "now"."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import col

from models.clinical import Case
from models.corrections import PatientFact
from models.enums import PatientGroup, PovertyStatus
from models.errors import BadInput
from models.people import Patient
from models.settlement.tables import Settlement, SettlementLine
from tasks.infra.db import session_scope
from tasks.pathway.correction_steps import change_groups, correct_status
from tasks.pathway.patient_facts import status_and_groups_on
from tasks.settlement.settle import settle_many
from tests.reliability.builders import bill_json, discharged_cases, expected_by_engine

BILLS = [("40000.00", "500.00"), ("40000.00", "500.00"), ("40000.00", "500.00")]  # discharged 03-10, 03-11, 03-12


def _patient(url: str, case_id: int) -> int:
    with session_scope(url) as s:
        return int(s.execute(select(col(Case.patient_id)).where(col(Case.id) == case_id)).scalar_one())


def _paid(url: str) -> list[dict[str, Decimal]]:
    with session_scope(url) as s:
        rows = s.execute(
            select(col(Settlement.service_date), col(SettlementLine.layer), col(SettlementLine.paid))
            .join(Settlement, col(Settlement.id) == col(SettlementLine.settlement_id))
            .order_by(col(Settlement.service_date))
        ).tuples()
        by_day: dict[date, dict[str, Decimal]] = {}
        for day, layer, paid in rows:
            by_day.setdefault(day, {})[str(layer)] = paid
        return [by_day[d] for d in sorted(by_day)]


def test_settlement_uses_the_status_and_groups_in_force_on_the_service_date(tmp_path: Path, db_url: str) -> None:
    ids = discharged_cases(tmp_path, db_url, BILLS, poverty="registered_poor")
    pid = _patient(db_url, ids[0])
    change_groups.fn(pid, [PatientGroup.SEVERE_ILLNESS], [], date(2017, 3, 11), "coordinator", "县医院诊断为重病")
    now = correct_status.fn(pid, PovertyStatus.MINIMUM_LIVING, date(2017, 3, 12), "coordinator", "民政复核为低保")
    assert (now.poverty_status, now.groups) == (PovertyStatus.MINIMUM_LIVING, ["severe_illness"])
    with session_scope(db_url) as s:
        moved, held = settle_many(s, ids, "coordinator")
    assert (sorted(moved), held) == (ids, {})
    bills = [bill_json(db_url, cid) for cid in ids]
    facts = [("registered_poor", []), ("registered_poor", ["severe_illness"]), ("minimum_living", ["severe_illness"])]
    for bill, (status, groups) in zip(bills, facts, strict=True):
        bill["patient"] = {**bill["patient"], "poverty_status": status, "groups": groups}
    expected, _ = expected_by_engine(bills)
    assert _paid(db_url) == [{str(k): v for k, v in e.items()} for e in expected]
    # the +5 points clause (hezhang-2016b severe_poor_5) reached the second stay: same bill, more basic insurance
    first, second, _third = _paid(db_url)
    assert second["basic_insurance"] > first["basic_insurance"]


def test_status_history_answers_each_date_and_now(tmp_path: Path, db_url: str) -> None:
    ids = discharged_cases(tmp_path, db_url, BILLS[:1], poverty="registered_poor")
    pid = _patient(db_url, ids[0])
    correct_status.fn(pid, PovertyStatus.MINIMUM_LIVING, date(2017, 6, 1), "coordinator", "民政复核")
    correct_status.fn(pid, PovertyStatus.DESTITUTE, date(2017, 9, 1), "coordinator", "特困供养")
    correct_status.fn(pid, PovertyStatus.EDGE, date(2017, 6, 1), "coordinator", "6月的属性录错了，应为边缘户")
    with session_scope(db_url) as s:
        asked = [(pid, date(2017, 1, 1)), (pid, date(2017, 7, 1)), (pid, date(2017, 10, 1))]
        got = status_and_groups_on(s, asked)
        assert [got[a][0] for a in asked] == ["registered_poor", "edge", "destitute"]
        assert s.get(Patient, pid).poverty_status == "destitute"  # type: ignore[union-attr]
        rows = s.execute(select(PatientFact).order_by(col(PatientFact.id))).scalars().all()
        first = rows[0]
        assert (first.value, first.effective_from, first.actor) == ("registered_poor", date(1900, 1, 1), "coordinator")
        assert len(rows) == 4 and rows[-1].reason == "6月的属性录错了，应为边缘户"


def test_groups_leave_from_a_date(tmp_path: Path, db_url: str) -> None:
    ids = discharged_cases(tmp_path, db_url, BILLS[:1], poverty="registered_poor")
    pid = _patient(db_url, ids[0])
    both = [PatientGroup.SEVERE_ILLNESS, PatientGroup.DISASTER_STRUCK]
    change_groups.fn(pid, both, [], date(2017, 1, 1), "coordinator", "灾后重病")
    change_groups.fn(pid, [], [PatientGroup.DISASTER_STRUCK], date(2017, 7, 1), "coordinator", "灾后重建完成")
    with session_scope(db_url) as s:
        got = status_and_groups_on(s, [(pid, date(2017, 6, 30)), (pid, date(2017, 7, 1))])
    assert got[(pid, date(2017, 6, 30))][1] == {"severe_illness", "disaster_struck"}
    assert got[(pid, date(2017, 7, 1))] == ("registered_poor", frozenset({"severe_illness"}))


@pytest.mark.parametrize(
    ("reason", "day", "field"),
    [
        ("", date(2017, 6, 1), "reason"),  # every correction says why
        ("身份证 520527195003040115 的人", date(2017, 6, 1), "reason"),  # never an ID number in the audit text
        ("ok", date(2999, 1, 1), "effective_from"),  # no business date in the future
    ],
)
def test_bad_corrections_write_nothing(tmp_path: Path, db_url: str, reason: str, day: date, field: str) -> None:
    ids = discharged_cases(tmp_path, db_url, BILLS[:1], poverty="registered_poor")
    pid = _patient(db_url, ids[0])
    with pytest.raises(BadInput, match=rf"^{field}:"):
        correct_status.fn(pid, PovertyStatus.GENERAL, day, "coordinator", reason)
    with session_scope(db_url) as s:
        assert s.execute(select(PatientFact)).first() is None


def test_history_rows_cannot_be_updated_or_deleted(tmp_path: Path, db_url: str) -> None:
    ids = discharged_cases(tmp_path, db_url, BILLS[:1], poverty="registered_poor")
    correct_status.fn(_patient(db_url, ids[0]), PovertyStatus.GENERAL, date(2017, 6, 1), "coordinator", "脱贫")
    for sql in ("UPDATE patient_fact SET value = 'destitute'", "DELETE FROM patient_fact"):
        with pytest.raises(DBAPIError, match="append-only"), session_scope(db_url) as s:
            s.execute(text(sql))
