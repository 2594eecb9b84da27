"""The rows of a patient's timeline, one builder per kind of record: screenings, moves (who/when/why), referrals
and the hospitals' answers, stays with their sessions, settlements and reversals, follow-ups, contract events,
status and group corrections, alarms and their steps. A reason typed on a console page is stored apart
(``console_note``); the rows refer to it by id and read here with its text (``Notes``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session, col

from models.alarms import ACTION_LABELS, STEP_LABELS, AlarmEvent
from models.care import FollowUp, Referral, TreatmentEpisode
from models.clinical import CaseTransition, Screening
from models.console import ConsoleNote, note_id_of
from models.contracts import CONTRACT_EVENT_LABELS, ContractEvent
from models.corrections import CaseCorrection, FactKind, PatientFact
from models.enums import GROUP_LABELS, TREATMENT_KIND_LABELS, PatientGroup, TreatmentKind
from models.findings import Finding
from models.referral_history import ReferralEvent
from models.settlement.tables import Settlement
from web import labels
from web.finding_text import finding_reason


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
        return labels.ymd(self.on)[:10], f"{labels.ymd(stamp)}{stamp:%S.%f}" if stamp else "~"


class Notes:
    """The patient's console notes, read once: a stored reason shown with its typed text."""

    def __init__(self, s: Session, patient_id: int) -> None:
        rows = s.execute(select(ConsoleNote).where(col(ConsoleNote.patient_id) == patient_id)).scalars()
        self.s, self.text = s, {int(n.id or 0): n.text for n in rows}

    def __call__(self, reason: str | None) -> str:
        note = note_id_of(reason or "")
        if note is None:
            return labels.reason(reason)
        if note not in self.text:  # typed on another member's page (a household's alarm)
            found = self.s.get(ConsoleNote, note)
            self.text[note] = found.text if found else "（备注已不可见）"
        return str(self.text[note])


def _kind(value: str) -> str:
    return TREATMENT_KIND_LABELS.get(TreatmentKind(value), value) if value in set(TreatmentKind) else value


def transitions(s: Session, case_ids: list[int], notes: Notes) -> list[Entry]:
    rows = s.execute(select(CaseTransition).where(col(CaseTransition.case_id).in_(case_ids))).scalars()
    return [
        Entry(t.at, t.case_id, "状态变更",
              f"{labels.state(t.from_state)} → {labels.state(t.to_state)}（{notes(t.reason)}）", t.actor)
        for t in rows
    ]  # fmt: skip


def corrections(s: Session, case_ids: list[int], notes: Notes) -> list[Entry]:
    rows = s.execute(select(CaseCorrection).where(col(CaseCorrection.case_id).in_(case_ids))).scalars()
    what = {"diagnosis": "更正诊断", "close": "结案", "undo": "撤销上一步"}
    return [
        Entry(c.recorded_at, c.case_id, what.get(c.kind, c.kind), f"{c.detail}（{notes(c.reason)}）", c.actor)
        for c in rows
    ]


def referrals(s: Session, case_ids: list[int], names: dict[int, str]) -> list[Entry]:
    out: list[Entry] = []
    rows = list(s.execute(select(Referral).where(col(Referral.case_id).in_(case_ids))).scalars())
    for r in rows:
        urgent = "，绿色通道" if r.green_channel else ""
        detail = f"{labels.direction(r.direction)} → {names.get(r.hospital_id, '—')}{urgent}"
        out.append(Entry(r.referred_on, r.case_id, f"转诊 #{r.id}",
                         f"{detail}（{labels.referral_status(r.status)}）", r.actor, r.created_at))  # fmt: skip
    by_id = {int(r.id or 0): r for r in rows}
    events = s.execute(select(ReferralEvent).where(col(ReferralEvent.referral_id).in_(list(by_id)))).scalars()
    for e in events:
        referral = by_id[e.referral_id]
        why = f"：{labels.reason(labels.decline(e.reason))}" if e.reason else ""
        out.append(Entry(e.occurred_on or e.at, referral.case_id, f"转诊 #{e.referral_id}",
                         f"{names.get(referral.hospital_id, '—')} {labels.referral_status(e.to_status)}{why}",
                         e.actor, e.at))  # fmt: skip
    return out


def stays(episodes: list[TreatmentEpisode], names: dict[int, str]) -> list[Entry]:
    out: list[Entry] = []
    for e in episodes:
        where = f"{names.get(e.hospital_id, '—')}，{e.icd10}，{_kind(e.treatment_kind)}"
        out.append(Entry(e.admitted_on, e.case_id, f"入院（住院 #{e.id}）", where, e.admitted_by or ""))
        if e.discharged_on:
            text = f"医疗总费用 {labels.yuan(e.total_cost)}，目录外 {labels.yuan(e.out_of_scope)}，治疗 {e.sessions} 次"
            out.append(Entry(e.discharged_on, e.case_id, f"出院（住院 #{e.id}）", text, e.discharged_by or ""))
    return out


def settlements(rows: list[Settlement], notes: Notes) -> list[Entry]:
    out: list[Entry] = []
    for st in rows:
        pays = f"{labels.yuan(st.patient_pays)}（{labels.percent(st.self_pay_ratio)}）"
        if st.reverses_id is not None:
            what, text = "结算冲销", f"冲销结算 #{st.reverses_id}（{notes(st.reason)}）"
        else:
            what = "一站式结算" if not st.generation else f"重新结算（第 {st.generation} 次）"
            text = f"结算 #{st.id}，住院 #{st.episode_id}：总费用 {labels.yuan(st.total)}，个人自付 {pays}"
            text += f"（{notes(st.reason)}）" if st.reason else ""
        out.append(Entry(st.service_date, st.case_id, what, text, st.actor, st.settled_at))
    return out


def follow_ups(s: Session, case_ids: list[int]) -> list[Entry]:
    rows = s.execute(select(FollowUp).where(col(FollowUp.case_id).in_(case_ids))).scalars()
    return [Entry(f.followed_on, f.case_id, "随访", f"结果：{labels.outcome(f.outcome)}", f.actor, f.created_at)
            for f in rows]  # fmt: skip


def screenings(s: Session, patient_id: int) -> list[Entry]:
    rows = s.execute(select(Screening).where(col(Screening.patient_id) == patient_id)).scalars()
    return [Entry(sc.screened_on, None, "筛查", f"方式：{labels.METHODS.get(sc.method, sc.method)}", sc.actor,
                  sc.created_at) for sc in rows]  # fmt: skip


def contracts(s: Session, patient_id: int, notes: Notes) -> list[Entry]:
    rows = s.execute(select(ContractEvent).where(col(ContractEvent.patient_id) == patient_id)).scalars()
    return [Entry(e.on, None, f"家庭医生{CONTRACT_EVENT_LABELS[e.kind]}", f"合同 #{e.contract_id}（{notes(e.reason)}）",
                  e.actor, e.recorded_at) for e in rows]  # fmt: skip


def facts(s: Session, patient_id: int, notes: Notes) -> list[Entry]:
    rows = s.execute(select(PatientFact).where(col(PatientFact.patient_id) == patient_id)).scalars()
    out: list[Entry] = []
    for f in rows:
        if f.kind == FactKind.STATUS:
            what, value = "贫困属性", labels.poverty(f.value)
        else:
            what = "加入特殊人群" if f.kind == FactKind.GROUP_ADDED else "退出特殊人群"
            value = GROUP_LABELS.get(PatientGroup(f.value), f.value) if f.value in set(PatientGroup) else f.value
        out.append(Entry(f.effective_from, None, what, f"{value}（{notes(f.reason)}）", f.actor, f.recorded_at))
    return out


def alarms(s: Session, findings: list[Finding], notes: Notes) -> list[Entry]:
    out = [Entry(f.night, f.case_id, f"预警 #{f.id}", f"{labels.finding(f.kind)}：{finding_reason(f.reason)}", "",
                 f.created_at) for f in findings]  # fmt: skip
    ids = [int(f.id or 0) for f in findings]
    case_of = {int(f.id or 0): f.case_id for f in findings}
    for e in s.execute(select(AlarmEvent).where(col(AlarmEvent.finding_id).in_(ids))).scalars():
        done = f"，{ACTION_LABELS[e.action]}" if e.action else ""
        note = f"（{notes(e.note)}）" if e.note else ""
        out.append(Entry(e.night or e.at, case_of[e.finding_id], f"预警 #{e.finding_id}",
                         f"{STEP_LABELS[e.step]}{done}{note}", e.actor, e.at))  # fmt: skip
    return out
