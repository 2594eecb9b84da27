"""补查: a night asked after a later night ran is a replay — it finds what a night lived through would have
found and counts it, while the alarms (and what coordinators did with them), the cases and the waiting list stay
as the later night left them (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import col

from models.alarms import AlarmEvent, AlarmStep
from models.care import Referral
from models.clinical import CaseTransition
from models.findings import Finding
from models.schemas import NightlySummary
from tasks.alarms.actions import AlarmStepRequest, apply_step
from tasks.infra.db import session_scope
from tasks.nightly import run as nightly
from tasks.pathway.steps import admit_case
from tests.tasks.stay_world import referred_case
from tests.tasks.test_nightly_rewind import maintained


def judge(on: date) -> NightlySummary:
    run_id, *_ = nightly.start_run.fn(on, None, None)
    for stage in nightly.STAGES:
        for bounds in nightly.plan_chunks.fn(run_id, stage, 100):
            nightly.assess_chunk.fn(run_id, stage, bounds, "nightly")
    return nightly.finish_run.fn(run_id)


def written() -> dict[str, object]:
    """Everything a night could change: the alarms as they stand, their audit, the moves, the referrals."""
    with session_scope() as s:
        alarms = s.execute(select(Finding.id, Finding.status, Finding.cleared_on, Finding.escalated_on)).all()
        return {
            "alarms": sorted(tuple(a) for a in alarms),
            **{t.__name__: s.execute(select(func.count()).select_from(t)).scalar_one()
               for t in (AlarmEvent, CaseTransition, Referral)},
        }  # fmt: skip


def test_a_back_dated_night_counts_what_it_finds_and_leaves_the_alarms_as_they_are(tmp_path: Path, db_url: str) -> None:
    waiting = referred_case(tmp_path, db_url, "N18.5", seq=51)  # referred 02-20, admitted 07-10
    overdue = maintained(tmp_path, db_url, 52)  # under maintenance from 03-28, never followed up
    admit_case.fn(waiting, date(2017, 7, 10), "coordinator")
    lived = judge(date(2017, 9, 30))
    assert not lived.replay and lived.findings["overdue_follow_up"] == 1 and lived.findings["untreated"] == 0
    with session_scope() as s:
        alarm = s.execute(select(Finding.id).where(col(Finding.subject) == f"case:{overdue}")).scalar_one()
        apply_step(s, AlarmStepRequest(finding_id=alarm, step=AlarmStep.ACKNOWLEDGE, actor="coordinator",
                                       note="电话核实"))  # fmt: skip
    before = written()

    replay = judge(date(2017, 6, 30))  # after 09-30 ran: a replay
    assert replay.replay
    assert (replay.findings["untreated"], replay.findings["overdue_follow_up"]) == (1, 1), "as lived on 06-30"
    assert sum(replay.opened.values()) == sum(replay.resolved.values()) == replay.escalated == 0
    assert written() == before, "no alarm opened, cleared, escalated or audited; no case moved or referred"
    (now,), (then,) = lived.regions, replay.regions  # the ledger as it stood: waiting was still referred
    assert now.by_state == {"in_treatment": 1, "under_maintenance": 1} and now.not_yet_treated == 0
    assert then.by_state == {"referred": 1, "under_maintenance": 1} and then.not_yet_treated == 1
    assert judge(date(2017, 6, 30)) == replay, "asked again: the stored answer"

    after = judge(date(2017, 10, 1))  # the next night lived: the acknowledged alarm kept, nothing re-opened
    assert not after.replay and sum(after.opened.values()) == 0
    with session_scope() as s:
        status = s.execute(select(Finding.status).where(col(Finding.id) == alarm)).scalar_one()
    assert status == "acknowledged"
