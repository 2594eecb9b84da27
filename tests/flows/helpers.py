"""Small builders shared by the flow tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from models import national_id
from models.clinical import Case
from models.enums import CaseState
from tasks.infra.db import session_scope
from tasks.pathway.intake import import_screenings_file

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


def case_state(case_id: int) -> CaseState:
    with session_scope() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return CaseState(case.state)


async def until(check: Callable[[], Any], what: str, timeout: float = 90.0) -> Any:
    """Poll ``check`` until it returns something truthy (returned), or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        await asyncio.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")
