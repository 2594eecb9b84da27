"""The stored, settled stays a simulation re-settles: one ordered read, cut into chunks at patient boundaries
(each chunk carries whole patients, so a worker rebuilds their annual ledgers alone). Rows are plain tuples
(they go to worker processes); ``tasks.simulation.work`` turns them into bills the way the settlement does."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from models.care import Hospital, TreatmentEpisode
from models.people import Patient
from models.settlement.tables import Settlement, SettlementLine
from tasks.infra.bulkwrite import id_in
from tasks.pathway.patient_facts import status_and_groups_on

CHUNK = 4000


class StoredStay(NamedTuple):
    """What ``settle._bill_of`` reads (same names), plus the stored settlement's figures."""

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


#: a chunk row: the stay, the status and groups on its service date, and what each layer paid
ChunkRow = tuple[StoredStay, tuple[str, frozenset[str]], dict[str, Any]]


def _statement(region: str | None, start: date, end: date) -> Any:
    stmt = (
        select(
            col(Settlement.id),
            col(TreatmentEpisode.id),
            col(TreatmentEpisode.patient_id),
            col(Patient.household_id),
            col(Patient.poverty_status),
            col(Patient.birth_date),
            col(Patient.region_code),
            col(Hospital.level),
            col(Hospital.region_code),
            col(TreatmentEpisode.setting),
            col(TreatmentEpisode.treatment_kind),
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
        .where(col(Settlement.service_date).between(start, end), *effective_only())
        .order_by(col(TreatmentEpisode.patient_id), col(Settlement.service_date), col(Settlement.id))
    )
    if region:
        stmt = stmt.where(col(Patient.region_code).startswith(region))
    return stmt


def effective_only() -> list[Any]:
    """Conditions keeping the settlements in effect: not a reversal row (冲销), and not reversed since."""
    reversal = aliased(Settlement)
    reversed_ = select(col(reversal.id)).where(col(reversal.reverses_id) == col(Settlement.id)).exists()
    return [col(Settlement.generation).is_not(None), ~reversed_]


def _lines(session: Session, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    stmt = select(col(SettlementLine.settlement_id), col(SettlementLine.layer), col(SettlementLine.paid)).where(
        id_in(session, col(SettlementLine.settlement_id), ids)
    )
    out: dict[int, dict[str, Any]] = {}
    for sid, layer, paid in session.execute(stmt).tuples():
        out.setdefault(sid, {})[str(layer)] = paid
    return out


def _finish(session: Session, rows: list[StoredStay]) -> list[ChunkRow]:
    facts = status_and_groups_on(session, [(r.patient_id, r.discharged_on) for r in rows])
    lines = _lines(session, [r.settlement_id for r in rows])
    out: list[ChunkRow] = []
    for r in rows:
        status, groups = facts[(r.patient_id, r.discharged_on)]
        out.append((r, (status.value, groups), lines.get(r.settlement_id, {})))
    return out


def stay_chunks(
    session: Session, region: str | None, start: date, end: date, size: int = CHUNK
) -> Iterator[list[ChunkRow]]:
    """Every settled stay from ``start`` to ``end`` (inclusive), per patient in service-date order, in chunks
    of about ``size`` rows that never split a patient."""
    rows: list[StoredStay] = []
    result = session.execute(_statement(region, start, end).execution_options(yield_per=size))
    for values in result.tuples():
        stay = StoredStay(*values)
        if len(rows) >= size and stay.patient_id != rows[-1].patient_id:
            yield _finish(session, rows)
            rows = []
        rows.append(stay)
    if rows:
        yield _finish(session, rows)
