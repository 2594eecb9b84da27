"""Builds a county of discharged cases directly through the set-based task functions (no Prefect)."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from config.catalogue import catalogue_on
from config.settings import get_settings
from models.care import TreatmentEpisode
from models.clinical import Case
from models.enums import CaseState
from models.intake import ScreeningRow
from models.synthetic import county_rows, synthetic_bill
from tasks.infra.db import session_scope
from tasks.infra.setup import init_db
from tasks.pathway.diagnosis import confirm_many
from tasks.pathway.hospitals import sync_hospitals
from tasks.pathway.intake import write_screenings
from tasks.pathway.referral import refer_many
from tasks.pathway.treatment import Discharge, admit_many, discharge_many
from tasks.pathway.triage import triage_many

START = date(2017, 3, 1)


def screening_rows(patients: int, seed: int = 7, region: str = "520527") -> list[ScreeningRow]:
    """The synthetic county's screening rows, validated as an import would (line numbers from 2)."""
    return [
        ScreeningRow(
            line=i,
            household_ref=r.household_ref,
            national_id=r.national_id,
            name=r.name,
            region_code=r.region_code,
            poverty_status=r.poverty_status,
            screened_on=r.screened_on,
            icd10=r.icd10,
        )
        for i, r in enumerate(county_rows(patients, seed, region, START, catalogue_on(START).demo_choices()), 2)
    ]


def _ids(state: CaseState) -> list[int]:
    with session_scope() as s:
        return list(s.execute(select(col(Case.id)).where(col(Case.state) == state).order_by(col(Case.id))).scalars())


def build_discharged(patients: int, seed: int = 7, region: str = "520527", chunk: int = 5000) -> None:
    # synthetic people: the development identity key is allowed on the bench's databases (tasks/infra/identity_guard.py)
    os.environ.setdefault("DABING_ALLOW_DEV_KEY", "true")
    get_settings.cache_clear()
    init_db()
    with session_scope() as s:
        sync_hospitals(s)
    with session_scope() as s:
        write_screenings(s, screening_rows(patients, seed, region), "bench")
    steps: list[tuple[CaseState, Callable[[Session, list[int]], object]]] = [
        (CaseState.SCREENED, lambda s, ids: confirm_many(s, ids, START, "bench")),
        (CaseState.CONFIRMED, lambda s, ids: triage_many(s, ids, START, "bench")),
        (CaseState.TRIAGED, lambda s, ids: refer_many(s, ids, START, "bench")),
        (CaseState.REFERRED, lambda s, ids: admit_many(s, ids, START + timedelta(days=3), "bench")),
    ]
    for state, step in steps:
        ids = _ids(state)
        for i in range(0, len(ids), chunk):
            with session_scope() as s:
                step(s, ids[i : i + chunk])
    ids = _ids(CaseState.IN_TREATMENT)
    for i in range(0, len(ids), chunk):
        with session_scope() as s:
            part = (
                s.execute(
                    select(col(Case.id), col(Case.category), col(TreatmentEpisode.admitted_on))
                    .join(TreatmentEpisode, col(TreatmentEpisode.case_id) == col(Case.id))
                    .where(col(Case.id).in_(ids[i : i + chunk]))
                )
                .tuples()
                .all()
            )
            discharge_many(s, [Discharge(c, *synthetic_bill(seed, c, cat, adm)) for c, cat, adm in part], "bench")
