"""Tasks against a real database: import all-or-nothing, set-based moves, audit, idempotent re-runs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from models import national_id
from models.care import Referral, TreatmentEpisode
from models.clinical import Case, CaseTransition
from models.enums import CaseState
from models.intake import ImportRejected
from models.pathway import IllegalTransition
from models.people import Patient
from models.settlement.amounts import BillAmounts
from tasks.infra.db import session_scope
from tasks.pathway.diagnosis import confirm_many
from tasks.pathway.hospitals import sync_hospitals
from tasks.pathway.intake import import_screenings_file
from tasks.pathway.referral import refer_many
from tasks.pathway.steps import admit_case, discharge_case
from tasks.pathway.transitions import advance_many
from tasks.pathway.treatment import Discharge, admit_many, discharge_many
from tasks.pathway.triage import triage_many
from tasks.reports.ledger import ledger_summary

HEADER = "household_ref,national_id,name,region_code,poverty_status,screened_on,icd10\n"
A = national_id.make("520527", date(1950, 3, 1), 11)
B = national_id.make("520527", date(2012, 6, 1), 12)
ON = date(2017, 4, 1)


def write_csv(tmp_path: Path, body: str) -> str:
    path = tmp_path / "screening.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return str(path)


def count(url: str, table: str) -> int:
    with session_scope(url) as s:
        return int(s.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one())


def load_county(tmp_path: Path, url: str) -> list[int]:
    body = (
        f"H1,{A},张三,520527,destitute,2017-03-01,I10\n"
        f"H1,{A},张三,520527,destitute,2017-03-01,I11.9\n"  # same disease again → duplicate
        f"H1,{A},张三,520527,destitute,2017-03-01,S72.0\n"  # outside the catalogue
        f"H2,{B},李四,520527,registered_poor,2017-03-02,Q21.0\n"
    )
    import_screenings_file.fn(write_csv(tmp_path, body), "coordinator")
    with session_scope(url) as s:
        sync_hospitals(s)
        return list(s.execute(select(Case.id).order_by(Case.id)).scalars())


def test_bad_rows_write_nothing(tmp_path: Path, db_url: str) -> None:
    body = f"H1,{A},张三,520527,destitute,2017-03-01,I10\nH2,{B[:17]}0,李四,520527,general,2017-03-01,I10\n"
    if B.endswith("0"):
        body = body.replace(f"{B[:17]}0", f"{B[:17]}1")
    with pytest.raises(ImportRejected) as err:
        import_screenings_file.fn(write_csv(tmp_path, body), "coordinator")
    assert [(e.line, e.field) for e in err.value.errors] == [(3, "national_id")]
    assert [count(db_url, t) for t in ("household", "patient", "screening", "condition", "case")] == [0, 0, 0, 0, 0]


def test_pathway_from_screening_to_discharge(tmp_path: Path, db_url: str) -> None:
    ids = load_county(tmp_path, db_url)
    assert count(db_url, "patient") == 2 and count(db_url, "household") == 2
    with session_scope(db_url) as s:
        assert confirm_many(s, ids, ON, "coordinator") == ids
        moved, held = triage_many(s, ids, ON, "coordinator")
    assert len(moved) == 2 and held == {"not_in_catalogue": 1, "duplicate": 1}
    with session_scope(db_url) as s:
        states = dict(s.execute(select(Case.id, Case.state)).tuples().all())
        reasons = dict(s.execute(select(Case.id, Case.state_reason)).tuples().all())
        assert [states[i] for i in ids] == ["triaged", "closed", "confirmed", "triaged"]
        assert reasons[ids[2]] == "not_in_catalogue"
        moved, held = refer_many(s, ids, ON, "coordinator", urgent={ids[3]})
        assert len(moved) == 2 and held == {}
        child = s.get(Case, ids[3])
        assert child is not None and child.green_channel
        assert admit_many(s, ids, ON, "coordinator") == [ids[0], ids[3]]
        bill = Discharge(ids[0], date(2017, 4, 20), BillAmounts.parse("39467.00", "733.00"))
        assert discharge_many(s, [bill], "coordinator") == [ids[0]]
    with session_scope(db_url) as s:
        ep = s.execute(select(TreatmentEpisode).where(TreatmentEpisode.case_id == ids[0])).scalar_one()
        assert (ep.total_cost, ep.out_of_scope, ep.discharged_on) == (
            Decimal("39467.00"),
            Decimal("733.00"),
            date(2017, 4, 20),
        )
        assert s.execute(select(func.count()).select_from(Referral).where(Referral.status == "admitted")).scalar() == 2
        trail = (
            s.execute(
                select(CaseTransition.from_state, CaseTransition.to_state)
                .where(CaseTransition.case_id == ids[0])
                .order_by(CaseTransition.id)
            )
            .tuples()
            .all()
        )
        assert trail == [
            (None, "screened"),
            ("screened", "confirmed"),
            ("confirmed", "triaged"),
            ("triaged", "referred"),
            ("referred", "in_treatment"),
            ("in_treatment", "discharged"),
        ]
        summary = ledger_summary(s, "520527")
    assert (summary.special_cases, summary.treated, summary.in_treatment, summary.treatment_rate) == (2, 1, 1, "50.0%")


def test_rerun_changes_nothing(tmp_path: Path, db_url: str) -> None:
    ids = load_county(tmp_path, db_url)
    with session_scope(db_url) as s:
        confirm_many(s, ids, ON, "coordinator")
    before = count(db_url, "case_transition")
    with session_scope(db_url) as s:
        assert confirm_many(s, ids, ON, "coordinator") == []
        assert advance_many(s, ids, CaseState.SCREENED, CaseState.CONFIRMED, actor="coordinator", reason="again") == []
    assert count(db_url, "case_transition") == before


def test_audit_is_append_only(tmp_path: Path, db_url: str) -> None:
    load_county(tmp_path, db_url)
    for sql in ("UPDATE case_transition SET actor = 'x'", "DELETE FROM case_transition"):
        with pytest.raises(DBAPIError, match="append-only"), session_scope(db_url) as s:
            s.execute(text(sql))


def test_single_step_raises_naming_states_and_is_idempotent(tmp_path: Path, db_url: str) -> None:
    ids = load_county(tmp_path, db_url)
    with pytest.raises(IllegalTransition, match="screened -> discharged"):
        discharge_case.fn(ids[0], date(2017, 4, 2), BillAmounts.parse("1.00"), "coordinator")
    with session_scope(db_url) as s:
        confirm_many(s, ids, ON, "coordinator")
        triage_many(s, ids, ON, "coordinator")
        refer_many(s, ids, ON, "coordinator")
    first = admit_case.fn(ids[0], ON, "coordinator")
    again = admit_case.fn(ids[0], ON, "coordinator")
    assert (first.changed, first.state, again.changed, again.state) == (True, "in_treatment", False, "in_treatment")
    assert count(db_url, "treatment_episode") == 1


@pytest.mark.postgres
def test_money_round_trips_exactly_on_postgres(tmp_path: Path, pg_url: str) -> None:
    ids = load_county(tmp_path, pg_url)
    with session_scope(pg_url) as s:
        for step in (confirm_many, triage_many, refer_many):
            step(s, ids, ON, "coordinator")  # type: ignore[operator]
        admit_many(s, ids, ON, "coordinator")
        discharge_many(s, [Discharge(ids[0], ON, BillAmounts.parse("114634.48", "2987.41"))], "coordinator")
    with session_scope(pg_url) as s:
        ep = s.execute(select(TreatmentEpisode).where(TreatmentEpisode.case_id == ids[0])).scalar_one()
        assert (ep.total_cost - ep.out_of_scope) == Decimal("111647.07")
        assert str(ep.total_cost) == "114634.48"
        assert s.execute(select(func.count()).select_from(Patient)).scalar() == 2
