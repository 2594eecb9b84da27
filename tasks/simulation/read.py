"""The stored, settled stays a simulation re-settles, read set-based in windows of patient ids: each window
carries whole patients (a worker rebuilds their annual ledgers alone) and is read by the worker that prices it
(three queries: the stays, the patients' status and group history, what each stored layer paid). Rows are plain
tuples; ``tasks.simulation.work`` turns them into bills the way the settlement does."""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from models.care import Hospital, TreatmentEpisode
from models.corrections import FactRow, PatientFact, facts_on
from models.enums import PovertyStatus
from models.people import Patient
from models.settlement.tables import Settlement, SettlementLine
from tasks.pathway.patient_facts import history_where

#: patient ids per window (~0.8 stays a patient in a province: a few thousand stays a read)
WINDOW = 4000
_NO_GROUPS: frozenset[str] = frozenset()


class StoredStay(NamedTuple):
    """What ``stay_bill.bill_of`` reads (same names), plus the stored settlement's figures."""

    settlement_id: int
    episode_id: int
    patient_id: int
    household_id: int
    poverty_status: str
    birth_date: date
    region: str
    hospital_level: str
    hospital_region: str
    setting: str
    treatment_kind: str
    discharged_on: date
    total: Any
    out_of_scope: Any
    sessions: int
    patient_pays: Any
    self_pay_ratio: Any


#: a stay, the patient's status and groups on its service date, and what each stored layer paid
StayRow = tuple[StoredStay, tuple[PovertyStatus, frozenset[str]], dict[str, Any]]
#: patient ids ``lo`` to ``hi`` inclusive
Window = tuple[int, int]


def effective_only() -> list[Any]:
    """Conditions keeping the settlements in effect: not a reversal row (冲销), and not reversed since."""
    reversal = aliased(Settlement)
    reversed_ = select(col(reversal.id)).where(col(reversal.reverses_id) == col(Settlement.id)).exists()
    return [col(Settlement.generation).is_not(None), ~reversed_]


def windows(session: Session, width: int = WINDOW) -> list[Window]:
    """The patient ids cut into windows of ``width`` ids (empty windows cost one index probe each)."""
    lo, hi = session.execute(select(func.min(col(Patient.id)), func.max(col(Patient.id)))).one()
    if lo is None:
        return []
    return [(a, min(a + width - 1, hi)) for a in range(lo, hi + 1, width)]


def _text(column: Any) -> Any:
    """An enum column read as its stored text (its value): the bill maps values to members with a dict,
    SQLAlchemy's per-value enum processing is skipped."""
    return type_coerce(col(column), String).label(column.key)


def _statement(region: str | None, start: date, end: date, window: Window) -> Any:
    stmt = (
        select(
            col(Settlement.id),
            col(TreatmentEpisode.id),
            col(TreatmentEpisode.patient_id),
            col(Patient.household_id),
            _text(Patient.poverty_status),
            col(Patient.birth_date),
            col(Patient.region_code),
            _text(Hospital.level),
            col(Hospital.region_code),
            _text(TreatmentEpisode.setting),
            _text(TreatmentEpisode.treatment_kind),
            col(TreatmentEpisode.discharged_on),
            col(TreatmentEpisode.total_cost),
            col(TreatmentEpisode.out_of_scope),
            col(TreatmentEpisode.sessions),
            col(Settlement.patient_pays),
            col(Settlement.self_pay_ratio),
        )
        .join(TreatmentEpisode, col(TreatmentEpisode.id) == col(Settlement.episode_id))
        .join(Patient, col(Patient.id) == col(TreatmentEpisode.patient_id))
        .join(Hospital, col(Hospital.id) == col(TreatmentEpisode.hospital_id))
        .where(
            col(Settlement.patient_id).between(*window),
            col(Settlement.service_date).between(start, end),
            *effective_only(),
        )
        .order_by(col(Settlement.patient_id), col(Settlement.service_date), col(Settlement.id))
    )
    if region:
        stmt = stmt.where(col(Patient.region_code).startswith(region))
    return stmt


def _history(session: Session, window: Window) -> dict[int, list[FactRow]]:
    """The status and group history of the window's patients (most have none)."""
    return history_where(session, col(PatientFact.patient_id).between(*window))


def _lines(session: Session, start: date, end: date, window: Window) -> dict[int, dict[str, Any]]:
    """settlement id → layer → what it paid, for the window's settlements of the period."""
    stmt = (
        select(col(SettlementLine.settlement_id), col(SettlementLine.layer), col(SettlementLine.paid))
        .join(Settlement, col(Settlement.id) == col(SettlementLine.settlement_id))
        .where(col(Settlement.patient_id).between(*window), col(Settlement.service_date).between(start, end))
    )
    out: dict[int, dict[str, Any]] = {}
    for sid, layer, paid in session.connection().execute(stmt).tuples():
        out.setdefault(sid, {})[str(layer)] = paid
    return out


def read_window(session: Session, region: str | None, start: date, end: date, window: Window) -> list[StayRow]:
    """The window's settled stays from ``start`` to ``end`` (inclusive), per patient in service-date order, each
    with the status and groups in force on its service date (``facts_on``, as the settlement reads them: a
    patient without a status row in force has the status they were registered with)."""
    conn = session.connection()  # Core rows: no ORM loading per row
    stays = [StoredStay._make(values) for values in conn.execute(_statement(region, start, end, window)).all()]
    if not stays:
        return []
    history = _history(session, window)
    lines = _lines(session, start, end, window)
    statuses: dict[Any, PovertyStatus] = {}
    out: list[StayRow] = []
    for stay in stays:
        rows = history.get(stay.patient_id)
        if rows is None:  # no history: the registered status, no group (what ``facts_on`` gives for none)
            status = statuses.get(stay.poverty_status)
            if status is None:
                status = statuses[stay.poverty_status] = PovertyStatus(stay.poverty_status)
            facts = (status, _NO_GROUPS)
        else:
            found, groups = facts_on(rows, stay.discharged_on, PovertyStatus(stay.poverty_status))
            assert found is not None  # the registered status at least
            facts = (found, groups)
        out.append((stay, facts, lines.get(stay.settlement_id, {})))
    return out
