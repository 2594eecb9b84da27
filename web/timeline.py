"""A patient's page: every case with its category, its referrals (the open ones can be answered) and its stays
with their settlements' per-layer statements; the stays of no case; the alarms with their state; and one timeline
of everything that happened to the patient (``web.timeline_rows``), oldest first."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session, col

from config.identity import identity_keys
from models.care import Hospital, Referral, TreatmentEpisode
from models.clinical import Case, Condition
from models.findings import Finding
from models.identity import open_name, open_national_id
from models.people import Household, Patient
from models.settlement.policy import PayerLayer
from models.settlement.stored import in_effect
from models.settlement.tables import Settlement, SettlementLine
from web import labels
from web import timeline_rows as rows
from web.statement import line_zh
from web.timeline_rows import Entry

__all__ = ["Entry", "Page", "Stay", "clear_id", "mask", "patient_page"]


@dataclass
class Stay:
    episode: TreatmentEpisode
    hospital: str
    settlements: list[Settlement] = field(default_factory=list)  # every row: settlements and reversals
    statement: list[tuple[str, str, str]] = field(default_factory=list)  # of the one in effect

    @property
    def in_effect(self) -> Settlement | None:
        return in_effect(self.settlements)


@dataclass
class Page:
    patient: Patient
    household_ref: str
    name: str
    masked_id: str
    cases: list[Any] = field(default_factory=list)  # (case, condition, hospital name)
    referrals: dict[int, list[tuple[Referral, str]]] = field(default_factory=dict)  # case → (referral, hospital)
    stays: dict[int | None, list[Stay]] = field(default_factory=dict)  # case (None: no case) → its stays
    alarms: list[Finding] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)


def mask(number: str) -> str:
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def clear_id(patient: Patient) -> str:
    return open_national_id(identity_keys(), patient.id, patient.national_id_hash, patient.national_id_sealed)


def _hospitals(s: Session) -> dict[int, str]:
    return {int(i): labels.hospital_name(c) for i, c in s.execute(select(col(Hospital.id), col(Hospital.code)))}


def _stays(s: Session, patient_id: int, names: dict[int, str], page: Page) -> list[Settlement]:
    episodes = list(
        s.execute(
            select(TreatmentEpisode)
            .where(col(TreatmentEpisode.patient_id) == patient_id)
            .order_by(col(TreatmentEpisode.admitted_on), col(TreatmentEpisode.id))
        ).scalars()
    )
    by_episode = {int(e.id or 0): Stay(e, names.get(e.hospital_id, "—")) for e in episodes}
    settled = list(s.execute(select(Settlement).where(col(Settlement.patient_id) == patient_id)).scalars())
    for st in settled:
        if st.episode_id in by_episode:
            by_episode[st.episode_id].settlements.append(st)
    effective = {int(stay.in_effect.id or 0): stay for stay in by_episode.values() if stay.in_effect}
    lines = select(SettlementLine).where(col(SettlementLine.settlement_id).in_(list(effective)))
    order = list(PayerLayer)
    for line in sorted(s.execute(lines).scalars(), key=lambda ln: (ln.settlement_id, order.index(ln.layer))):
        stay = effective[line.settlement_id]
        stay.statement.append(line_zh(stay.in_effect.policy_id if stay.in_effect else "", line))
    for stay in by_episode.values():
        page.stays.setdefault(stay.episode.case_id, []).append(stay)
    page.entries += rows.stays(episodes, names)
    return settled


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
    notes = rows.Notes(s, patient.id)
    stmt = (
        select(Case, Condition)
        .join(Condition, col(Condition.id) == col(Case.condition_id))
        .where(col(Case.patient_id) == patient.id)
        .order_by(col(Case.id))
    )
    page.cases = [(c, cond, names.get(c.hospital_id or 0, "—")) for c, cond in s.execute(stmt).tuples()]
    case_ids = [int(c.id) for c, _, _ in page.cases if c.id is not None]
    for r in s.execute(select(Referral).where(col(Referral.case_id).in_(case_ids)).order_by(col(Referral.id))):
        page.referrals.setdefault(r[0].case_id, []).append((r[0], names.get(r[0].hospital_id, "—")))
    mine = or_(col(Finding.patient_id) == patient.id, col(Finding.household_id) == patient.household_id)
    page.alarms = list(s.execute(select(Finding).where(mine).order_by(col(Finding.id))).scalars())
    settled = _stays(s, patient.id, names, page)
    page.entries += (
        rows.screenings(s, patient.id) + rows.contracts(s, patient.id, notes) + rows.facts(s, patient.id, notes)
        + rows.settlements(settled, notes) + rows.alarms(s, page.alarms, notes)
        + rows.transitions(s, case_ids, notes) + rows.corrections(s, case_ids, notes)
        + rows.referrals(s, case_ids, names) + rows.follow_ups(s, case_ids)
    )  # fmt: skip
    page.entries.sort(key=lambda e: e.sort_key)
    return page
