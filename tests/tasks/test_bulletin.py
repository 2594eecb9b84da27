"""季通报 / 年考核 on a small hand-built dataset: every figure counted by hand below (business dates only; bills
outside the county are not held to the 10% target), the ranking, the scope of a supervisor, the files."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select
from sqlmodel import Session, col

from config.identity import identity_keys
from models.bulletin import period_bounds
from models.care import FamilyDoctorContract, FollowUp, Hospital, TreatmentEpisode
from models.clinical import Case, Condition, Screening
from models.enums import CaseState, PovertyStatus
from models.findings import FindingKind, NightlyRun
from models.identity import protect
from models.people import ExternalStatus, Household, Patient
from models.settlement.tables import Settlement
from tasks.infra.bulkwrite import append_rows
from tasks.infra.db import session_scope
from tasks.pathway.hospitals import sync_hospitals
from tasks.reports.bulletin import bulletin_scope, collect_bulletin, write_bulletin_files

D = date.fromisoformat


class County:
    def __init__(self, s: Session) -> None:
        self.s = s
        sync_hospitals(s)
        self.hospital = dict(s.execute(select(col(Hospital.code), col(Hospital.id))).tuples().all())
        self.run = NightlyRun(night=D("2017-09-30"), scope="*")
        s.add(self.run)
        s.flush()

    def person(
        self, name: str, region: str, screened: str, status: PovertyStatus = PovertyStatus.REGISTERED_POOR
    ) -> int:
        hh = Household(ref=name, region_code=region, poverty_status=status)
        self.s.add(hh)
        self.s.flush()
        p = Patient(household_id=hh.id or 0, **protect(identity_keys(), f"ID-{name}", name), region_code=region,
                    poverty_status=status, sex="F", birth_date=D("1950-01-01"))  # fmt: skip
        self.s.add(p)
        self.s.flush()
        self.s.add(Screening(patient_id=p.id or 0, screened_on=D(screened), actor="t"))
        return p.id or 0

    def case(self, pid: int, region: str, disease: str, category: str, confirmed: str, state: CaseState) -> int:
        cond = Condition(patient_id=pid, icd10="X00", status="confirmed", confirmed_on=D(confirmed))
        self.s.add(cond)
        self.s.flush()
        c = Case(patient_id=pid, condition_id=cond.id or 0, region_code=region, state=state, disease_code=disease,
                 category=category, catalogue_version="2017")  # fmt: skip
        self.s.add(c)
        self.s.flush()
        return c.id or 0

    def stay(self, pid: int, case_id: int, hospital: str, out: str, total: str = "", pays: str = "") -> None:
        ep = TreatmentEpisode(icd10="I10", case_id=case_id, patient_id=pid, hospital_id=self.hospital[hospital],
                              admitted_on=D(out), discharged_on=D(out), total_cost=Decimal(total or "9"))  # fmt: skip
        self.s.add(ep)
        self.s.flush()
        if total:
            t, p = Decimal(total), Decimal(pays)
            self.s.add(Settlement(episode_id=ep.id or 0, case_id=case_id, patient_id=pid, policy_id="t",
                                  service_date=D(out), total=t, in_scope=t, patient_pays=p,
                                  self_pay_ratio=(p / t).quantize(Decimal("0.0001")), actor="t"))  # fmt: skip

    def finding(self, kind: FindingKind, region: str, night: str, subject: str) -> None:
        append_rows(self.s, "finding", ("run_id", "night", "kind", "subject", "reason", "region_code", "created_at",
                                        "subject_id", "rule", "status"),
                    [(self.run.id, D(night), kind.value, subject, "t", region, self.run.started_at,
                      0, "", "open")])  # fmt: skip


def _world() -> None:
    with session_scope() as s:
        w = County(s)
        # 赫章 520527
        p1 = w.person("p1", "520527", "2017-04-01")
        c1 = w.case(p1, "520527", "hypertension", "long_term", "2017-05-01", CaseState.UNDER_MANAGEMENT)
        w.stay(p1, c1, "520527-PH", "2017-08-10", "10000.00", "800.00")  # in county, 8%
        s.add(FollowUp(case_id=c1, followed_on=D("2017-08-20"), actor="t"))
        s.add(
            FamilyDoctorContract(patient_id=p1, doctor_ref="d", signed_on=D("2017-01-01"), expires_on=D("2018-01-01"))
        )
        s.add(ExternalStatus(patient_id=p1, source="poverty_office", list_date=D("2017-09-01"),
                             poverty_status=PovertyStatus.REGISTERED_POOR))  # fmt: skip
        p2 = w.person("p2", "520527", "2017-05-01")
        w.case(p2, "520527", "tuberculosis", "maintenance", "2017-06-01", CaseState.TRIAGED)
        s.add(ExternalStatus(patient_id=p2, source="poverty_office", list_date=D("2017-09-01"),
                             poverty_status=PovertyStatus.GENERAL))  # fmt: skip
        s.add(ExternalStatus(patient_id=p2, source="poverty_office", list_date=D("2017-12-01"),
                             poverty_status=PovertyStatus.REGISTERED_POOR))  # after the quarter: not read  # fmt: skip
        p3 = w.person("p3", "520527", "2017-07-01")
        c3 = w.case(p3, "520527", "cataract", "one_time_cure", "2017-07-05", CaseState.CURED)
        w.stay(p3, c3, "520500-CITY", "2017-07-20", "20000.00", "5000.00")  # out of county: not held to 10%
        p4 = w.person("p4", "520527", "2017-10-01")
        w.case(p4, "520527", "diabetes", "long_term", "2017-10-15", CaseState.TRIAGED)  # after the quarter
        p5 = w.person("p5", "520527", "2017-02-01")
        c5 = w.case(p5, "520527", "diabetes", "long_term", "2017-03-01", CaseState.UNDER_MANAGEMENT)
        w.stay(p5, c5, "520527-PH", "2017-09-01", "10000.00", "1500.00")  # in county, 15%
        s.add(FollowUp(case_id=c5, followed_on=D("2017-06-01"), actor="t"))  # before the quarter
        w.finding(FindingKind.UNTREATED, "520527", "2017-09-30", "case:2")
        w.finding(FindingKind.UNTREATED, "520527", "2017-06-30", "case:2/june")  # before the quarter
        # 新平 530427
        q1 = w.person("q1", "530427", "2017-01-10")
        cq = w.case(q1, "530427", "hypertension", "long_term", "2017-02-01", CaseState.UNDER_MANAGEMENT)
        w.stay(q1, cq, "530427-PH", "2017-03-01")
        s.add(
            FamilyDoctorContract(patient_id=q1, doctor_ref="d", signed_on=D("2017-01-10"), expires_on=D("2018-01-10"))
        )


def _figures(prefix: str) -> Any:
    lo, hi = period_bounds("quarterly", "2017Q3")
    with session_scope() as s:
        return collect_bulletin(s, "quarterly", "2017Q3", lo, hi, prefix)


def test_quarterly_figures_by_hand(db_url: str, tmp_path: Path) -> None:
    _check_quarterly(tmp_path)


def test_quarterly_postgres(pg_url: str, tmp_path: Path) -> None:
    _check_quarterly(tmp_path)


def _check_quarterly(tmp_path: Path) -> None:
    _world()
    data = _figures("")
    hz, xp = data.counties[1], data.counties[0]
    assert (xp.region_code, hz.region_code) == ("530427", "520527"), "ranked: treatment rate 100% before 75%"
    assert (hz.special_cases, hz.treated, hz.treatment_rate) == (4, 3, Decimal("75.0"))  # p4 confirmed later
    assert hz.by_category == {"long_term": 2, "maintenance": 1, "one_time_cure": 1}
    assert (hz.contract_patients, hz.contracted, hz.contract_rate) == (4, 1, Decimal("25.0"))  # p1 of p1 p2 p3 p5
    assert (hz.followed_cases, hz.followed, hz.follow_up_rate) == (3, 1, Decimal("33.3"))
    assert (hz.in_county_bills, hz.in_county_within_target, hz.within_target_rate) == (2, 1, Decimal("50.0"))
    assert (hz.in_county_total, hz.in_county_patient_pays, hz.self_pay_share) == (
        Decimal("20000.00"), Decimal("2300.00"), Decimal("11.5"))  # fmt: skip
    assert hz.out_of_county_bills == 1
    assert (hz.compared_people, hz.agreeing_people, hz.consistency_rate) == (2, 1, Decimal("50.0"))
    assert hz.alarms == {"untreated": 1}
    assert (xp.treatment_rate, xp.contract_rate, xp.in_county_bills, xp.within_target_rate) == (
        Decimal("100.0"), Decimal("100.0"), 0, None)  # fmt: skip
    assert all(c.special_cases == 0 for c in data.counties[2:]), "the other counties follow, empty"

    files = write_bulletin_files(data, str(tmp_path)).files
    markdown = Path(files[0]).read_text(encoding="utf-8")
    assert markdown.startswith("# 季通报 2017Q3（2017-07-01 至 2017-09-30）")
    assert "| 2 | 520527 | 赫章县 | 4 | 3 | 75.0 | 25.0 | 33.3 | 2 | 50.0 | 11.5 | 1 | 50.0 | 1 |" in markdown
    sheet = load_workbook(files[1], read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("排名", "地区编码", "地区") and rows[2][:4] == (2, "520527", "赫章县", 4)


def test_annual_and_supervisor_scope(db_url: str) -> None:
    _world()
    assert bulletin_scope("bijie-supervisor", None) == "5205"
    lo, hi = period_bounds("annual", "2017")
    with session_scope() as s:
        data = collect_bulletin(s, "annual", "2017", lo, hi, "5205")
    assert [c.region_code for c in data.counties] == ["520527"]
    hz = data.counties[0]
    assert (hz.special_cases, hz.treated, hz.alarms) == (5, 3, {"untreated": 2}), "p4 is in the year"
    assert (hz.followed_cases, hz.followed) == (4, 2)


def test_the_contract_rate_is_the_ledgers_and_an_ended_term_does_not_count(db_url: str) -> None:
    """One 签约率 everywhere (``tasks.reports.contract_rate``): the bulletin's at the quarter's end is the ledger's
    on that day, for each county; q1's term ended on 09-01 (dabing contract end) no longer counts on 09-30."""
    from datetime import UTC, datetime

    from models.contracts import ContractEventKind
    from tasks.reports.ledger import ledger_summary

    _world()
    with session_scope() as s:
        q1, term = s.execute(select(FamilyDoctorContract.patient_id, FamilyDoctorContract.id)
                             .where(col(FamilyDoctorContract.signed_on) == D("2017-01-10"))).one()  # fmt: skip
        ended = (term, q1, ContractEventKind.ENDED.value, D("2017-09-01"), "t", "迁出", datetime.now(UTC))
        append_rows(s, "contract_event", ("contract_id", "patient_id", "kind", "on", "actor", "reason", "recorded_at"),
                    [ended])  # fmt: skip
    data = _figures("")
    with session_scope() as s:
        for county in data.counties[:2]:
            ledger = ledger_summary(s, county.region_code, D("2017-09-30"))
            assert (county.contracted, county.contract_patients) == (ledger.contracted, ledger.contract_patients)
    xp = next(c for c in data.counties if c.region_code == "530427")
    assert (xp.contract_patients, xp.contracted, xp.contract_rate) == (1, 0, Decimal("0.0"))
