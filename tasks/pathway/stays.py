"""Stays of a registered patient that treat no special-disease case (a fracture, a delivery, a chronic
outpatient course): opened and closed here, settled like every stay (``tasks.settlement.settle``); and the
dates a step is checked against (``models.timeline``).

Every function takes a session; the caller holds the patient's lock (``lock_patient``) so two admissions of
one patient cannot both open a stay.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from models.care import Hospital, Referral, TreatmentEpisode
from models.clinical import Case, Condition, Screening
from models.enums import CareSetting, TreatmentKind
from models.errors import BadInput, NotFound
from models.events import Change, DomainEvent
from models.people import Patient
from models.settlement.amounts import BillAmounts
from models.timeline import Step
from tasks.infra.events import record


class StayNotFound(NotFound):
    def __init__(self, stay_id: int) -> None:
        super().__init__("stay", stay_id)


class StayOpen(BadInput):
    """The patient already has an open stay of this setting (discharge it first)."""

    def __init__(self, patient_id: int, stay_id: int, admitted_on: date) -> None:
        super().__init__("admitted_on", f"patient {patient_id} already has stay {stay_id} open since {admitted_on}")


def lock_patient(session: Session, patient_id: int) -> Patient:
    """The patient row, locked (FOR NO KEY UPDATE on PostgreSQL: the lock settlement takes too)."""
    stmt = select(Patient).where(col(Patient.id) == patient_id).with_for_update(key_share=True)
    patient = session.execute(stmt).scalars().first()
    if patient is None:
        from models.errors import PatientNotFound

        raise PatientNotFound(patient_id)
    assert isinstance(patient, Patient)
    return patient


def lock_stay(session: Session, stay_id: int) -> TreatmentEpisode:
    stay = (
        session.execute(select(TreatmentEpisode).where(col(TreatmentEpisode.id) == stay_id).with_for_update())
        .scalars()
        .first()
    )
    if stay is None:
        raise StayNotFound(stay_id)
    assert isinstance(stay, TreatmentEpisode)
    return stay


def hospital_by_code(session: Session, code: str) -> int:
    found = session.execute(select(col(Hospital.id)).where(col(Hospital.code) == code.strip())).scalar()
    if found is None:
        raise BadInput("hospital", f"unknown hospital code {code.strip()!r} (config/data/hospitals.yaml)")
    return int(found)


def open_stays(session: Session, patient_id: int, setting: CareSetting) -> list[TreatmentEpisode]:
    stmt = select(TreatmentEpisode).where(
        col(TreatmentEpisode.patient_id) == patient_id,
        col(TreatmentEpisode.setting) == setting,
        col(TreatmentEpisode.discharged_on).is_(None),
    )
    return list(session.execute(stmt.order_by(col(TreatmentEpisode.id))).scalars())


def last_discharge(session: Session, *where: object) -> date | None:
    stmt = select(func.max(col(TreatmentEpisode.discharged_on))).where(*where)  # type: ignore[arg-type]
    value = session.execute(stmt).scalar()
    return value if isinstance(value, date) else None


def open_stay(
    session: Session,
    patient_id: int,
    hospital_id: int,
    icd10: str,
    admitted_on: date,
    actor: str,
    *,
    setting: CareSetting = CareSetting.INPATIENT,
    kind: TreatmentKind = TreatmentKind.GENERAL,
) -> tuple[int, bool]:
    """Open a stay without a case; returns (stay id, opened). The same admission again (same hospital,
    diagnosis, day) returns the open stay unchanged; another open stay of the same setting is refused."""
    for stay in open_stays(session, patient_id, setting):
        if (stay.hospital_id, stay.icd10, stay.admitted_on) == (hospital_id, icd10, admitted_on):
            return stay.id or 0, False
        raise StayOpen(patient_id, stay.id or 0, stay.admitted_on)
    stay = TreatmentEpisode(
        patient_id=patient_id,
        hospital_id=hospital_id,
        icd10=icd10,
        treatment_kind=kind,
        setting=setting,
        admitted_on=admitted_on,
        admitted_by=actor,
    )
    session.add(stay)
    session.flush()
    payload = {"actor": actor, "on": admitted_on.isoformat(), "setting": setting.value, "kind": kind.value}
    record(session, Change(DomainEvent.TREATMENT_ADMITTED, "stay", (stay.id or 0,), payload))
    return stay.id or 0, True


def close_stay(session: Session, stay: TreatmentEpisode, discharged_on: date, bill: BillAmounts, actor: str) -> bool:
    """Discharge an open stay without a case with its bill; False when it was already discharged."""
    done = session.execute(
        update(TreatmentEpisode)
        .where(col(TreatmentEpisode.id) == stay.id, col(TreatmentEpisode.discharged_on).is_(None))
        .values(
            discharged_on=discharged_on,
            total_cost=bill.total_cost,
            out_of_scope=bill.out_of_scope,
            sessions=bill.sessions,
            discharged_by=actor,
        )
        .returning(col(TreatmentEpisode.id))
    ).first()
    if done is None:
        return False
    payload = {"actor": actor, "on": discharged_on.isoformat()}
    record(session, Change(DomainEvent.TREATMENT_DISCHARGED, "stay", (stay.id or 0,), payload))
    return True


def case_dates(session: Session, case_id: int) -> dict[Step, date | None]:
    """The dates the case has so far: screening, confirmation, latest referral, its stays' latest discharge and
    the admission of its open stay (what a discharge is checked against)."""
    screened, confirmed = session.execute(
        select(col(Screening.screened_on), col(Condition.confirmed_on))
        .select_from(Case)
        .join(Condition, col(Condition.id) == col(Case.condition_id))
        .outerjoin(Screening, col(Screening.id) == col(Condition.screening_id))
        .where(col(Case.id) == case_id)
    ).one()
    referred = session.execute(
        select(func.max(col(Referral.referred_on))).where(col(Referral.case_id) == case_id)
    ).scalar()
    return {
        Step.SCREENED: screened,
        Step.CONFIRMED: confirmed,
        Step.REFERRED: referred,
        Step.PREVIOUS_DISCHARGE: last_discharge(session, col(TreatmentEpisode.case_id) == case_id),
        Step.ADMITTED: session.execute(
            select(func.max(col(TreatmentEpisode.admitted_on))).where(
                col(TreatmentEpisode.case_id) == case_id, col(TreatmentEpisode.discharged_on).is_(None)
            )
        ).scalar(),
    }


def stays_of(session: Session, patient_id: int, actor: str) -> list[dict[str, object]]:
    """The patient's stays, newest first, as a coordinator reads them (ids, codes and amounts only)."""
    from models.settlement.tables import Settlement
    from tasks.infra.access import authorize_patient

    authorize_patient(session, actor, patient_id)
    if session.get(Patient, patient_id) is None:
        from models.errors import PatientNotFound

        raise PatientNotFound(patient_id)
    rows = session.execute(
        select(TreatmentEpisode, col(Hospital.code), col(Settlement.id), col(Settlement.patient_pays))
        .join(Hospital, col(Hospital.id) == col(TreatmentEpisode.hospital_id))
        .outerjoin(Settlement, col(Settlement.episode_id) == col(TreatmentEpisode.id))
        .where(col(TreatmentEpisode.patient_id) == patient_id)
        .order_by(col(TreatmentEpisode.admitted_on).desc(), col(TreatmentEpisode.id).desc())
    ).all()
    return [
        {
            "stay_id": st.id,
            "case_id": st.case_id,
            "hospital": code,
            "icd10": st.icd10,
            "kind": str(st.treatment_kind),
            "setting": str(st.setting),
            "admitted_on": st.admitted_on.isoformat(),
            "discharged_on": st.discharged_on.isoformat() if st.discharged_on else None,
            "sessions": st.sessions,
            "total_cost": str(st.total_cost),
            "settlement_id": sid,
            "patient_pays": None if pays is None else str(pays),
        }
        for st, code, sid, pays in rows
    ]
