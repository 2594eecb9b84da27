"""Region access on the real database (SQLite and PostgreSQL): an actor of another county cannot confirm,
refer, admit, discharge, follow up, settle, screen, register, import or export a patient of 赫章 (520527) —
AccessDenied names the actor and the internal id, and nothing is written — while the province's and the
prefecture's supervisors can; the audit records who did each move."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlmodel import col

from models import national_id
from models.access import AccessDenied, Actor
from models.clinical import Case
from models.enums import AccessReason, CaseState, PovertyStatus, ReferralDirection
from models.people import PatientCreate
from models.settlement.amounts import BillAmounts
from tasks.infra.access import AUDIT_QUERY, sync_actors
from tasks.infra.db import session_scope
from tasks.pathway.diagnosis import confirm_many
from tasks.pathway.hospitals import sync_hospitals
from tasks.pathway.intake import import_screenings_file, register_patient, rescreen_patient
from tasks.pathway.referral import refer_many
from tasks.pathway.steps import admit_case, confirm_case, discharge_case, follow_up_case, refer_case
from tasks.pathway.treatment import Discharge, admit_many, discharge_many
from tasks.pathway.triage import triage_many
from tasks.reports.fhir_export import export_fhir
from tasks.reports.ledger import ledger_for
from tasks.settlement.settle import settle_case

HEADER = "household_ref,national_id,name,region_code,poverty_status,screened_on,icd10\n"
ON = date(2017, 4, 1)
NID_A = national_id.make("520527", date(1950, 3, 1), 21)  # 赫章 (Guizhou)
NID_B = national_id.make("530427", date(1962, 7, 9), 22)  # 新平 (Yunnan)
OUTSIDER = "xinping-coordinator"  # county 530427
ALLOWED = ("coordinator", "bijie-supervisor", "guizhou-supervisor", "system")  # 520527, 5205, 52, everywhere
TABLES = ("household", "patient", "screening", "condition", "case", "case_transition", "referral",
          "treatment_episode", "settlement", "settlement_line", "payer_ledger", "follow_up")  # fmt: skip


def _import(tmp_path: Path, rows: str, actor: str = "system") -> int:
    csv = tmp_path / f"s-{abs(hash(rows))}.csv"
    csv.write_text(HEADER + rows, encoding="utf-8")
    return import_screenings_file.fn(str(csv), actor).first_case_id


def _bill(case_id: int) -> Discharge:
    return Discharge(case_id, date(2017, 4, 9), BillAmounts.parse("3000.00"))


def _case_in(tmp_path: Path, state: CaseState, seq: int = 21) -> int:
    """A hypertension case of a (new) 赫章 patient, brought to ``state`` by the set-based (system) steps."""
    nid = national_id.make("520527", date(1950, 3, 1), seq)
    case_id = _import(tmp_path, f"H{seq},{nid},贺某,520527,destitute,2017-03-01,I10\n")
    steps: list[tuple[CaseState, Callable[[Any, list[int]], object]]] = [
        (CaseState.CONFIRMED, lambda s, ids: confirm_many(s, ids, ON, "system")),
        (CaseState.TRIAGED, lambda s, ids: triage_many(s, ids, ON, "system")),
        (CaseState.REFERRED, lambda s, ids: refer_many(s, ids, ON, "system")),
        (CaseState.IN_TREATMENT, lambda s, ids: admit_many(s, ids, ON, "system")),
        (CaseState.DISCHARGED, lambda s, ids: discharge_many(s, [_bill(ids[0])], "system")),
    ]  # fmt: skip
    with session_scope() as s:
        sync_hospitals(s)
    for reached, step in steps:
        if state == CaseState.SCREENED:
            break
        with session_scope() as s:
            step(s, [case_id])
        if reached == state:
            break
    with session_scope() as s:
        assert s.get(Case, case_id).state == state  # type: ignore[union-attr]
    return case_id


def _snapshot() -> tuple[Any, ...]:
    with session_scope() as s:
        counts = tuple(s.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in TABLES)
        cases = s.execute(select(Case.id, Case.state, Case.hospital_id, Case.state_changed_at)).all()
    return counts, sorted(cases)


#: action → (state the case must be in, the per-case task, an actor of the region who then does it)
ACTIONS: dict[str, tuple[CaseState, Callable[[int, str], object], str]] = {
    "confirm": (CaseState.SCREENED, lambda c, a: confirm_case.fn(c, ON, "", a), "guizhou-supervisor"),
    "refer": (CaseState.TRIAGED, lambda c, a: refer_case.fn(c, ON, False, ReferralDirection.INITIAL, a), "coordinator"),
    "admit": (CaseState.REFERRED, lambda c, a: admit_case.fn(c, date(2017, 4, 2), a), "bijie-supervisor"),
    "discharge": (
        CaseState.IN_TREATMENT,
        lambda c, a: discharge_case.fn(c, date(2017, 4, 9), BillAmounts.parse("3000.00"), a),
        "guizhou-supervisor",
    ),
    "follow-up": (CaseState.TRIAGED, lambda c, a: follow_up_case.fn(c, date(2017, 5, 1), "stable", a), "coordinator"),
    "settle": (CaseState.DISCHARGED, lambda c, a: settle_case.fn(c, a), "guizhou-supervisor"),
}


def _actions(tmp_path: Path) -> None:
    for seq, (action, (state, run, allowed)) in enumerate(ACTIONS.items(), start=30):
        case_id = _case_in(tmp_path, state, seq)
        before = _snapshot()
        for actor in (OUTSIDER, "jining-coordinator", "ulanqab-supervisor", "no-such-actor"):
            with pytest.raises(AccessDenied, match=f"actor {actor} may not act on") as err:
                run(case_id, actor)
            assert err.value.actor == actor, action
            assert _snapshot() == before, f"{action} by {actor} wrote nothing"
        with pytest.raises(AccessDenied) as named:
            run(case_id, OUTSIDER)
        assert f"case {case_id}" in str(named.value), "the refusal names the case"
        assert "贺某" not in str(err.value) and "520527195003" not in str(err.value), "no identity"
        run(case_id, allowed)
        assert _snapshot() != before, f"{action} by {allowed} (of the region) was done"


def test_outside_actors_change_nothing_and_region_actors_can_sqlite(tmp_path: Path, db_url: str) -> None:
    _actions(tmp_path)


@pytest.mark.postgres
def test_outside_actors_change_nothing_and_region_actors_can_postgres(tmp_path: Path, pg_url: str) -> None:
    _actions(tmp_path)


def _patient_reads_and_intake(tmp_path: Path) -> None:
    case_a = _import(tmp_path, f"HA,{NID_A},贺某,520527,destitute,2017-03-01,I10\n")
    _import(tmp_path, f"HB,{NID_B},王某,530427,minimum_living,2017-03-01,I10\n")
    with session_scope() as s:
        pid_a = s.get(Case, case_a).patient_id  # type: ignore[union-attr]
    before = _snapshot()

    # screening a registered patient, registering a person, exporting the FHIR file
    with pytest.raises(AccessDenied, match=f"actor {OUTSIDER} may not act on patient {pid_a}"):
        rescreen_patient.fn(pid_a, "E11.9", date(2017, 5, 1), "health_check", OUTSIDER)
    person = PatientCreate(household_ref="HA", national_id=NID_A, name="贺某", region_code="520527",
                           poverty_status=PovertyStatus.DESTITUTE)  # fmt: skip
    with pytest.raises(AccessDenied, match="region 520527"):
        register_patient(person, OUTSIDER)
    claimed = person.model_copy(update={"region_code": "530427", "household_ref": "HB"})  # a 赫章 patient's ID
    with pytest.raises(AccessDenied, match="region 530427") as elsewhere:
        register_patient(claimed, OUTSIDER)
    assert f"patient {pid_a}" not in str(elsewhere.value), "no oracle: neither enrolment nor the internal id"
    out = tmp_path / "p.json"
    with pytest.raises(AccessDenied, match=f"patient {pid_a}"):
        export_fhir(pid_a, out, OUTSIDER)
    assert not out.exists()

    # a file with one row outside the actor's county is rejected whole; so is a row naming a known person
    # of another county under the actor's own region code
    with pytest.raises(AccessDenied, match=r"region 520527 \(line 3\)"):
        _import(tmp_path, f"HB,{NID_B},王某,530427,minimum_living,2017-06-01,E11.9\n"
                          f"HA,{NID_A},贺某,520527,destitute,2017-06-01,E11.9\n", OUTSIDER)  # fmt: skip
    with pytest.raises(AccessDenied, match=r"region 530427 \(line 2\)") as known:
        _import(tmp_path, f"HB,{NID_A},贺某,530427,destitute,2017-06-01,E11.9\n", OUTSIDER)
    assert f"patient {pid_a}" not in str(known.value)
    assert _snapshot() == before, "nothing was written"

    # the region's actors may
    assert rescreen_patient.fn(pid_a, "E11.9", date(2017, 5, 1), "health_check", "guizhou-supervisor").cases == 1
    assert register_patient(person, "bijie-supervisor") == pid_a, "found by the lookup hash, not registered twice"
    assert NID_A in export_fhir(pid_a, out, "coordinator").read_text(encoding="utf-8")


def test_patient_reads_and_intake_are_region_checked_sqlite(tmp_path: Path, db_url: str) -> None:
    _patient_reads_and_intake(tmp_path)


@pytest.mark.postgres
def test_patient_reads_and_intake_are_region_checked_postgres(tmp_path: Path, pg_url: str) -> None:
    _patient_reads_and_intake(tmp_path)


def test_reports_cover_only_the_actors_regions(tmp_path: Path, db_url: str) -> None:
    _import(
        tmp_path, f"HA,{NID_A},贺某,520527,destitute,2017-03-01,I10\nHB,{NID_B},王某,530427,general,2017-03-01,I10\n"
    )
    with session_scope() as s:
        assert ledger_for(s, "coordinator").region_code == "520527", "a county actor reads their county by default"
        assert ledger_for(s, "guizhou-supervisor", "520527").region_code == "520527"
        assert ledger_for(s, "system").region_code is None, "every region: system actors only"
        with pytest.raises(AccessDenied, match="region 530427: outside the actor's region"):
            ledger_for(s, "coordinator", "530427")
        with pytest.raises(AccessDenied) as err:
            ledger_for(s, "guizhou-supervisor")
        assert err.value.reason == AccessReason.REGION_REQUIRED


def test_actors_come_from_config_and_removed_ones_are_deactivated(db_url: str) -> None:
    with session_scope() as s:
        s.add(Actor(id="left-last-year", display="x", role="coordinator", region_prefix="520527"))
    with session_scope() as s:
        sync_actors(s)
        gone = s.get(Actor, "left-last-year")
        assert gone is not None and not gone.active
        assert {a.id for a in s.execute(select(Actor).where(col(Actor.active))).scalars()} >= set(ALLOWED)
    with pytest.raises(AccessDenied, match="actor is inactive"), session_scope() as s:
        ledger_for(s, "left-last-year", "520527")


def test_the_audit_shows_who_did_what(tmp_path: Path, db_url: str) -> None:
    case_id = _case_in(tmp_path, CaseState.TRIAGED)
    refer_case.fn(case_id, ON, False, ReferralDirection.INITIAL, "bijie-supervisor")
    admit_case.fn(case_id, date(2017, 4, 2), "coordinator")
    with session_scope() as s:
        rows = s.execute(text(AUDIT_QUERY), {"case_id": case_id, "actor": None, "region": None}).mappings().all()
    trail = [(r["actor"], r["role"], r["from_state"], r["to_state"]) for r in rows]
    assert trail[-2:] == [
        ("bijie-supervisor", "supervisor", "triaged", "referred"),
        ("coordinator", "coordinator", "referred", "in_treatment"),
    ]
    assert trail[0] == ("system", "system", None, "screened")
    with session_scope() as s:
        mine = s.execute(text(AUDIT_QUERY), {"case_id": None, "actor": "coordinator", "region": "520527"}).all()
    assert len(mine) == 1


def _oracles_and_households(tmp_path: Path) -> None:
    """A coordinator learns nothing about other counties' people or households: registering or importing a
    person enrolled in 赫章, or using a 赫章 household ref, is refused with the message any refusal of that
    registration or row gets (no internal id, nothing about existence), and nothing is joined or written."""
    _import(tmp_path, f"HA,{NID_A},贺某,520527,destitute,2017-03-01,I10\n")
    _import(tmp_path, f"HB,{NID_B},王某,530427,minimum_living,2017-03-01,I10\n")
    before = _snapshot()
    nid_new = national_id.make("530427", date(1970, 1, 2), 23)  # nobody yet

    def person(nid: str, ref: str, region: str = "530427") -> PatientCreate:
        return PatientCreate(household_ref=ref, national_id=nid, name="某", region_code=region,
                             poverty_status=PovertyStatus.GENERAL)  # fmt: skip

    refusals = []
    for p in (person(NID_A, "HN"), person(nid_new, "HA"), person(nid_new, "HN", region="520527")):
        with pytest.raises(AccessDenied) as err:
            register_patient(p, OUTSIDER)
        refusals.append(str(err.value).replace("region 520527", "region 530427"))
    assert len(set(refusals)) == 1, refusals
    assert "household ref not usable there (scope 530427)" in refusals[0]

    rows = (
        f"HN,{NID_A},贺某,530427,general,2017-06-01,E11.9\n",  # enrolled in 赫章
        f"HA,{nid_new},某,530427,general,2017-06-01,E11.9\n",  # 赫章's household ref
        f"HN,{nid_new},某,520527,general,2017-06-01,E11.9\n",
    )  # fmt: skip  (a 赫章 row)
    refusals = []
    for row in rows:
        with pytest.raises(AccessDenied) as err:
            _import(tmp_path, row, OUTSIDER)
        refusals.append(str(err.value).replace("region 520527", "region 530427"))
    assert len(set(refusals)) == 1, refusals
    assert _snapshot() == before, "nothing joined, nothing written"

    # the household's own region may use the ref; no actor may put a person of another region in it
    nid_hz = national_id.make("520527", date(1980, 1, 1), 24)
    assert _import(tmp_path, f"HA,{nid_hz},某,520527,general,2017-06-01,E11.9\n", "coordinator")
    with pytest.raises(AccessDenied, match=r"region 530427 \(line 2\)"):
        _import(tmp_path, f"HA,{nid_new},某,530427,general,2017-06-01,E11.9\n", "system")


def test_no_enrolment_or_household_oracle_sqlite(tmp_path: Path, db_url: str) -> None:
    _oracles_and_households(tmp_path)


@pytest.mark.postgres
def test_no_enrolment_or_household_oracle_postgres(tmp_path: Path, pg_url: str) -> None:
    _oracles_and_households(tmp_path)
