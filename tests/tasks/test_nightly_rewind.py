"""A night judged after the cases moved on (issue 19: "a replayed or back-dated night gives the same answer as
living through it"): cases driven through the real steps, a night lived through, then steps dated after it
(admission, closing, referral), then the same night judged again — the same alarms, by the state each case had
on the night (``case_transition.occurred_on``), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from models.clinical import CaseTransition
from models.enums import CareSetting, CaseState, CloseReason, ReferralDirection, TreatmentKind
from models.findings import Finding, NightlyRun
from models.settlement.amounts import BillAmounts
from models.timeline import DateOutOfOrder
from tasks.infra.db import session_scope
from tasks.pathway.correction_steps import close_case_step, undo_case
from tasks.pathway.steps import admit_case, discharge_case, refer_case
from tasks.pathway.treatment import Discharge, discharge_many, finish_many
from tasks.settlement.settle import settle_case, settle_many
from tests.tasks.stay_world import patient_of, referred_case
from tests.tasks.test_alarm_lifecycle import night

NIGHT = date(2017, 6, 30)


def alarms(run_id: int) -> dict[tuple[str, str], str]:
    with session_scope() as s:
        rows = s.execute(select(Finding.kind, Finding.subject, Finding.reason).where(col(Finding.run_id) == run_id))
        return {(k, subj): reason for k, subj, reason in rows}


def forget_alarms(before: date) -> None:
    """Clear every alarm and move the run of NIGHT to ``before``, so the night is judged again from scratch."""
    with session_scope() as s:
        s.execute(update(Finding).values(cleared_on=NIGHT))
        s.execute(update(NightlyRun).where(col(NightlyRun.night) == NIGHT).values(night=before))


def maintained(tmp_path: Path, url: str, seq: int, icd10: str = "N18.5") -> int:
    """A dialysis case (follow-up every 30 days; I10: long-term management, every 90): one month of sessions in
    March, settled, under maintenance (management) from its discharge on 03-28, never followed up."""
    case_id = referred_case(tmp_path, url, icd10, seq=seq)
    admit_case.fn(case_id, date(2017, 3, 1), "coordinator", CareSetting.OUTPATIENT, TreatmentKind.DIALYSIS)
    discharge_case.fn(case_id, date(2017, 3, 28), BillAmounts.parse("6000.00", "120.00", 12), "coordinator")
    settle_case.fn(case_id, "coordinator")
    with session_scope(url) as s:
        finish_many(s, [case_id], "coordinator")
    return case_id


def test_a_night_judged_again_after_the_cases_moved_on_gives_the_lived_answer(tmp_path: Path, db_url: str) -> None:
    waiting = referred_case(tmp_path, db_url, "N18.5", seq=41)  # referred 02-20, admitted only on 07-10
    undone = referred_case(tmp_path, db_url, "N18.5", seq=42)  # its referral undone, referred again on 07-05
    undo_case.fn(undone, "coordinator", "转错医院")
    dying = maintained(tmp_path, db_url, 43)  # under maintenance, overdue on the night; died on 08-01
    managed = maintained(tmp_path, db_url, 46, "I10")  # under management without a contract; re-admitted 07-03
    lived = alarms(night(NIGHT))
    assert set(lived) >= {("untreated", f"case:{waiting}"), ("untreated", f"case:{undone}"),
                          ("overdue_follow_up", f"case:{dying}"),
                          ("expiring_contract", f"patient:{patient_of(db_url, managed)}")}, lived  # fmt: skip

    admit_case.fn(waiting, date(2017, 7, 10), "coordinator")
    refer_case.fn(undone, date(2017, 7, 5), False, ReferralDirection.INITIAL, "coordinator")
    close_case_step.fn(dying, CloseReason.DIED, "coordinator", "家属告知", date(2017, 8, 1))
    admit_case.fn(managed, date(2017, 7, 3), "coordinator")
    forget_alarms(date(2017, 6, 29))
    replayed = alarms(night(NIGHT))
    assert replayed == lived, "the same alarms, with the same reasons, as the night lived through"
    assert "waiting in triaged" in replayed[("untreated", f"case:{undone}")], "the undo outranks the referral"

    forget_alarms(date(2017, 6, 28))
    later = alarms(night(date(2017, 9, 30)))
    assert ("untreated", f"case:{waiting}") not in later, "in treatment since 07-10"
    assert ("overdue_follow_up", f"case:{dying}") not in later, "closed on 08-01 (died)"
    assert "waiting in referred" in later[("untreated", f"case:{undone}")], "referred again on 07-05, not admitted"


def test_each_move_records_its_business_date(tmp_path: Path, db_url: str) -> None:
    case_id = maintained(tmp_path, db_url, 44)
    close_case_step.fn(case_id, CloseReason.MOVED_AWAY, "coordinator", "迁往外省", date(2017, 5, 2))
    with session_scope(db_url) as s:
        moves = s.execute(
            select(col(CaseTransition.to_state), col(CaseTransition.occurred_on))
            .where(col(CaseTransition.case_id) == case_id)
            .order_by(col(CaseTransition.id))
        ).tuples()
        dated = [(str(to), on) for to, on in moves]
    assert dated == [
        (CaseState.SCREENED, date(2017, 2, 1)),
        (CaseState.CONFIRMED, date(2017, 2, 20)),
        (CaseState.TRIAGED, date(2017, 2, 20)),
        (CaseState.REFERRED, date(2017, 2, 20)),
        (CaseState.IN_TREATMENT, date(2017, 3, 1)),
        (CaseState.DISCHARGED, date(2017, 3, 28)),
        (CaseState.SETTLED, date(2017, 3, 28)),
        (CaseState.UNDER_MAINTENANCE, date(2017, 3, 28)),  # the outcome takes effect at the discharge
        (CaseState.CLOSED, date(2017, 5, 2)),
    ]


@pytest.mark.parametrize(
    ("on", "why"),
    [
        pytest.param(date(2017, 3, 27), "before the previous discharge on 2017-03-28", id="before its last stay"),
        pytest.param(date(2999, 1, 1), "is in the future", id="in the future"),
    ],
)
def test_a_closing_date_out_of_order_is_refused(tmp_path: Path, db_url: str, on: date, why: str) -> None:
    case_id = maintained(tmp_path, db_url, 45)
    with pytest.raises(DateOutOfOrder, match=f"case {case_id}: closed_on: .*{why}"):
        close_case_step.fn(case_id, CloseReason.DIED, "coordinator", "家属告知", on)


def test_a_chunk_of_several_days_dates_each_case_by_its_own_stay(tmp_path: Path, db_url: str) -> None:
    """Bulk discharge, settlement and outcome of two cases discharged on different days, in one call each."""
    cases = [referred_case(tmp_path, db_url, "N18.5", seq=seq) for seq in (47, 48)]
    out = {cases[0]: date(2017, 3, 10), cases[1]: date(2017, 3, 20)}
    for case_id in cases:
        admit_case.fn(case_id, date(2017, 3, 1), "coordinator")
    with session_scope(db_url) as s:
        discharge_many(s, [Discharge(c, d, BillAmounts.parse("3000.00")) for c, d in out.items()], "coordinator")
        settle_many(s, cases, "coordinator")
        finish_many(s, cases, "coordinator")
    with session_scope(db_url) as s:
        moves = s.execute(
            select(col(CaseTransition.case_id), col(CaseTransition.to_state), col(CaseTransition.occurred_on))
            .where(col(CaseTransition.case_id).in_(cases), col(CaseTransition.occurred_on) > date(2017, 3, 1))
            .order_by(col(CaseTransition.id))
        ).tuples()
        dated = {(c, str(to)): on for c, to, on in moves}
    for c, d in out.items():
        for state in (CaseState.DISCHARGED, CaseState.SETTLED, CaseState.UNDER_MAINTENANCE):
            assert dated[(c, state)] == d, (c, state)
