"""Nightly dynamic adjustment on small cohorts: each finding kind, patients who must not be flagged,
idempotent re-run and resume after a crash (SQLite; the PostgreSQL run covers the dialect branches)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, col

from bench.cohort import build_cohort
from config.identity import identity_keys
from config.settings import get_settings
from models.care import FamilyDoctorContract, FollowUp, Hospital, TreatmentEpisode
from models.clinical import Case, CaseTransition, Condition
from models.enums import CaseState, PovertyStatus
from models.findings import Finding, NightlyChunk
from models.identity import protect
from models.people import ExternalStatus, Household, Patient
from models.settlement.tables import Settlement
from tasks.infra.db import session_scope
from tasks.nightly import run as nightly
from tasks.pathway.hospitals import sync_hospitals

NIGHT = date(2017, 12, 1)


def _at(days_before: int) -> datetime:
    return datetime.combine(NIGHT - timedelta(days=days_before), datetime.min.time(), tzinfo=UTC)


class World:
    """Builds named people with one case each; ``ids`` maps a name to its patient id / case id."""

    def __init__(self, s: Session) -> None:
        self.s, self.patients, self.cases, self.households = s, {}, {}, {}  # type: ignore[var-annotated]
        sync_hospitals(s)
        self.hospital = s.execute(select(col(Hospital.id))).scalars().first()

    def person(self, name: str, status: PovertyStatus = PovertyStatus.REGISTERED_POOR, household: str = "") -> int:
        hh_name = household or name
        if hh_name not in self.households:
            hh = Household(ref=hh_name, region_code="520527", poverty_status=status)
            self.s.add(hh)
            self.s.flush()
            self.households[hh_name] = hh.id
        p = Patient(household_id=self.households[hh_name], **protect(identity_keys(), f"ID-{name}", name),
                    region_code="520527", poverty_status=status, sex="F", birth_date=date(1950, 1, 1))  # fmt: skip
        self.s.add(p)
        self.s.flush()
        self.patients[name] = p.id
        return p.id or 0

    def case(self, name: str, state: CaseState, disease: str | None, category: str | None, icd10: str,
             changed_days_ago: int, version: str = "2017.1") -> int:  # fmt: skip
        since = NIGHT - timedelta(days=changed_days_ago)  # the business date the state began
        cond = Condition(patient_id=self.patients[name], icd10=icd10, status="confirmed", updated_at=_at(400),
                         confirmed_on=since)  # fmt: skip
        self.s.add(cond)
        self.s.flush()
        c = Case(patient_id=self.patients[name], condition_id=cond.id or 0, region_code="520527", state=state,
                 disease_code=disease, category=category, catalogue_version=version if disease else None,
                 triaged_at=_at(changed_days_ago) if disease else None,
                 state_changed_at=_at(changed_days_ago))  # fmt: skip
        self.s.add(c)
        self.s.flush()
        self.cases[name] = c.id
        if state in (CaseState.IN_TREATMENT, CaseState.DISCHARGED, CaseState.SETTLED):
            out = None if state == CaseState.IN_TREATMENT else since
            self.s.add(TreatmentEpisode(icd10="I10", case_id=c.id or 0, patient_id=self.patients[name],
                                        hospital_id=self.hospital, admitted_on=since - timedelta(days=7),
                                        discharged_on=out))  # fmt: skip
        return c.id or 0

    def settled(self, name: str, pays: str) -> None:
        ep = TreatmentEpisode(case_id=self.cases[name], patient_id=self.patients[name], hospital_id=self.hospital,
                              icd10="I10", admitted_on=date(2017, 5, 1), discharged_on=date(2017, 5, 9),
                              total_cost=Decimal("40000.00"))  # fmt: skip
        self.s.add(ep)
        self.s.flush()
        self.s.add(Settlement(episode_id=ep.id or 0, case_id=self.cases[name], patient_id=self.patients[name],
                              policy_id="t", service_date=date(2017, 5, 9), total=Decimal("40000.00"),
                              in_scope=Decimal("40000.00"), patient_pays=Decimal(pays),
                              self_pay_ratio=Decimal("0.1"), actor="t"))  # fmt: skip


def _world() -> dict[str, Any]:
    with session_scope() as s:
        w = World(s)
        for name in ("overdue", "followed", "untreated", "waiting_briefly", "stuck", "retriaged"):
            w.person(name)
        w.case("overdue", CaseState.UNDER_MANAGEMENT, "hypertension", "long_term", "I10", 300)
        s.add(FollowUp(case_id=w.cases["overdue"], followed_on=NIGHT - timedelta(days=200), actor="t"))
        w.case("followed", CaseState.UNDER_MANAGEMENT, "hypertension", "long_term", "I10", 300)
        s.add(FollowUp(case_id=w.cases["followed"], followed_on=NIGHT - timedelta(days=10), actor="t"))
        s.add(FamilyDoctorContract(patient_id=w.patients["followed"], doctor_ref="d", signed_on=date(2017, 6, 1),
                                   expires_on=date(2018, 6, 1)))  # fmt: skip
        w.case("untreated", CaseState.TRIAGED, "tuberculosis", "maintenance", "A15.0", 60)
        w.case("waiting_briefly", CaseState.REFERRED, "tuberculosis", "maintenance", "A15.0", 5)
        w.case("stuck", CaseState.DISCHARGED, "cataract", "one_time_cure", "H25.9", 20)
        w.case("retriaged", CaseState.UNDER_MAINTENANCE, "hepatitis", "maintenance", "I10", 30, version="2016.1")
        w.person("monitored", PovertyStatus.MONITORED)
        w.case("monitored", CaseState.CURED, "cataract", "one_time_cure", "H25.9", 100)
        w.settled("monitored", "7000.00")
        w.person("resident", PovertyStatus.GENERAL)
        w.person("restamped")  # triaged under an older catalogue, the same disease under tonight's
        w.case("restamped", CaseState.UNDER_MANAGEMENT, "hypertension", "long_term", "I10", 30, version="2016.1")
        for name in ("managed_later", "discharged_later"):  # under management only after the night: not judged
            w.person(name)
        w.case("managed_later", CaseState.UNDER_MANAGEMENT, "hypertension", "long_term", "I10", -10)
        w.case("discharged_later", CaseState.UNDER_MANAGEMENT, "hypertension", "long_term", "I10", 300)
        s.add(TreatmentEpisode(case_id=w.cases["discharged_later"], patient_id=w.patients["discharged_later"],
                               hospital_id=w.hospital, icd10="I10", admitted_on=NIGHT - timedelta(days=5),
                               discharged_on=NIGHT + timedelta(days=3)))  # fmt: skip
        w.case("resident", CaseState.CURED, "cataract", "one_time_cure", "H25.9", 100)
        w.settled("resident", "7000.00")
        s.add(ExternalStatus(patient_id=w.patients["untreated"], source="poverty_office", list_date=date(2017, 11, 1),
                             poverty_status=PovertyStatus.GENERAL))  # fmt: skip
        s.add(ExternalStatus(patient_id=w.patients["stuck"], source="poverty_office", list_date=date(2017, 11, 1),
                             poverty_status=PovertyStatus.REGISTERED_POOR))  # fmt: skip
        return {"patients": dict(w.patients), "cases": dict(w.cases), "households": dict(w.households)}


def _run(night: date = NIGHT, size: int = 10_000) -> int:
    with session_scope() as s:
        run_id = nightly.open_run(s, night, None, None).id or 0
    for stage in nightly.STAGES:
        with session_scope() as s:
            chunks = nightly.pending_chunks(s, run_id, stage, size, None)
        for lo, hi in chunks:
            with session_scope() as s:
                nightly.assess(s, run_id, stage, lo, hi, "nightly")
    return run_id


def _findings(run_id: int) -> set[tuple[str, str]]:
    with session_scope() as s:
        return {
            (str(k), subj)
            for k, subj in s.execute(
                select(col(Finding.kind), col(Finding.subject)).where(col(Finding.run_id) == run_id)
            )
        }


def _check_rules() -> None:
    w = _world()
    found = _findings(_run())
    c, p, h = w["cases"], w["patients"], w["households"]
    expected = {
        ("overdue_follow_up", f"case:{c['overdue']}"),
        ("expiring_contract", f"patient:{p['overdue']}"),
        ("untreated", f"case:{c['untreated']}"),
        ("stuck", f"case:{c['stuck']}"),
        ("retriage", f"case:{c['retriaged']}"),
        ("poverty_alarm", f"household:{h['monitored']}/monitored_stay_over_6000"),
        ("status_mismatch", f"patient:{p['untreated']}"),
    }
    assert expected <= found
    must_not = {
        ("overdue_follow_up", f"case:{c['followed']}"),  # followed up 10 days ago
        ("expiring_contract", f"patient:{p['followed']}"),  # contract runs until mid-2018
        ("expiring_contract", f"patient:{p['managed_later']}"),  # confirmed after the night
        ("expiring_contract", f"patient:{p['discharged_later']}"),  # under management from a discharge after it
        ("untreated", f"case:{c['waiting_briefly']}"),  # referred 5 days ago
        ("status_mismatch", f"patient:{p['stuck']}"),  # external list agrees
    }
    assert not must_not & found
    assert not any(s.startswith(f"household:{h['resident']}/") for _, s in found), "7,000 is under a resident's limits"
    assert not any(subject == f"case:{c['restamped']}" for _, subject in found), "same disease: nothing to say"
    with session_scope() as s:
        restamped = s.get(Case, c["restamped"])
        assert restamped is not None and restamped.catalogue_version not in (None, "2016.1"), "stamped tonight"
        case = s.get(Case, c["retriaged"])
        assert case is not None
        assert (case.state, case.disease_code, case.category) == ("under_management", "hypertension", "long_term")
        audit = s.execute(select(CaseTransition).where(col(CaseTransition.case_id) == c["retriaged"])).scalars().one()
        assert (audit.from_state, audit.to_state, audit.actor) == ("under_maintenance", "under_management", "nightly")


def test_rules_sqlite(db_url: str) -> None:
    _check_rules()


def test_rules_postgres(pg_url: str) -> None:
    _check_rules()


def test_same_night_twice_changes_nothing(db_url: str) -> None:
    build_cohort(400, night=NIGHT)
    first = _findings(_run(size=150))
    with session_scope() as s:
        before = (s.execute(select(func.count()).select_from(Finding)).scalar_one(),
                  s.execute(select(func.count()).select_from(CaseTransition)).scalar_one())  # fmt: skip
    assert len(first) > 50, "the cohort must produce findings of several kinds"
    with session_scope() as s:  # each chunk counted what it opened (psycopg's INSERT … SELECT row count was -1)
        counted = s.execute(select(func.sum(col(NightlyChunk.findings)))).scalar_one()
        assert counted == before[0] == len(first)
    assert _findings(_run(size=150)) == first
    with session_scope() as s:
        after = (s.execute(select(func.count()).select_from(Finding)).scalar_one(),
                 s.execute(select(func.count()).select_from(CaseTransition)).scalar_one())  # fmt: skip
    assert after == before


def test_resume_after_crash_loses_and_doubles_nothing(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_cohort(400, night=NIGHT)
    calls = {"n": 0}

    def crash(stage: str, lo: int) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("killed")

    real_assess = nightly.assess
    monkeypatch.setattr(nightly, "assess", partial(real_assess, before_commit=crash))
    with pytest.raises(RuntimeError):
        _run(size=150)
    monkeypatch.setattr(nightly, "assess", real_assess)
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(NightlyChunk)).scalar_one() == 2, "two chunks committed"
    run_id = _run(size=150)
    resumed = _findings(run_id)
    with session_scope() as s:
        rows = s.execute(select(func.count()).select_from(Finding).where(col(Finding.run_id) == run_id)).scalar_one()
    assert rows == len(resumed), "no finding written twice"
    # the same cohort in a second database, run without a crash, finds exactly the same
    monkeypatch.setenv("DABING_DATABASE_URL", f"sqlite:///{tmp_path / 'clean.db'}")
    get_settings.cache_clear()
    build_cohort(400, night=NIGHT)
    assert _findings(_run(size=150)) == resumed


def test_a_retriage_onto_a_disease_the_patient_already_has_is_a_finding_not_a_crash(db_url: str) -> None:
    """One case per patient and disease (UNIQUE): the nightly re-triage of a second case onto the disease of the
    first leaves it as it is and says so (the 1M bench cohort crashed here)."""
    with session_scope() as s:
        w = World(s)
        w.person("twice")
        first = w.case("twice", CaseState.UNDER_MANAGEMENT, "hypertension", "long_term", "I10", 300)
        second = w.case("twice", CaseState.UNDER_MAINTENANCE, "hepatitis", "maintenance", "I10", 30, version="2016.1")
    run_id = _run()
    assert ("retriage", f"case:{second}") in _findings(run_id)
    with session_scope() as s:
        kept = s.get(Case, second)
        assert kept is not None and (kept.disease_code, kept.state) == ("hepatitis", "under_maintenance")
        reason = s.execute(select(col(Finding.reason)).where(col(Finding.case_id) == second)).scalar_one()
        assert "already" in reason and s.get(Case, first) is not None


@pytest.mark.parametrize("region", [None, "520527"])
def test_chunks_begin_every_size_rows_of_the_scope(db_url: str, region: str | None) -> None:
    """Keyset chunks start at rows 0, size, 2·size, … of the stage's ids in the scope (other regions' rows
    skipped), and together cover the id range once."""
    build_cohort(300, night=NIGHT)
    with session_scope() as s:
        ids = list(s.execute(select(col(Case.id)).where(*([col(Case.region_code) == region] if region else []))
                             .order_by(col(Case.id))).scalars())  # fmt: skip
        run_id = nightly.open_run(s, NIGHT, region, None).id or 0
        chunks = nightly.pending_chunks(s, run_id, "cases", 17, region)
        last = s.execute(select(func.max(col(Case.id)))).scalar_one()
    assert [lo for lo, _ in chunks] == ids[::17]
    assert [hi for _, hi in chunks] == [lo - 1 for lo, _ in chunks[1:]] + [last]


def test_unset_chunk_size_is_the_backends(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """No DABING_NIGHTLY_CHUNK_SIZE: the chunks are the size measured best for the backend in use."""
    build_cohort(300, night=NIGHT)
    with session_scope() as s:
        run_id = nightly.open_run(s, NIGHT, None, None).id or 0
        backend = s.connection().dialect.name
        ids = list(s.execute(select(col(Case.id)).order_by(col(Case.id))).scalars())
    monkeypatch.setitem(nightly.CHUNK_SIZES, backend, 23)
    assert [lo for lo, _ in nightly.plan_chunks.fn(run_id, "cases", None)] == ids[::23]
    assert [lo for lo, _ in nightly.plan_chunks.fn(run_id, "cases", 40)] == ids[::40], "a size given wins"
