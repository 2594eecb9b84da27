"""Small builders shared by the flow tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from models import national_id
from tasks.intake import import_screenings_file

HEADER = "household_ref,national_id,name,region_code,poverty_status,screened_on,icd10\n"


NAME = "王五"


def import_one_patient(tmp_path: Path, icd10: str, region_code: str = "530427", sequence: int = 3) -> tuple[int, str]:
    """One patient with one suspected condition (a screened case); returns the case id and the ID number."""
    nid = national_id.make(region_code, date(1955, 1, 9), sequence)
    csv = tmp_path / f"one-{sequence}.csv"
    csv.write_text(
        HEADER + f"H{sequence},{nid},{NAME},{region_code},registered_poor,2017-05-02,{icd10}\n", encoding="utf-8"
    )
    return import_screenings_file.fn(str(csv), "system").first_case_id, nid  # rows of any region
