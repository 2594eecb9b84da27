"""A patient's page: every case with its category and one timeline of everything that happened to the patient
(screenings, moves with who/when/why, referrals, stays, settlements with their per-layer statement,
follow-ups, contracts, findings), oldest first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from config.identity import identity_keys
from models.care import FamilyDoctorContract, FollowUp, Hospital, Referral, TreatmentEpisode
from models.clinical import Case, CaseTransition, Condition, Screening
from models.findings import Finding
from models.identity import open_name, open_national_id
from models.people import Household, Patient
from models.settlement.tables import Settlement, SettlementLine
from web import labels
from web.statement import line_zh


@dataclass(frozen=True, slots=True)
class Entry:
    on: date | datetime
    case_id: int | None
    what: str
    detail: str
    actor: str = ""
    at: datetime | None = None  # when the row was written (orders the entries of one day)

    @property
    def sort_key(self) -> tuple[str, str]:
        """The business day, then the time the row was written (rows without one last in their day)."""
        stamp = self.at or (self.on if isinstance(self.on, datetime) else None)
        return labels.ymd(self.on)[:10], labels.ymd(stamp) if stamp else "~"


@dataclass
class Page:
    patient: Patient
    household_ref: str
    name: str
    masked_id: str
    cases: list[Any] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    statements: dict[int, list[tuple[str, str, str]]] = field(default_factory=dict)


def mask(number: str) -> str:
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def clear_id(patient: Patient) -> str:
    return open_national_id(identity_keys(), patient.id, patient.national_id_hash, patient.national_id_sealed)


def _hospitals(s: Session) -> dict[int, str]:
    return {int(i): labels.hospital_name(c) for i, c in s.execute(select(col(Hospital.id), col(Hospital.code)))}


def _transitions(s: Session, case_ids: list[int]) -> list[Entry]:
    rows = s.execute(select(CaseTransition).where(col(CaseTransition.case_id).in_(case_ids))).scalars()
    return [
        Entry(
            t.at,
            t.case_id,
            "状态变更",
            f"{labels.state(t.from_state)} → {labels.state(t.to_state)}（{t.reason}）",
            t.actor,
        )
        for t in rows
    ]


def _care(s: Session, case_ids: list[int], names: dict[int, str]) -> list[Entry]:
    out: list[Entry] = []
    for r in s.execute(select(Referral).where(col(Referral.case_id).in_(case_ids))).scalars():
        urgent = "，绿色通道" if r.green_channel else ""
        detail = f"{labels.direction(r.direction)} → {names.get(r.hospital_id, '—')}{urgent}"
        out.append(
            Entry(
                r.referred_on,
                r.case_id,
                "转诊",
                f"{detail}（{labels.referral_status(r.status)}）",
                r.actor,
                r.created_at,
            )
        )
    for e in s.execute(select(TreatmentEpisode).where(col(TreatmentEpisode.case_id).in_(case_ids))).scalars():
        out.append(Entry(e.admitted_on, e.case_id, "入院", names.get(e.hospital_id, "—")))
        if e.discharged_on:
            text = f"医疗总费用 {labels.yuan(e.total_cost)}，目录外 {labels.yuan(e.out_of_scope)}，治疗 {e.sessions} 次"
            out.append(Entry(e.discharged_on, e.case_id, "出院", text))
    for f in s.execute(select(FollowUp).where(col(FollowUp.case_id).in_(case_ids))).scalars():
        out.append(Entry(f.followed_on, f.case_id, "随访", f"结果：{labels.outcome(f.outcome)}", f.actor, f.created_at))
    return out


def _settlements(s: Session, patient_id: int, page: Page) -> list[Entry]:
    out: list[Entry] = []
    for st in s.execute(select(Settlement).where(col(Settlement.patient_id) == patient_id)).scalars():
        pays = f"{labels.yuan(st.patient_pays)}（{labels.percent(st.self_pay_ratio)}）"
        text = f"总费用 {labels.yuan(st.total)}，个人自付 {pays}"
        out.append(Entry(st.service_date, st.case_id, "一站式结算", text, st.actor, st.settled_at))
        lines = s.execute(select(SettlementLine).where(col(SettlementLine.settlement_id) == st.id)).scalars()
        page.statements[st.case_id] = [line_zh(st.policy_id, ln) for ln in lines]
    return out


def _patient_rows(s: Session, patient_id: int, names: dict[int, str]) -> list[Entry]:
    out: list[Entry] = []
    for sc in s.execute(select(Screening).where(col(Screening.patient_id) == patient_id)).scalars():
        out.append(
            Entry(
                sc.screened_on,
                None,
                "筛查",
                f"方式：{labels.METHODS.get(sc.method, sc.method)}",
                sc.actor,
                sc.created_at,
            )
        )
    for c in s.execute(
        select(FamilyDoctorContract).where(col(FamilyDoctorContract.patient_id) == patient_id)
    ).scalars():
        where = names.get(c.institution_id, "") if c.institution_id else ""
        out.append(Entry(c.signed_on, None, "家庭医生签约", f"{where} 有效至 {labels.ymd(c.expires_on)}".strip()))
    for f in s.execute(select(Finding).where(col(Finding.patient_id) == patient_id)).scalars():
        amount = f"，金额 {labels.yuan(f.amount)}" if f.amount is not None else ""
        out.append(Entry(f.night, f.case_id, "预警/发现", f"{labels.finding(f.kind)}：{f.reason}{amount}"))
    return out


def patient_page(s: Session, patient: Patient) -> Page:
    assert patient.id is not None
    keys = identity_keys()
    household = s.get(Household, patient.household_id)
    page = Page(
        patient,
        household.ref if household else "—",
        open_name(keys, patient.id, patient.national_id_hash, patient.name_sealed),
        mask(clear_id(patient)),
    )
    names = _hospitals(s)
    stmt = (
        select(Case, Condition)
        .join(Condition, col(Condition.id) == col(Case.condition_id))
        .where(col(Case.patient_id) == patient.id)
        .order_by(col(Case.id))
    )
    page.cases = [(c, cond, names.get(c.hospital_id or 0, "—")) for c, cond in s.execute(stmt).tuples()]
    case_ids = [int(c.id) for c, _, _ in page.cases if c.id is not None]
    entries = _patient_rows(s, patient.id, names) + _settlements(s, patient.id, page)
    if case_ids:
        entries += _transitions(s, case_ids) + _care(s, case_ids, names)
    page.entries = sorted(entries, key=lambda e: e.sort_key)
    return page
