"""Case corrections on SQLite and PostgreSQL, each audited (actor, reason) and never an UPDATE of history: a
corrected diagnosis re-triages, a close names its reason, an undo is a new move (refused past a settled stay)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import col

from models import national_id
from models.care import Referral
from models.clinical import Case, CaseTransition, Condition
from models.corrections import CaseCorrection, CorrectionKind, CorrectionRefused
from models.enums import CaseState, CloseReason
from tasks.infra.db import session_scope
from tasks.pathway.correction_steps import close_case_step, correct_diagnosis_case, undo_case
from tasks.pathway.diagnosis import confirm_many
from tasks.pathway.hospitals import sync_hospitals
from tasks.pathway.intake import import_screenings_file
from tasks.pathway.referral import refer_many
from tasks.pathway.triage import triage_many
from tasks.settlement.settle import settle_many
from tests.reliability.builders import discharged_cases

HEADER = "household_ref,national_id,name,region_code,poverty_status,screened_on,icd10\n"
ON = date(2017, 4, 1)


def two_cases(tmp_path: Path, url: str, *, refer: bool = True) -> list[int]:
    """One patient of 赫章 with hypertension and tuberculosis, confirmed, triaged (and referred)."""
    nid = national_id.make("520527", date(1960, 5, 5), 31)
    body = (
        f"H1,{nid},王某,520527,registered_poor,2017-03-01,I10\nH1,{nid},王某,520527,registered_poor,2017-03-01,A15.0\n"
    )
    (tmp_path / "s.csv").write_text(HEADER + body, encoding="utf-8")
    import_screenings_file.fn(str(tmp_path / "s.csv"), "coordinator")
    with session_scope(url) as s:
        sync_hospitals(s)
        ids = list(s.execute(select(col(Case.id)).order_by(col(Case.id))).scalars())
        confirm_many(s, ids, ON, "coordinator")
        triage_many(s, ids, ON, "coordinator")
        if refer:
            refer_many(s, ids, ON, "coordinator")
    return ids


def case_row(url: str, case_id: int) -> Case:
    with session_scope(url) as s:
        row = s.get(Case, case_id)
        assert row is not None
        s.expunge(row)
        return row


def test_diagnosis_correction_before_treatment_re_triages_and_withdraws_the_referral(
    tmp_path: Path, db_url: str
) -> None:
    first, _ = two_cases(tmp_path, db_url)
    done = correct_diagnosis_case.fn(first, "E11.9", ON, "coordinator", "出院诊断为糖尿病")
    assert (done.state, done.changed) == (CaseState.TRIAGED, True)
    case = case_row(db_url, first)
    assert (case.disease_code, case.category, case.hospital_id) == ("diabetes", "long_term", None)
    with session_scope(db_url) as s:
        assert s.get(Condition, case.condition_id).icd10 == "E11.9"  # type: ignore[union-attr]
        audit = s.execute(select(CaseCorrection)).scalar_one()
        assert (audit.kind, audit.actor, audit.reason) == (CorrectionKind.DIAGNOSIS, "coordinator", "出院诊断为糖尿病")
        move = s.get(CaseTransition, audit.transition_id)
        assert (move.from_state, move.to_state) == ("referred", "triaged")  # type: ignore[union-attr]
        assert s.execute(select(col(Referral.status)).where(col(Referral.case_id) == first)).scalar() == "cancelled"


def test_diagnosis_correction_to_a_disease_the_patient_has_is_refused(tmp_path: Path, db_url: str) -> None:
    first, _ = two_cases(tmp_path, db_url)
    with pytest.raises(CorrectionRefused, match="already has case"):
        correct_diagnosis_case.fn(first, "A15.0", ON, "coordinator", "结核")
    with session_scope(db_url) as s:
        assert s.execute(select(CaseCorrection)).first() is None


def test_diagnosis_outside_the_catalogue_closes_a_case_not_yet_treated(tmp_path: Path, db_url: str) -> None:
    first, _ = two_cases(tmp_path, db_url)
    done = correct_diagnosis_case.fn(first, "S72.0", ON, "coordinator", "实为股骨骨折")
    assert done.state == CaseState.CLOSED and case_row(db_url, first).state_reason == "not_in_catalogue"


def test_close_for_death_closes_the_patients_other_cases(tmp_path: Path, db_url: str) -> None:
    first, second = two_cases(tmp_path, db_url)
    done = close_case_step.fn(first, CloseReason.DIED, "coordinator", "2017-05-02 家属告知死亡")
    assert (done.state, done.also_closed) == (CaseState.CLOSED, [second])
    assert [case_row(db_url, c).state_reason for c in (first, second)] == ["died", "died"]
    again = close_case_step.fn(first, CloseReason.DIED, "coordinator", "again")
    assert again.changed is False
    with session_scope(db_url) as s:
        kinds = s.execute(select(col(CaseCorrection.kind), col(CaseCorrection.case_id))).tuples().all()
    assert sorted(kinds) == [("close", first), ("close", second)]


def test_undo_is_a_new_move_and_twice_goes_two_steps_back(tmp_path: Path, db_url: str) -> None:
    first, _ = two_cases(tmp_path, db_url)
    assert undo_case.fn(first, "coordinator", "转错医院").state == CaseState.TRIAGED
    assert case_row(db_url, first).hospital_id is None
    done = undo_case.fn(first, "coordinator", "分类错了")
    case = case_row(db_url, first)
    assert (done.state, case.disease_code, case.category) == (CaseState.CONFIRMED, None, None)
    with session_scope(db_url) as s:
        moves = (
            s.execute(
                select(col(CaseTransition.from_state), col(CaseTransition.to_state))
                .where(col(CaseTransition.case_id) == first)
                .order_by(col(CaseTransition.id))
            )
            .tuples()
            .all()
        )
    assert moves[-2:] == [("referred", "triaged"), ("triaged", "confirmed")]
    assert len(moves) == 6  # screened, confirmed, triaged, referred + two undo rows: nothing rewritten


def test_undo_of_a_close_reopens_the_case(tmp_path: Path, db_url: str) -> None:
    first, _ = two_cases(tmp_path, db_url)
    close_case_step.fn(first, CloseReason.REFUSED, "coordinator", "本人拒绝")
    assert undo_case.fn(first, "coordinator", "本人同意救治").state == CaseState.REFERRED


def test_undo_past_a_settled_stay_is_refused(tmp_path: Path, db_url: str) -> None:
    [case_id] = discharged_cases(tmp_path, db_url, [("1000.00", "0")])
    with session_scope(db_url) as s:
        settle_many(s, [case_id], "coordinator")
    with pytest.raises(CorrectionRefused, match=f"case {case_id}: .*reversed"):
        undo_case.fn(case_id, "coordinator", "结算错了")
    with pytest.raises(CorrectionRefused, match="discharged and settled"):
        close_case_step.fn(
            discharged_cases(tmp_path, db_url, [("1.00", "0")], seq=78)[0], CloseReason.DIED, "coordinator", "x"
        )


def test_corrections_cannot_be_updated_or_deleted(tmp_path: Path, db_url: str) -> None:
    first, _ = two_cases(tmp_path, db_url)
    close_case_step.fn(first, CloseReason.DUPLICATE, "coordinator", "重复建档")
    for sql in ("UPDATE case_correction SET reason = 'x'", "DELETE FROM case_correction"):
        with pytest.raises(DBAPIError, match="append-only"), session_scope(db_url) as s:
            s.execute(text(sql))
