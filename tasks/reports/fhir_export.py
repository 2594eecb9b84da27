"""One patient's whole pathway as a FHIR R4 Bundle file (``dabing reports fhir-export``).

Not a Prefect task on purpose: the Bundle holds the national ID number (``Patient.identifier``), so it goes to
a file the caller names and never through Prefect parameters, results, logs or artifacts.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from config.catalogue import load_catalogue
from config.logging import get_logger
from models.care import Hospital, Referral, TreatmentEpisode
from models.clinical import Case, CaseTransition, Condition
from models.digits import ascii_digits
from models.errors import PatientNotFound
from models.fhir_bundle import Pathway, pathway_bundle
from models.identity import open_national_id
from models.people import Household, Patient
from models.settlement.tables import Settlement, SettlementLine
from tasks.infra.access import authorize_patient
from tasks.infra.db import session_scope
from tasks.infra.identity_guard import guarded_keys

log = get_logger(__name__)


def load_pathway(session: Session, patient_id: int) -> Pathway:
    """Everything recorded about one patient (the one read of the national ID outside the intake)."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise PatientNotFound(patient_id)
    household = session.get(Household, patient.household_id)
    cases = list(
        session.execute(select(Case).where(col(Case.patient_id) == patient_id).order_by(col(Case.id))).scalars()
    )
    case_ids = [c.id or 0 for c in cases]

    def rows(model: Any, key: Any, ids: Sequence[int]) -> list[Any]:
        return list(session.execute(select(model).where(key.in_(ids)).order_by(*model.__table__.primary_key)).scalars())

    episodes = rows(TreatmentEpisode, col(TreatmentEpisode.case_id), case_ids)
    referrals = rows(Referral, col(Referral.case_id), case_ids)
    settlements = rows(Settlement, col(Settlement.case_id), case_ids)
    used = {c.hospital_id for c in cases} | {e.hospital_id for e in episodes}
    used |= {r.hospital_id for r in referrals} | {r.from_hospital_id for r in referrals}
    return Pathway(
        patient=patient,
        national_id=ascii_digits(
            open_national_id(guarded_keys(session), patient.id, patient.national_id_hash, patient.national_id_sealed)
        ),
        household_ref=household.ref if household else "",
        hospitals={h.id: h for h in rows(Hospital, col(Hospital.id), [h for h in used if h])},
        cases=cases,
        conditions={c.id: c for c in rows(Condition, col(Condition.id), [c.condition_id for c in cases])},
        transitions=rows(CaseTransition, col(CaseTransition.case_id), case_ids),
        referrals=referrals,
        episodes=episodes,
        settlements=settlements,
        lines=rows(SettlementLine, col(SettlementLine.settlement_id), [s.id for s in settlements]),
        disease_names={d.code: d.name_zh for d in load_catalogue().diseases},
    )


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (0600 from creation, whatever the umask): a new
    file is created with that mode and renamed over the target, so an older, wider file is replaced too."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def export_fhir(patient_id: int, path: Path, actor: str) -> Path:
    """Write the patient's pathway Bundle as FHIR JSON (the one file that holds a national ID on purpose).
    Only for an actor whose region covers the patient (AccessDenied otherwise; no file is written)."""
    with session_scope() as s:
        authorize_patient(s, actor, patient_id)
        bundle = pathway_bundle(load_pathway(s, patient_id))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private(path, bundle.model_dump_json(indent=2))
    log.info("fhir_exported", patient_id=patient_id, resources=len(bundle.entry or []), actor=actor)
    return path
