"""Referral to designated hospitals (定点医院), set-based per chunk; capacity counted from the database."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlmodel import Session, col

from config.catalogue import load_catalogue, load_hospitals
from models.care import Hospital, Referral
from models.clinical import Case
from models.enums import CaseState, ReferralDirection, ReferralReason, ReferralStatus
from models.referral import choose_hospital
from tasks.pathway.transitions import advance_many

_PART = 900
ACTIVE = (CaseState.REFERRED, CaseState.IN_TREATMENT)


def current_load(session: Session) -> dict[str, int]:
    """Active cases (referred or in treatment) per hospital code."""
    stmt = (
        select(col(Hospital.code), func.count())
        .join(Case, col(Case.hospital_id) == col(Hospital.id))
        .where(col(Case.state).in_(ACTIVE))
        .group_by(col(Hospital.code))
    )
    return dict(session.execute(stmt).tuples().all())


def refer_many(
    session: Session,
    case_ids: Sequence[int],
    referred_on: date,
    actor: str,
    *,
    urgent: Collection[int] = (),
    direction: ReferralDirection = ReferralDirection.INITIAL,
    from_state: CaseState = CaseState.TRIAGED,
) -> tuple[list[int], dict[str, int]]:
    """``from_state`` → REFERRED for every case a designated hospital with capacity can take.

    Cases nobody can take stay where they are with the reason (no_capacity / no_designated_hospital).
    """
    catalogue = load_catalogue()
    hospitals = load_hospitals()
    ids_by_code = dict(session.execute(select(col(Hospital.code), col(Hospital.id))).tuples().all())
    level_by_id = {ids_by_code[h.code]: h.level for h in hospitals if h.code in ids_by_code}
    load = current_load(session)
    rows: list[Any] = []
    for start in range(0, len(case_ids), _PART):
        rows.extend(
            session.execute(
                select(col(Case.id), col(Case.disease_code), col(Case.region_code), col(Case.hospital_id))
                .where(col(Case.id).in_(case_ids[start : start + _PART]), col(Case.state) == from_state)
                .order_by(col(Case.id))
            ).all()
        )
    referrals: list[dict[str, object]] = []
    placed: list[dict[str, Any]] = []
    held: dict[str, list[int]] = {}
    for case_id, disease_code, region_code, hospital_id in rows:
        disease = catalogue.get(disease_code) if disease_code else None
        if disease is None:
            held.setdefault("not_in_catalogue", []).append(case_id)
            continue
        choice = choose_hospital(
            disease,
            region_code,
            hospitals,
            load,
            urgent=case_id in urgent,
            direction=direction,
            current_level=level_by_id.get(hospital_id),
        )
        if choice.hospital_code is None:
            held.setdefault((choice.reason or ReferralReason.NO_DESIGNATED_HOSPITAL).value, []).append(case_id)
            continue
        load[choice.hospital_code] = load.get(choice.hospital_code, 0) + 1
        target = ids_by_code[choice.hospital_code]
        placed.append({"id": case_id, "hospital_id": target, "green_channel": choice.green_channel})
        referrals.append(
            {
                "case_id": case_id,
                "hospital_id": target,
                "from_hospital_id": hospital_id,
                "direction": direction,
                "status": ReferralStatus.PENDING,
                "urgent": case_id in urgent,
                "green_channel": choice.green_channel,
                "referred_on": referred_on,
                "actor": actor,
            }
        )
    moved = advance_many(
        session,
        [p["id"] for p in placed],
        from_state,
        CaseState.REFERRED,
        actor=actor,
        reason=f"{direction.value} referral",
        on=referred_on,
    )
    if placed:
        session.execute(update(Case), placed)
        session.execute(insert(Referral), referrals)
    for reason, ids in held.items():
        session.execute(update(Case).where(col(Case.id).in_(ids)).values(state_reason=reason))
    return moved, {reason: len(ids) for reason, ids in held.items()}
