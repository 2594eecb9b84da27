"""Admission, discharge, outcome and follow-up of special-disease cases, set-based over a chunk of case ids
(stays without a case: ``tasks.pathway.stays``).

Every function takes a session and skips cases that are no longer in the expected state, so re-runs
and re-delivered events change nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlmodel import Session, col

from models.care import FamilyDoctorContract, FollowUp, TreatmentEpisode
from models.clinical import Case, Condition
from models.enums import CareSetting, CaseState, FollowUpOutcome, TreatmentKind
from models.events import Change, DomainEvent
from models.pathway import outcome_state
from models.settlement.amounts import BillAmounts
from tasks.infra.events import record
from tasks.pathway.referral_status import complete_on_admission
from tasks.pathway.transitions import advance_many

_PART = 900


@dataclass(frozen=True, slots=True)
class Discharge:
    """One case's discharge: its date and its bill (validated where it entered)."""

    case_id: int
    discharged_on: date
    bill: BillAmounts


def _select_in(
    session: Session, cols: tuple[Any, ...], key: Any, ids: Sequence[int], *extra: Any
) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for start in range(0, len(ids), _PART):
        stmt = select(*cols).where(key.in_(ids[start : start + _PART]), *extra)
        out.extend(tuple(r) for r in session.execute(stmt))
    return out


def admit_many(
    session: Session,
    case_ids: Sequence[int],
    admitted_on: date,
    actor: str,
    setting: CareSetting = CareSetting.INPATIENT,
    *,
    kind: TreatmentKind = TreatmentKind.GENERAL,
    from_state: CaseState = CaseState.REFERRED,
    hospital_id: int | None = None,
) -> list[int]:
    """REFERRED → IN_TREATMENT: opens a stay at the case's referred hospital, with the case's diagnosis. A case
    under maintenance or management is admitted again the same way (``from_state``), without a new referral;
    ``hospital_id`` admits elsewhere than the case's hospital."""
    reason = "admitted" if from_state == CaseState.REFERRED else f"admitted again ({from_state.value})"
    moved = advance_many(
        session, case_ids, from_state, CaseState.IN_TREATMENT, actor=actor, reason=reason, on=admitted_on
    )
    if not moved:
        return []
    rows = _select_in(
        session,
        (col(Case.id), col(Case.patient_id), col(Case.hospital_id), col(Condition.icd10)),
        col(Case.id),
        moved,
        col(Condition.id) == col(Case.condition_id),
    )
    pending = complete_on_admission(session, moved, admitted_on, actor)  # referral → admitted, audited
    session.execute(
        insert(TreatmentEpisode),
        [
            {
                "case_id": cid,
                "patient_id": pid,
                "hospital_id": hospital_id or hid,
                "referral_id": pending.get(cid),
                "icd10": icd10,
                "treatment_kind": kind,
                "setting": setting,
                "admitted_on": admitted_on,
                "sessions": 0,
                "admitted_by": actor,
            }
            for cid, pid, hid, icd10 in rows
        ],
    )
    return moved


def discharge_many(session: Session, discharges: Sequence[Discharge], actor: str) -> list[int]:
    """IN_TREATMENT → DISCHARGED: closes the open episode with its bill amounts."""
    by_case = {d.case_id: d for d in discharges}
    on = {d.case_id: d.discharged_on for d in discharges}
    moved = advance_many(
        session, list(by_case), CaseState.IN_TREATMENT, CaseState.DISCHARGED, actor=actor, reason="discharged", on=on
    )
    episodes = _select_in(
        session,
        (col(TreatmentEpisode.id), col(TreatmentEpisode.case_id)),
        col(TreatmentEpisode.case_id),
        moved,
        col(TreatmentEpisode.discharged_on).is_(None),
    )
    if episodes:
        session.execute(
            update(TreatmentEpisode),
            [
                {
                    "id": eid,
                    "discharged_on": by_case[cid].discharged_on,
                    "total_cost": by_case[cid].bill.total_cost,
                    "out_of_scope": by_case[cid].bill.out_of_scope,
                    "sessions": by_case[cid].bill.sessions,
                    "discharged_by": actor,
                }
                for eid, cid in episodes
            ],
        )
    return moved


def finish_many(session: Session, case_ids: Sequence[int], actor: str) -> dict[str, int]:
    """SETTLED → cured / under maintenance / under management, by each case's category. The outcome takes effect
    on the case's last discharge (its business date, as the nightly run dates an outcome state)."""
    last_discharge = (
        select(func.max(col(TreatmentEpisode.discharged_on)))
        .where(col(TreatmentEpisode.case_id) == col(Case.id))
        .scalar_subquery()
    )
    groups: dict[CaseState, list[int]] = {}
    on: dict[int, date] = {}
    for cid, category, discharged in _select_in(
        session, (col(Case.id), col(Case.category), last_discharge), col(Case.id), case_ids,
        col(Case.state) == CaseState.SETTLED,
    ):  # fmt: skip
        groups.setdefault(outcome_state(category), []).append(cid)
        on[cid] = discharged
    return {
        to.value: len(advance_many(session, ids, CaseState.SETTLED, to, actor=actor, reason="outcome after settlement",
                                   on=on))
        for to, ids in groups.items()
    }  # fmt: skip


def record_follow_ups(
    session: Session,
    case_ids: Sequence[int],
    followed_on: date,
    actor: str,
    outcome: FollowUpOutcome = FollowUpOutcome.STABLE,
) -> int:
    """Append one follow-up per live case (follow-ups are facts, not state changes); the outcome is one of a
    fixed list, stored (and sent in the event) as its value: nothing typed freely."""
    outcome = FollowUpOutcome(outcome)
    live = [
        cid
        for (cid,) in _select_in(session, (col(Case.id),), col(Case.id), case_ids, col(Case.state) != CaseState.CLOSED)
    ]
    if live:
        session.execute(
            insert(FollowUp),
            [{"case_id": cid, "followed_on": followed_on, "actor": actor, "outcome": outcome.value} for cid in live],
        )
        payload = {"actor": actor, "outcome": outcome.value, "on": followed_on.isoformat()}
        record(session, Change(DomainEvent.FOLLOW_UP_RECORDED, "case", tuple(live), payload))
    return len(live)


def sign_contracts(
    session: Session, patient_ids: Sequence[int], signed_on: date, doctor_ref: str, years: int = 1
) -> int:
    """Family-doctor contracts (家庭医生签约) for patients without one in force on ``signed_on``."""
    have = {
        pid
        for (pid,) in _select_in(
            session,
            (col(FamilyDoctorContract.patient_id),),
            col(FamilyDoctorContract.patient_id),
            patient_ids,
            col(FamilyDoctorContract.expires_on) >= signed_on,
        )
    }
    new = sorted(set(patient_ids) - have)
    if new:
        expires = signed_on + timedelta(days=365 * years)
        session.execute(
            insert(FamilyDoctorContract),
            [
                {"patient_id": pid, "doctor_ref": doctor_ref, "signed_on": signed_on, "expires_on": expires}
                for pid in new
            ],
        )
    return len(new)
