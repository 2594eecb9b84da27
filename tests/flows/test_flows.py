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
from tasks.infra.db import session_scope
from tasks.pathway.hospitals import sync_hospitals

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
    first = asyncio.run(nightly_adjustment(night=NIGHT))
    assert first.status == "finished" and sum(first.findings.values()) > 20
    assert {r.region_code for r in first.regions} and all(r.special_cases > 0 for r in first.regions)
    assert {r.contract_rate for r in first.regions} == {None}, "the night counts no contracts: no 0.0% rate"
    again = asyncio.run(nightly_adjustment(night=NIGHT))
    assert (again.run_id, again.findings) == (first.run_id, first.findings), "a finished night is not redone"
    artifact = Artifact.get("nightly-all")
    assert artifact is not None and "treatment_rate" in str(artifact.data)
    assert "national_id" not in str(artifact.data) and "X0000" not in str(artifact.data)


def _run_names_and_note(case_id: int) -> tuple[set[str], str]:
    from prefect.artifacts import Artifact
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    async def names() -> set[str]:
        wanted = [f"{step}-case-{case_id}" for step in ("confirm", "refer", "admit", "discharge", "follow-up")]
        async with get_client() as client:
            runs = await client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=wanted)))
        return {r.name for r in runs}

    note = Artifact.get(f"case-{case_id}")
    return asyncio.run(names()), str(note.data if note else "")


def test_coordinator_runs_are_named_after_their_case_and_say_what_they_did(tmp_path: Path, db_url: str) -> None:
    from decimal import Decimal

    from flows.pathway import discharge
    from tests.flows.helpers import import_one_patient

    with session_scope() as s:
        sync_hospitals(s)
    case_id, nid = import_one_patient(tmp_path, "N18.5", sequence=21)
    actor = "xinping-coordinator"
    asyncio.run(confirm_diagnosis(case_id, date(2017, 5, 10), "", actor))
    names, note = _run_names_and_note(case_id)
    assert f"confirm-case-{case_id}" in names  # (the harness is shared: other tests' case 1 runs are there too)
    assert f"病例 {case_id} · 确诊并分类" in note and "已分类" in note and "需要维持治疗" in note, note
    asyncio.run(refer(case_id, date(2017, 5, 11), actor=actor))
    _, note = _run_names_and_note(case_id)
    assert "定点医院：" in note and "新平" in note, "the hospital chosen, by its Chinese name"
    asyncio.run(admit(case_id, date(2017, 5, 12), actor))
    asyncio.run(discharge(case_id, date(2017, 5, 20), Decimal("38734.00"), Decimal("733.00"), 0, actor))
    names, note = _run_names_and_note(case_id)
    assert {f"{s}-case-{case_id}" for s in ("confirm", "refer", "admit", "discharge")} <= names
    assert "医疗总费用 38734.00 元" in note and nid not in note


def test_follow_up_outcome_is_a_fixed_list(tmp_path: Path, db_url: str) -> None:
    """Issue 15's input: a name and an ID number typed as the outcome never reach the table or an event."""
    from prefect.exceptions import ParameterTypeError
    from sqlalchemy import select

    from flows.pathway import record_follow_up
    from models.care import FollowUp
    from models.enums import FollowUpOutcome
    from tests.flows.helpers import import_one_patient

    case_id, _ = import_one_patient(tmp_path, "N18.5", sequence=22)
    with pytest.raises(ParameterTypeError, match="outcome"):
        asyncio.run(
            record_follow_up(case_id, date(2017, 6, 1), "张三丰 520527195003040115 stable", "xinping-coordinator")
        )  # type: ignore[arg-type]
    assert asyncio.run(record_follow_up(case_id, date(2017, 6, 1), "improved", "xinping-coordinator")) == 1  # type: ignore[arg-type]
    with session_scope() as s:
        stored = s.execute(select(FollowUp.outcome).where(FollowUp.case_id == case_id)).scalars().all()
    assert stored == ["improved"] and FollowUpOutcome(stored[0]).label == "好转"


@pytest.mark.parametrize(
    ("actor", "why"),
    [("system", "system actors run bulk and event-triggered work only"), ("nobody", "no such actor")],
)
def test_a_coordinator_step_refuses_system_and_unknown_actors_before_writing(
    tmp_path: Path, db_url: str, actor: str, why: str
) -> None:
    from models.access import AccessDenied
    from tests.flows.helpers import case_state, import_one_patient

    case_id, _ = import_one_patient(tmp_path, "N18.5", sequence=23)
    with pytest.raises(AccessDenied, match=why):
        asyncio.run(confirm_diagnosis(case_id, date(2017, 5, 10), "", actor))
    assert case_state(case_id) == CaseState.SCREENED, "nothing was written"


def test_a_confirmed_case_triage_held_reports_the_change_and_why(tmp_path: Path, db_url: str) -> None:
    from tests.flows.helpers import import_one_patient

    case_id, _ = import_one_patient(tmp_path, "Q21.0", sequence=24)  # a childhood heart defect, an adult patient
    outcome = asyncio.run(confirm_diagnosis(case_id, date(2017, 5, 10), "", "xinping-coordinator"))
    assert (outcome.state, outcome.changed, outcome.reason) == (CaseState.CONFIRMED, True, "outside_age_limit")
    _, note = _run_names_and_note(case_id)
    assert "已确诊 (confirmed)" in note and "未改变" not in note and "年龄不在该病种的救治范围" in note, note
