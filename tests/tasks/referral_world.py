"""A small county for referral tests: a few designated hospitals with room for one or two, and patients whose
cases are triaged (ready to refer). Hospitals come from a data directory of the test's own."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from config.catalogue import load_catalogue_history, load_hospitals, load_regions
from config.settings import DATA_DIR, get_settings
from models import national_id
from models.clinical import Case
from models.enums import CaseState
from tasks.infra.db import session_scope
from tasks.pathway.diagnosis import confirm_many
from tasks.pathway.hospitals import sync_hospitals
from tasks.pathway.intake import import_screenings_file
from tasks.pathway.triage import triage_many

HEADER = "household_ref,national_id,name,region_code,poverty_status,screened_on,icd10\n"
ON = date(2017, 4, 1)
#: townships TH1 and TH2 treat hypertension and diabetes (room for 10 each); tuberculosis has one bed at the
#: county people's hospital PH (its own beds) and one at TB2, and the city hospital takes none of it.
HOSPITALS = """hospitals:
- {code: 520527-TH1, name: TH1, level: township, region: '520527', capacity: 10, diseases: [hypertension, diabetes]}
- {code: 520527-TH2, name: TH2, level: township, region: '520527', capacity: 10, diseases: [hypertension, diabetes]}
- {code: 520527-PH, name: PH, level: level2, region: '520527', capacity: 5, green_channel: true,
   diseases: [tuberculosis, esrd_dialysis], beds: {tuberculosis: 1}, monthly_slots: {esrd_dialysis: 1}}
- {code: 520527-TB2, name: TB2, level: level2, region: '520527', capacity: 1, diseases: [tuberculosis]}
"""


def use_small_county(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    (data / "hospitals.yaml").write_text(HOSPITALS, encoding="utf-8")
    monkeypatch.setenv("DABING_DATA_DIR", str(data))
    forget_small_county()
    with session_scope() as s:
        sync_hospitals(s)


def forget_small_county() -> None:
    """Drop the cached settings and data files (the next reader loads the configured ones again)."""
    for cached in (get_settings, load_hospitals, load_catalogue_history, load_regions):
        cached.cache_clear()


def triaged_cases(tmp_path: Path, rows: list[tuple[int, str]]) -> list[int]:
    """One triaged case per (person number, ICD-10 code), in this order (a person may have several)."""
    body = "".join(
        f"H{n},{national_id.make('520527', date(1960, 1, 1), n)},张{n},520527,registered_poor,2017-03-01,{icd}\n"
        for n, icd in rows
    )
    csv = tmp_path / f"screening-{len(list(tmp_path.glob('screening-*')))}.csv"
    csv.write_text(HEADER + body, encoding="utf-8")
    import_screenings_file.fn(str(csv), "system")
    ids: list[int] = []
    with session_scope() as s:
        new = list(
            s.execute(
                select(col(Case.id)).where(col(Case.state) == CaseState.SCREENED).order_by(col(Case.id))
            ).scalars()
        )
        confirm_many(s, new, ON, "system")
    for cid in new:  # one at a time: each its own triage time (the waiting list's order)
        with session_scope() as s:
            triage_many(s, [cid], ON, "system")
        ids.append(cid)
    return ids


def case(case_id: int) -> Case:
    with session_scope() as s:
        found = s.get(Case, case_id)
        assert found is not None
        return found
