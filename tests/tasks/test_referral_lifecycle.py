"""Referral lifecycle against a real database: accept, decline (re-referred to the next hospital, or back to
the waiting list), completed on admission, the coordinator's pick, one hospital for a patient's cases,
capacity freed by a discharge referring the first waiting (green channel first) — and never more than once."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

import tasks.pathway.capacity as capacity_module
import tasks.pathway.referral as referral_module
from models.care import Hospital, Referral, TreatmentEpisode
from models.clinical import CaseTransition
from models.enums import CaseState, ReferralDirection, ReferralStatus
from models.errors import BadInput
from models.referral_history import DeclineReason, ReferralEvent
from models.settlement.amounts import BillAmounts
from tasks.infra.db import session_scope
from tasks.pathway.capacity import pool_load, waiting_list
from tasks.pathway.reactions import refer_waiting_after_discharge
from tasks.pathway.referral import refer_many
from tasks.pathway.referral_steps import accept_referral, decline_referral
from tasks.pathway.steps import refer_case
from tasks.pathway.treatment import Discharge, admit_many, discharge_many
from tasks.pathway.waiting import refer_waiting_list
from tests.tasks.referral_world import ON, case, forget_small_county, triaged_cases, use_small_county

TB, HYPERTENSION, DIABETES = "A15.0", "I10", "E11.9"
INITIAL = ReferralDirection.INITIAL


@pytest.fixture()
def county(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    use_small_county(tmp_path, monkeypatch)
    yield tmp_path
    forget_small_county()


def refer(ids: list[int], urgent: set[int] | None = None) -> tuple[list[int], dict[str, int]]:
    with session_scope() as s:
        return refer_many(s, ids, ON, "system", urgent=urgent or set())


def hospital_of(case_id: int) -> str | None:
    with session_scope() as s:
        hid = case(case_id).hospital_id
        return s.execute(select(col(Hospital.code)).where(col(Hospital.id) == hid)).scalar()


def referrals(case_id: int) -> list[Referral]:
    with session_scope() as s:
        return list(
            s.execute(select(Referral).where(col(Referral.case_id) == case_id).order_by(col(Referral.id))).scalars()
        )


def history(referral_id: int) -> list[tuple[str, str, str | None, str]]:
    with session_scope() as s:
        rows = s.execute(
            select(ReferralEvent).where(col(ReferralEvent.referral_id) == referral_id).order_by(col(ReferralEvent.id))
        )
        return [(e.from_status, e.to_status, e.reason, e.actor) for e in rows.scalars()]


def test_accept_then_admission_completes_the_referral(county: Path) -> None:
    (a,) = triaged_cases(county, [(1, TB)])
    refer([a])
    (ref,) = referrals(a)
    first = accept_referral.fn(ref.id or 0, ON, "coordinator")
    again = accept_referral.fn(ref.id or 0, ON, "coordinator")
    assert (first.status, first.changed, again.changed) == (ReferralStatus.ACCEPTED, True, False)
    with session_scope() as s:
        admit_many(s, [a], ON + timedelta(days=2), "coordinator")
    (ref,) = referrals(a)
    assert ref.status == ReferralStatus.ADMITTED
    assert history(ref.id or 0) == [
        ("pending", "accepted", None, "coordinator"),
        ("accepted", "admitted", "admitted", "coordinator"),
    ]
    with session_scope() as s:
        stay = s.execute(select(TreatmentEpisode).where(col(TreatmentEpisode.case_id) == a)).scalars().one()
    assert stay.referral_id == ref.id
    with pytest.raises(BadInput, match="only a pending or accepted one can be declined"):
        decline_referral.fn(ref.id or 0, DeclineReason.NO_BED, ON, "coordinator")


def test_decline_re_refers_to_the_next_hospital_audited(county: Path) -> None:
    (a,) = triaged_cases(county, [(1, TB)])
    refer([a])
    assert hospital_of(a) == "520527-PH"
    (first,) = referrals(a)
    out = decline_referral.fn(first.id or 0, DeclineReason.BEYOND_CAPABILITY, ON, "coordinator")
    assert (out.status, out.case_state, out.hospital_code) == ("declined", CaseState.REFERRED, "520527-TB2")
    old, new = referrals(a)
    assert (old.status, new.status, new.hospital_id != old.hospital_id) == ("declined", "pending", True)
    assert out.next_referral_id == new.id
    assert history(old.id or 0) == [("pending", "declined", "beyond_capability", "coordinator")]
    with session_scope() as s:
        stmt = select(CaseTransition).where(col(CaseTransition.case_id) == a).order_by(col(CaseTransition.id))
        moves = [(t.from_state, t.to_state, t.actor) for t in s.execute(stmt).scalars()]
    assert moves[-1] == ("referred", "referred", "coordinator")
    # TB2 declines too: no designated hospital left that did not decline → back to triaged, not on the list
    out = decline_referral.fn(new.id or 0, DeclineReason.NO_BED, ON, "coordinator")
    assert (out.case_state, case(a).state_reason, case(a).hospital_id) == (
        CaseState.TRIAGED,
        "no_designated_hospital",
        None,
    )


def test_decline_with_every_other_bed_taken_puts_the_case_on_the_waiting_list(county: Path) -> None:
    a, b = triaged_cases(county, [(1, TB), (2, TB)])
    refer([a, b])
    assert [hospital_of(a), hospital_of(b)] == ["520527-PH", "520527-TB2"]
    out = decline_referral.fn(referrals(a)[0].id or 0, DeclineReason.NO_BED, ON, "coordinator")
    assert out.case_state == CaseState.TRIAGED
    with session_scope() as s:
        assert [w.case_id for w in waiting_list(s)] == [a]


def test_coordinator_pick_is_checked_as_designated_for_the_disease(county: Path) -> None:
    a, h = triaged_cases(county, [(1, TB), (2, HYPERTENSION)])
    with pytest.raises(BadInput, match="520527-TH1 is not designated for tuberculosis"):
        refer_case.fn(a, ON, False, INITIAL, "coordinator", "520527-TH1")
    with pytest.raises(BadInput, match="unknown designated hospital code NOPE"):
        refer_case.fn(a, ON, False, INITIAL, "coordinator", "NOPE")
    assert case(a).state == CaseState.TRIAGED and not referrals(a)  # nothing written
    picked = refer_case.fn(a, ON, False, INITIAL, "coordinator", "520527-TB2")  # PH would be preferred
    assert (picked.state, hospital_of(a)) == (CaseState.REFERRED, "520527-TB2")
    refer_case.fn(h, ON, False, INITIAL, "coordinator", "520527-TH2")
    again = refer_case.fn(h, ON, False, INITIAL, "coordinator", "520527-TH1")  # change of mind: supersedes
    old, new = referrals(h)
    assert (old.status, new.status, hospital_of(h), again.changed) == ("cancelled", "pending", "520527-TH1", True)
    assert history(old.id or 0) == [("pending", "cancelled", "superseded", "coordinator")]


def test_one_hospital_for_a_patients_hypertension_and_diabetes(county: Path) -> None:
    other, h, d = triaged_cases(county, [(1, HYPERTENSION), (2, HYPERTENSION), (2, DIABETES)])
    refer([other])  # TH1 now has one patient: by load alone the next case would go to TH2
    refer([h])
    refer([d])
    assert hospital_of(other) == "520527-TH1"
    assert hospital_of(h) == "520527-TH2"
    assert hospital_of(d) == hospital_of(h)


def _admit_and_discharge(case_id: int, on: date) -> None:
    with session_scope() as s:
        admit_many(s, [case_id], on, "coordinator")
    with session_scope() as s:
        discharge_many(
            s,
            [Discharge(case_id, on + timedelta(days=5), BillAmounts.typed(Decimal("1000.00"), Decimal("0.00"), 0))],
            "coordinator",
        )


def test_discharge_frees_the_bed_for_the_first_waiting_green_channel_first(county: Path) -> None:
    a, b, c, d = triaged_cases(county, [(1, TB), (2, TB), (3, TB), (4, TB)])
    moved, held = refer([a, b, c, d], urgent={d})
    assert (len(moved), held) == (2, {"no_capacity": 2})
    with session_scope() as s:
        assert [(w.case_id, w.green_channel) for w in waiting_list(s)] == [(d, True), (c, False)]
    _admit_and_discharge(a, ON + timedelta(days=1))
    done = refer_waiting_after_discharge.fn(a, ON + timedelta(days=6), "events")
    again = refer_waiting_after_discharge.fn(a, ON + timedelta(days=6), "events")  # a re-delivered event
    assert (done.moved, again.moved) == (1, 0)
    assert (case(d).state, hospital_of(d), case(d).green_channel) == (CaseState.REFERRED, "520527-PH", True)
    assert case(c).state == CaseState.TRIAGED
    with session_scope() as s:
        assert pool_load(s, ON)["520527-PH/tuberculosis"] == 1


def test_monthly_slots_free_when_the_month_turns(county: Path) -> None:
    a, b = triaged_cases(county, [(1, "N18.5"), (2, "N18.5")])
    assert refer([a, b]) == ([a], {"no_capacity": 1})
    _admit_and_discharge(a, ON + timedelta(days=1))  # a discharge frees no monthly slot
    assert refer_waiting_list.fn(ON + timedelta(days=10), "nightly").moved == 0
    assert refer_waiting_list.fn(date(2017, 5, 1), "nightly").moved == 1
    assert case(b).state == CaseState.REFERRED


def test_one_freed_bed_is_never_given_twice(county: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A discharge's refill (the first waiting case) and a coordinator's referral of another case run at once
    for the one bed that freed: the capacity lock makes the second see the first's referral. Without it both
    read one free bed (the barrier lets both read before either writes) and the bed is given twice."""
    a, b, c, e = triaged_cases(county, [(1, TB), (2, TB), (3, TB), (4, TB)])
    refer([a, b, c])  # a → PH, b → TB2, c waits; e is triaged, not yet referred
    _admit_and_discharge(a, ON + timedelta(days=1))
    barrier = threading.Barrier(2, timeout=3)
    real = capacity_module.pool_load

    def both_read(*args: Any) -> dict[str, int]:
        load = real(*args)
        with contextlib.suppress(threading.BrokenBarrierError):  # the other one waits for the lock: the guard works
            barrier.wait()
        return load

    monkeypatch.setattr(referral_module, "pool_load", both_read)
    errors: list[BaseException] = []

    def run(step: Any) -> None:
        try:
            step()
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    day = ON + timedelta(days=7)
    threads = [
        threading.Thread(target=run, args=(lambda: refer_waiting_list.fn(day, "nightly"),)),
        threading.Thread(target=run, args=(lambda: refer_case.fn(e, day, False, INITIAL, "coordinator"),)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert [case(x).state for x in (c, e)].count(CaseState.REFERRED) == 1
    with session_scope() as s:
        assert pool_load(s, ON)["520527-PH/tuberculosis"] == 1


def test_referral_history_cannot_be_rewritten(county: Path) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    (a,) = triaged_cases(county, [(1, TB)])
    refer([a])
    accept_referral.fn(referrals(a)[0].id or 0, ON, "coordinator")
    for sql in ("UPDATE referral_event SET actor = 'someone'", "DELETE FROM referral_event"):
        with pytest.raises(DBAPIError, match="append-only"), session_scope() as s:
            s.execute(text(sql))
