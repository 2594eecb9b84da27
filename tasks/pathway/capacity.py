"""Capacity over time (per hospital and disease) and the waiting list, counted from the database.

Used beds: referrals still open (pending / accepted, the case not yet admitted) plus inpatient stays not yet
discharged, per pool (``DesignatedHospital.pool``); a disease with monthly slots counts the referrals made in
the month. So capacity frees when a stay is discharged (or a new month starts), with nothing to release.
Every decision that uses the count first takes ``lock_capacity``: two discharges freeing the same bed cannot
both refer someone into it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from config.catalogue import load_catalogue, load_hospitals
from models.care import Hospital, Referral, TreatmentEpisode
from models.clinical import Case
from models.enums import CareSetting, CaseState, HospitalLocation, ReferralReason, ReferralStatus
from models.errors import BadInput
from models.referral import DesignatedHospital, has_room, location_of, waiting_rank
from models.referral_history import OPEN_REFERRAL
from models.waiting import PoolRow, WaitingReport, WaitingRow

#: The waiting list: triaged cases no designated hospital had room for.
WAITING_REASON = ReferralReason.NO_CAPACITY.value


def lock_capacity(session: Session) -> None:
    """Serialise capacity decisions: a no-op UPDATE of every hospital row — row locks on PostgreSQL, and on
    SQLite the database's write lock taken *before* the load is read (SQLite starts a transaction only at
    the first write). Held until the unit of work commits."""
    session.execute(update(Hospital).values(capacity=col(Hospital.capacity)))


def hospital_codes(session: Session) -> dict[int, str]:
    return dict(session.execute(select(col(Hospital.id), col(Hospital.code))).tuples().all())


def _month(on: date) -> tuple[date, date]:
    start = on.replace(day=1)
    return start, (start + timedelta(days=32)).replace(day=1)


def pool_load(session: Session, on: date) -> dict[str, int]:
    """Used capacity per pool on ``on``: open referrals + open inpatient stays (beds), referrals of the
    month (monthly slots). Cases without a catalogue disease or hospitals not in config count nowhere."""
    config = {h.code: h for h in load_hospitals()}
    code_of = hospital_codes(session)
    used: dict[str, int] = {}

    def add(rows: Any, monthly: bool) -> None:
        for hospital_id, disease, n in rows:
            h = config.get(code_of.get(hospital_id, ""))
            if h is not None and disease and h.monthly(disease) == monthly:
                used[h.pool(disease)] = used.get(h.pool(disease), 0) + n

    ref_keys = (col(Referral.hospital_id), col(Case.disease_code))
    reserved = (
        select(*ref_keys, func.count())
        .join(Case, col(Case.id) == col(Referral.case_id))
        .where(col(Referral.status).in_(OPEN_REFERRAL), col(Case.state) == CaseState.REFERRED)
        .group_by(*ref_keys)
    )
    stay_keys = (col(TreatmentEpisode.hospital_id), col(Case.disease_code))
    staying = (
        select(*stay_keys, func.count())
        .join(Case, col(Case.id) == col(TreatmentEpisode.case_id))
        .where(col(TreatmentEpisode.discharged_on).is_(None), col(TreatmentEpisode.setting) == CareSetting.INPATIENT)
        .group_by(*stay_keys)
    )
    start, end = _month(on)
    month = (
        select(*ref_keys, func.count())
        .join(Case, col(Case.id) == col(Referral.case_id))
        .where(
            col(Referral.referred_on) >= start,
            col(Referral.referred_on) < end,
            col(Referral.status).not_in((ReferralStatus.DECLINED, ReferralStatus.CANCELLED)),
        )
        .group_by(*ref_keys)
    )
    add(session.execute(reserved).tuples(), monthly=False)
    add(session.execute(staying).tuples(), monthly=False)
    add(session.execute(month).tuples(), monthly=True)
    return used


@dataclass(frozen=True, slots=True)
class Waiting:
    """One case on the waiting list (internal ids and codes only)."""

    case_id: int
    disease_code: str
    region_code: str
    green_channel: bool
    since: datetime


def waiting_list(session: Session, region_code: str | None = None, lock: bool = False) -> list[Waiting]:
    """Triaged cases waiting for capacity: green channel first, then the longest wait (since triage).
    ``lock``: skip cases another transaction holds (a coordinator acting on one right now) and lock the rest."""
    since = func.coalesce(col(Case.triaged_at), col(Case.state_changed_at))
    stmt = (
        select(col(Case.id), col(Case.disease_code), col(Case.region_code), col(Case.green_channel), since)
        .where(col(Case.state) == CaseState.TRIAGED, col(Case.state_reason) == WAITING_REASON)
        .order_by(col(Case.green_channel).desc(), since, col(Case.id))
    )
    if region_code:
        stmt = stmt.where(col(Case.region_code) == region_code)
    if lock:
        stmt = stmt.with_for_update(skip_locked=True, of=Case)
    found = [Waiting(cid, d or "", r, bool(g), s) for cid, d, r, g, s in session.execute(stmt).tuples()]
    return sorted(found, key=lambda w: waiting_rank(w.green_channel, w.since, w.case_id))


def could_place(waiting: Sequence[Waiting], hospitals: Sequence[DesignatedHospital], load: dict[str, int]) -> list[int]:
    """The waiting cases (in order) that some designated hospital of their province has room for now; the
    rest are not worth a referral attempt (one answer per disease and county)."""
    room: dict[tuple[str, str], bool] = {}
    out: list[int] = []
    for w in waiting:
        key = (w.disease_code, w.region_code)
        if key not in room:
            room[key] = any(
                w.disease_code in h.diseases
                and location_of(w.region_code, h.region) != HospitalLocation.OUT_OF_PROVINCE
                and has_room(h, w.disease_code, load)
                for h in hospitals
            )
        if room[key]:
            out.append(w.case_id)
    return out


def pools_of(hospital: DesignatedHospital, load: dict[str, int]) -> list[PoolRow]:
    """The hospital's pools with what is in use: shared beds first, then each disease's own."""
    rows = [
        PoolRow(
            hospital_code=hospital.code,
            hospital_name=hospital.name,
            pool="shared",
            kind="beds",
            used=load.get(hospital.code, 0),
            limit=hospital.capacity,
        )
    ]
    for kind, pool in (("beds", hospital.beds), ("monthly_slots", hospital.monthly_slots)):
        rows.extend(
            PoolRow(
                hospital_code=hospital.code,
                hospital_name=hospital.name,
                pool=disease,
                kind=kind,
                used=load.get(hospital.pool(disease), 0),
                limit=limit,
            )
            for disease, limit in sorted(pool.items())
        )
    return rows


def waiting_report(
    session: Session, on: date, region_code: str | None, hospital_code: str | None, limit: int
) -> WaitingReport:
    """The waiting list (of a region; of the cases a hospital could take) and the capacity in use."""
    hospitals = load_hospitals()
    chosen = [h for h in hospitals if h.code == hospital_code] if hospital_code else None
    if hospital_code and not chosen:
        raise BadInput("hospital", f"unknown designated hospital code {hospital_code}")
    waiting = waiting_list(session, region_code)
    if chosen:
        h = chosen[0]
        waiting = [
            w
            for w in waiting
            if w.disease_code in h.diseases and location_of(w.region_code, h.region) != HospitalLocation.OUT_OF_PROVINCE
        ]
    catalogue = load_catalogue()
    rows = []
    for n, w in enumerate(waiting[:limit], start=1):
        disease = catalogue.get(w.disease_code)
        since = w.since.date()
        rows.append(
            WaitingRow(
                rank=n,
                case_id=w.case_id,
                disease_code=w.disease_code,
                disease_zh=disease.name_zh if disease else w.disease_code,
                region_code=w.region_code,
                green_channel=w.green_channel,
                waiting_since=since,
                days_waiting=max((on - since).days, 0),
            )
        )
    shown = chosen or [h for h in hospitals if region_code is None or h.region == region_code]
    load = pool_load(session, on)
    return WaitingReport(
        on=on,
        region_code=region_code,
        hospital_code=hospital_code,
        total=len(waiting),
        green_channel=sum(1 for w in waiting if w.green_channel),
        rows=rows,
        capacity=[p for h in shown for p in pools_of(h, load)],
    )
