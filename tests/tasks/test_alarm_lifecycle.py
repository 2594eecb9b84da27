"""The alarm lifecycle on a small county (预警 → 核实 → 处置 → 销号): an alarm opens once and stays open while
its condition holds, closes itself when the condition ends, escalates when unhandled; a coordinator's steps are
audited; the nightly rules judge business dates, so a night replayed later, or with other record times, gives
the same answer; a regional rule set is checked on its own cadence."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update
from sqlmodel import col

from models.alarms import AlarmAction, AlarmEvent, AlarmStatus, AlarmStep
from models.care import FollowUp, TreatmentEpisode
from models.clinical import Case, Condition
from models.enums import CaseState, PovertyStatus
from models.errors import BadInput
from models.findings import Finding
from models.people import Household, Patient
from models.settlement.tables import Settlement
from tasks.alarms.actions import AlarmStepRequest, apply_step, list_alarms
from tasks.infra.db import session_scope
from tasks.nightly import run as nightly
from tests.tasks.test_nightly import World

NIGHT = date(2017, 9, 30)
LATER = datetime(2026, 11, 30, 9, tzinfo=UTC)  # when the rows were typed in: record time, not business time


def night(on: date) -> int:
    run_id, *_ = nightly.start_run.fn(on, None, None)
    for stage in nightly.STAGES:
        for bounds in nightly.plan_chunks.fn(run_id, stage, 100):
            nightly.assess_chunk.fn(run_id, stage, bounds, "nightly")
    return nightly.finish_run.fn(run_id).run_id


def maintenance_case(w: World, name: str, discharged: date) -> int:
    """A tuberculosis case (follow-up every 30 days) in maintenance since its discharge, never followed up,
    typed in long afterwards (its record times are all LATER)."""
    w.person(name)
    case_id = w.case(name, CaseState.UNDER_MAINTENANCE, "tuberculosis", "maintenance", "A15.0", 0)
    w.s.execute(update(Condition).where(col(Condition.id) == w.s.get(Case, case_id).condition_id)  # type: ignore[union-attr]
                .values(confirmed_on=discharged - timedelta(days=60)))  # fmt: skip
    w.s.execute(update(Case).where(col(Case.id) == case_id).values(state_changed_at=LATER, created_at=LATER,
                                                                   triaged_at=LATER))  # fmt: skip
    w.s.add(TreatmentEpisode(icd10="I10", case_id=case_id, patient_id=w.patients[name], hospital_id=w.hospital,
                             admitted_on=discharged - timedelta(days=10), discharged_on=discharged))  # fmt: skip
    return case_id


def active(kind: str) -> dict[str, tuple[str, date | None]]:
    with session_scope() as s:
        rows = s.execute(select(Finding.subject, Finding.status, Finding.escalated_on)
                         .where(col(Finding.kind) == kind, col(Finding.cleared_on).is_(None)))  # fmt: skip
        return {subj: (str(st), esc) for subj, st, esc in rows}


def count(table: type) -> int:
    with session_scope() as s:
        return int(s.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.mark.parametrize(
    ("on", "overdue"),
    [
        pytest.param(NIGHT, True, id="demo night 2017-09-30: discharged 2017-06-01, no follow-up since: overdue"),
        pytest.param(date(2017, 6, 20), False, id="19 days after discharge: within the 30-day interval"),
        pytest.param(date(2017, 5, 20), False, id="before the discharge: the case was not in maintenance yet"),
        pytest.param(date(2026, 12, 31), True, id="long after: overdue"),
    ],
)
def test_business_dates_not_record_time(db_url: str, on: date, overdue: bool) -> None:
    with session_scope() as s:
        case_id = maintenance_case(World(s), "tb", date(2017, 6, 1))
    night(on)
    assert (f"case:{case_id}" in active("overdue_follow_up")) is overdue


def test_replayed_night_equals_lived_night(db_url: str) -> None:
    """The same data judged for one night: lived through (record times that night) or replayed years later
    (every record time moved to LATER) opens the same alarms."""
    with session_scope() as s:
        w = World(s)
        maintenance_case(w, "tb", date(2017, 6, 1))
        w.person("waiting")
        w.case("waiting", CaseState.TRIAGED, "tuberculosis", "maintenance", "A15.0", 110)  # confirmed 2017-08-13
        w.person("fresh")
        fresh = w.case("fresh", CaseState.REFERRED, "tuberculosis", "maintenance", "A15.0", 65)  # 09-27
    with session_scope() as s:  # lived through: nothing typed after the night
        s.execute(update(Case).values(state_changed_at=datetime(2017, 9, 30, tzinfo=UTC)))
    lived = night(NIGHT)
    with session_scope() as s:
        lived_set = set(s.execute(select(Finding.kind, Finding.subject).where(col(Finding.run_id) == lived)))
        s.execute(update(Case).values(state_changed_at=LATER, created_at=LATER, triaged_at=LATER))
        s.execute(update(Finding).values(cleared_on=NIGHT))  # forget the alarms: judge again from scratch
        s.execute(update(FollowUp).values(created_at=LATER))
    with session_scope() as s:
        from models.findings import NightlyRun

        s.execute(update(NightlyRun).values(night=date(2017, 9, 29)))  # a new run row for the replay
    replayed = night(NIGHT)
    with session_scope() as s:
        replay_set = set(s.execute(select(Finding.kind, Finding.subject).where(col(Finding.run_id) == replayed)))
    assert replay_set == lived_set
    assert {k for k, _ in lived_set} >= {"overdue_follow_up", "untreated"}
    assert ("untreated", f"case:{fresh}") not in lived_set, "referred 3 days before the night"


def test_open_once_stay_open_close_itself(db_url: str) -> None:
    with session_scope() as s:
        case_id = maintenance_case(World(s), "tb", date(2017, 6, 1))
    first = night(NIGHT)
    rows = count(Finding)
    assert active("overdue_follow_up") == {f"case:{case_id}": ("open", None)}
    second = night(NIGHT + timedelta(days=1))  # nothing changed: nothing written
    assert count(Finding) == rows and count(AlarmEvent) == 0
    with session_scope() as s:
        summary = nightly.summary(s, second)
    assert summary.opened["overdue_follow_up"] == 0 and summary.findings["overdue_follow_up"] == 1
    with session_scope() as s:  # the follow-up is recorded: the condition ends, the alarm closes itself
        s.add(FollowUp(case_id=case_id, followed_on=NIGHT + timedelta(days=2), actor="t"))
    third = night(NIGHT + timedelta(days=2))
    assert active("overdue_follow_up") == {}
    with session_scope() as s:
        alarm = s.execute(select(Finding).where(col(Finding.run_id) == first)).scalars().one()
        assert (alarm.status, alarm.cleared_on) == (AlarmStatus.RESOLVED, NIGHT + timedelta(days=2))
        event = s.execute(select(AlarmEvent)).scalars().one()
        assert (event.step, event.actor, event.finding_id) == (AlarmStep.RESOLVE, "nightly", alarm.id)
        assert nightly.summary(s, third).resolved["overdue_follow_up"] == 1


def test_coordinator_steps_are_audited_and_handled_stays_quiet(db_url: str) -> None:
    with session_scope() as s:
        case_id = maintenance_case(World(s), "tb", date(2017, 6, 1))
    night(NIGHT)
    with session_scope() as s:
        (alarm,) = list_alarms(s, "coordinator")
        assert alarm.subject == f"case:{case_id}"
        apply_step(s, AlarmStepRequest(finding_id=alarm.id, step=AlarmStep.ACKNOWLEDGE, actor="coordinator",
                                       note="电话核实，患者未随访"))  # fmt: skip
        apply_step(s, AlarmStepRequest(finding_id=alarm.id, step=AlarmStep.HANDLE, actor="coordinator",
                                       action=AlarmAction.FOLLOW_UP_DONE, note="已安排乡医随访"))  # fmt: skip
    with session_scope() as s, pytest.raises(BadInput, match="cannot handle"):
        apply_step(s, AlarmStepRequest(finding_id=alarm.id, step=AlarmStep.HANDLE, actor="coordinator",
                                       action=AlarmAction.DATA_CORRECTED))  # fmt: skip
    with session_scope() as s, pytest.raises(BadInput, match="note"):
        apply_step(s, AlarmStepRequest(finding_id=alarm.id, step=AlarmStep.DISMISS, actor="coordinator"))
    with session_scope() as s:
        steps = s.execute(select(AlarmEvent.step, AlarmEvent.actor, AlarmEvent.action).order_by(AlarmEvent.id)).all()
    assert [tuple(r) for r in steps] == [
        (AlarmStep.ACKNOWLEDGE, "coordinator", None),
        (AlarmStep.HANDLE, "coordinator", AlarmAction.FOLLOW_UP_DONE),
    ]
    night(NIGHT + timedelta(days=1))  # the condition still holds: handled, not re-raised
    assert active("overdue_follow_up") == {f"case:{case_id}": ("handled", None)}
    with session_scope() as s:
        assert list_alarms(s, "coordinator") == []


def test_unhandled_alarm_escalates_once_to_the_prefecture(db_url: str) -> None:
    with session_scope() as s:
        case_id = maintenance_case(World(s), "tb", date(2017, 6, 1))
    night(NIGHT)
    night(NIGHT + timedelta(days=15))  # 15 days: not yet past the limit
    assert active("overdue_follow_up")[f"case:{case_id}"] == ("open", None)
    with session_scope() as s:
        assert list_alarms(s, "bijie-supervisor") == [], "the prefecture sees escalated alarms only"
    night(NIGHT + timedelta(days=16))
    night(NIGHT + timedelta(days=17))
    assert active("overdue_follow_up")[f"case:{case_id}"] == ("open", NIGHT + timedelta(days=16))
    with session_scope() as s:
        assert [a.subject for a in list_alarms(s, "bijie-supervisor")] == [f"case:{case_id}"]
        steps = list(s.execute(select(AlarmEvent.step)).scalars())
    assert steps == [AlarmStep.ESCALATE], "escalated once"


def test_regional_rule_runs_on_its_cadence(db_url: str) -> None:
    """阳原 2022: a 脱贫 household above 50% of Hebei's 2021 rural income (9,089.50) is checked every 10 days;
    the default per-stay rule (6,000) does not apply there."""
    with session_scope() as s:
        w = World(s)
        w.person("lifted", PovertyStatus.REGISTERED_POOR)
        case_id = w.case("lifted", CaseState.CURED, "cataract", "one_time_cure", "H25.9", 100)
        for model, region in ((Household, "130727"), (Patient, "130727"), (Case, "130727")):
            s.execute(update(model).values(region_code=region))
        ep = TreatmentEpisode(icd10="I10", case_id=case_id, patient_id=w.patients["lifted"], hospital_id=w.hospital,
                              admitted_on=date(2022, 3, 1), discharged_on=date(2022, 3, 5))  # fmt: skip
        s.add(ep)
        s.flush()
        s.add(Settlement(episode_id=ep.id or 0, case_id=case_id, patient_id=w.patients["lifted"], policy_id="t",
                         service_date=date(2022, 3, 5), total=Decimal("30000.00"), in_scope=Decimal("30000.00"),
                         patient_pays=Decimal("9100.00"), self_pay_ratio=Decimal("0.3033"), actor="t"))  # fmt: skip
    night(date(2022, 3, 9))
    assert active("poverty_alarm") == {}, "not due on the 9th"
    night(date(2022, 3, 10))
    household = w.households["lifted"]
    assert set(active("poverty_alarm")) == {f"household:{household}/yy_lifted_over_half_income"}
    night(date(2022, 3, 11))  # not due: its open alarm is not judged, so it stays open
    assert set(active("poverty_alarm")) == {f"household:{household}/yy_lifted_over_half_income"}
