"""A few real flow runs under one session-scoped Prefect test harness."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest

from flows.intake import import_screenings
from flows.pathway import admit, confirm_diagnosis, refer
from models import national_id
from models.enums import CaseState
from models.intake import ImportRejected
from models.pathway import IllegalTransition
from tasks.db import session_scope
from tasks.hospitals import sync_hospitals

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_harness")]
HEADER = "household_ref,national_id,name,region_code,poverty_status,screened_on,icd10\n"


def test_coordinator_flows_drive_one_case(tmp_path: Path, db_url: str) -> None:
    with session_scope() as s:
        sync_hospitals(s)
    nid = national_id.make("530427", date(1955, 1, 9), 3)
    csv = tmp_path / "s.csv"
    csv.write_text(HEADER + f"H7,{nid},王五,530427,registered_poor,2017-05-02,N18.5\n", encoding="utf-8")
    report = asyncio.run(import_screenings(str(csv), "xinping-coordinator"))
    case_id = report.first_case_id
    outcome = asyncio.run(confirm_diagnosis(case_id, date(2017, 5, 10), "", "xinping-coordinator"))
    assert (outcome.state, outcome.changed) == (CaseState.TRIAGED, True)
    referred = asyncio.run(refer(case_id, date(2017, 5, 11), False, actor="xinping-coordinator"))
    assert referred.state == CaseState.REFERRED and referred.hospital_id is not None
    assert asyncio.run(admit(case_id, date(2017, 5, 12), "xinping-coordinator")).state == CaseState.IN_TREATMENT
    with pytest.raises(IllegalTransition, match="in_treatment -> confirmed"):
        asyncio.run(confirm_diagnosis(case_id, date(2017, 5, 10), "", "xinping-coordinator"))


def test_import_flow_rejects_bad_file(tmp_path: Path, db_url: str) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text(HEADER + "H1,123,x,520527,general,2017-05-02,I10\n", encoding="utf-8")
    with pytest.raises(ImportRejected, match="line 2: national_id"):
        asyncio.run(import_screenings(str(csv), "xinping-coordinator"))


def test_nightly_flow_runs_once_per_night_and_publishes_a_summary(db_url: str) -> None:
    from prefect.artifacts import Artifact

    from bench.cohort import NIGHT, build_cohort
    from flows.nightly import nightly_adjustment

    build_cohort(300, night=NIGHT)
    first = nightly_adjustment(night=NIGHT)
    assert first.status == "finished" and sum(first.findings.values()) > 20
    assert {r.region_code for r in first.regions} and all(r.special_cases > 0 for r in first.regions)
    again = nightly_adjustment(night=NIGHT)
    assert (again.run_id, again.findings) == (first.run_id, first.findings), "a finished night is not redone"
    artifact = Artifact.get("nightly-all")
    assert artifact is not None and "treatment_rate" in str(artifact.data)
    assert "national_id" not in str(artifact.data) and "X0000" not in str(artifact.data)
