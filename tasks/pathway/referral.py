"""Referral to designated hospitals (定点医院), set-based per chunk; capacity counted from the database
(``tasks.pathway.capacity``) under its lock. A referral's later status changes are ``referral_event`` rows
(``tasks.pathway.referral_status``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import insert, select, update
from sqlmodel import Session, col

from config.catalogue import load_catalogue, load_hospitals
from models.care import Referral
from models.catalogue import Disease
from models.clinical import Case
from models.enums import CaseState, ReferralDirection, ReferralReason, ReferralStatus
from models.errors import BadInput
from models.referral import ReferralChoice, Together, choose_hospital
from models.referral_history import ReferralNote
from tasks.infra.bulkwrite import id_in
from tasks.pathway.capacity import hospital_codes, lock_capacity, pool_load
from tasks.pathway.referral_status import change_status, open_referrals
from tasks.pathway.transitions import advance_many

_PART = 900
#: Cases whose hospital counts for "one hospital for all of a patient's open cases".
AT_HOSPITAL = (CaseState.REFERRED, CaseState.IN_TREATMENT, CaseState.UNDER_MAINTENANCE, CaseState.UNDER_MANAGEMENT)
NOT_OPEN = (CaseState.SCREENED, CaseState.CONFIRMED, CaseState.CURED, CaseState.CLOSED)


def _rows(session: Session, cols: tuple[Any, ...], key: Any, ids: Sequence[int], *where: Any) -> list[Any]:
    out: list[Any] = []
    for start in range(0, len(ids), _PART):
        out.extend(session.execute(select(*cols).where(key.in_(ids[start : start + _PART]), *where)).all())
    return out


@dataclass(slots=True)
class _Patients:
    """The open cases of the batch's patients: (case id, disease, hospital code or None) per patient."""

    cases: dict[int, list[tuple[int, str, str | None]]] = field(default_factory=dict)

    def together(self, patient_id: int, case_id: int) -> Together:
        others = [c for c in self.cases.get(patient_id, []) if c[0] != case_id]
        return Together(frozenset(d for _, d, _ in others), frozenset(h for _, _, h in others if h))

    def placed(self, patient_id: int, case_id: int, disease: str, code: str) -> None:
        rest = [c for c in self.cases.get(patient_id, []) if c[0] != case_id]
        self.cases[patient_id] = [*rest, (case_id, disease, code)]


def _patients(session: Session, patient_ids: Sequence[int], code_of: dict[int, str]) -> _Patients:
    out = _Patients()
    rows = _rows(
        session,
        (col(Case.patient_id), col(Case.id), col(Case.disease_code), col(Case.hospital_id), col(Case.state)),
        col(Case.patient_id),
        sorted(set(patient_ids)),
        col(Case.state).not_in(NOT_OPEN),
        col(Case.disease_code).is_not(None),
    )
    for pid, cid, disease, hid, state in rows:
        at = code_of.get(hid) if state in AT_HOSPITAL and hid is not None else None
        out.cases.setdefault(pid, []).append((cid, disease, at))
    return out


def declined_by(session: Session, case_ids: Sequence[int], code_of: dict[int, str]) -> dict[int, frozenset[str]]:
    """Hospitals that declined each case since its last admission (not asked again for it)."""
    found: dict[int, set[str]] = {}
    rows = _rows(
        session,
        (col(Referral.case_id), col(Referral.hospital_id), col(Referral.status)),
        col(Referral.case_id),
        case_ids,
    )
    for cid, hid, status in sorted(rows, key=lambda r: r[0]):
        if status == ReferralStatus.ADMITTED:
            found[cid] = set()
        elif status == ReferralStatus.DECLINED:
            found.setdefault(cid, set()).add(code_of.get(hid, ""))
    return {cid: frozenset(codes) for cid, codes in found.items()}


def picked(disease: Disease, region: str, code: str, load: dict[str, int], **ask: Any) -> ReferralChoice:
    """The coordinator's choice, checked: designated for the disease in the patient's province, with room."""
    hospital = next((h for h in load_hospitals() if h.code == code), None)
    if hospital is None:
        raise BadInput("hospital", f"unknown designated hospital code {code}")
    choice = choose_hospital(disease, region, [hospital], load, **ask)
    if choice.reason == ReferralReason.NO_DESIGNATED_HOSPITAL:
        raise BadInput("hospital", f"{code} is not designated for {disease.code} ({disease.name_zh}) for this case")
    if choice.reason == ReferralReason.NO_CAPACITY:
        raise BadInput("hospital", f"{code} has no free capacity for {disease.code} ({disease.name_zh})")
    return choice


def refer_many(
    session: Session,
    case_ids: Sequence[int],
    referred_on: date,
    actor: str,
    *,
    urgent: Collection[int] = (),
    direction: ReferralDirection = ReferralDirection.INITIAL,
    from_state: CaseState = CaseState.TRIAGED,
    hospital_code: str | None = None,
) -> tuple[list[int], dict[str, int]]:
    """``from_state`` → REFERRED for every case a designated hospital with room can take, in the order of
    ``case_ids`` (the waiting list's order when it refers the waiting). ``hospital_code``: the coordinator's
    pick (one case; BadInput when not designated or full). A case that was REFERRED already has its open
    referral cancelled (superseded). Cases nobody can take stay where they are with the reason
    (no_capacity — the waiting list — or no_designated_hospital); a held urgent case keeps its green channel.
    """
    catalogue, hospitals, direction = load_catalogue(), load_hospitals(), ReferralDirection(direction)
    lock_capacity(session)
    code_of = hospital_codes(session)
    id_of = {code: hid for hid, code in code_of.items()}
    level_by_id = {id_of[h.code]: h.level for h in hospitals if h.code in id_of}
    load = pool_load(session, referred_on)
    order = {cid: n for n, cid in enumerate(case_ids)}
    cols = (col(Case.id), col(Case.disease_code), col(Case.region_code), col(Case.hospital_id), col(Case.patient_id))
    rows = sorted(
        _rows(session, cols, col(Case.id), list(case_ids), col(Case.state) == from_state), key=lambda r: order[r[0]]
    )
    patients = _patients(session, [r[4] for r in rows], code_of)
    declined = declined_by(session, [r[0] for r in rows], code_of)
    referrals: list[dict[str, object]] = []
    held: dict[str, list[int]] = {}
    for case_id, disease_code, region_code, hospital_id, patient_id in rows:
        disease = catalogue.get(disease_code) if disease_code else None
        if disease is None:
            held.setdefault("not_in_catalogue", []).append(case_id)
            continue
        ask = {"urgent": case_id in urgent, "direction": direction, "current_level": level_by_id.get(hospital_id)}
        if hospital_code is not None:
            choice = picked(disease, region_code, hospital_code, load, **ask)
        else:
            ask |= {"together": patients.together(patient_id, case_id), "exclude": declined.get(case_id, frozenset())}
            choice = choose_hospital(disease, region_code, hospitals, load, **ask)  # type: ignore[arg-type]
        if choice.hospital_code is None:
            held.setdefault((choice.reason or ReferralReason.NO_DESIGNATED_HOSPITAL).value, []).append(case_id)
            continue
        pool = next(h for h in hospitals if h.code == choice.hospital_code).pool(disease.code)
        load[pool] = load.get(pool, 0) + 1
        patients.placed(patient_id, case_id, disease.code, choice.hospital_code)
        referrals.append(
            {
                "case_id": case_id,
                "hospital_id": id_of[choice.hospital_code],
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
        [int(str(r["case_id"])) for r in referrals],
        from_state,
        CaseState.REFERRED,
        actor=actor,
        reason=f"{direction.value} referral",
        on=referred_on,
    )
    referrals = [r for r in referrals if r["case_id"] in set(moved)]
    if referrals:
        if from_state == CaseState.REFERRED:
            superseded = open_referrals(session, moved)
            change_status(session, superseded, ReferralStatus.CANCELLED, actor, referred_on, ReferralNote.SUPERSEDED)
        placed = [
            {"id": r["case_id"], "hospital_id": r["hospital_id"], "green_channel": r["green_channel"]}
            for r in referrals
        ]
        session.execute(update(Case), placed)
        session.execute(insert(Referral), referrals)
    _hold(session, held, set(urgent))
    return moved, {reason: len(ids) for reason, ids in held.items()}


def _hold(session: Session, held: dict[str, list[int]], urgent: set[int]) -> None:
    """Record why each held case waits; an urgent one keeps its green channel (first on the waiting list)."""
    for reason, ids in held.items():
        for start in range(0, len(ids), 30_000):
            part = ids[start : start + 30_000]
            session.execute(update(Case).where(id_in(session, col(Case.id), part)).values(state_reason=reason))
            hot = [i for i in part if i in urgent]
            if hot:
                session.execute(update(Case).where(id_in(session, col(Case.id), hot)).values(green_channel=True))
