"""Reversal (冲销) and re-settlement of a stored settlement: appended rows, never an update in place.

``reverse`` appends a negative settlement referencing the original (actor, reason), its lines negated, and
takes the original's amounts back out of the annual payer ledger (paid and yearly deductible, so caps and
deductibles see them again). ``resettle`` reverses the stay's effective settlement (if it still has one) and
appends a new generation settled with the corrected amounts under the policy in force on the service date.

Concurrency: the case row is locked first (then the patient, as ``settle`` does), and the database holds
"one effective settlement per stay" even if two callers pass the checks at once: UNIQUE(reverses_id) lets
one reversal of a settlement commit, UNIQUE(episode_id, generation) one settlement of a generation.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

from prefect import task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, insert, select
from sqlmodel import Session, col

from config.policies import load_policies
from models.care import Hospital, TreatmentEpisode
from models.common import utcnow
from models.errors import BadInput, NotFound
from models.events import Change, DomainEvent
from models.people import Patient
from models.settlement.amounts import BillAmounts
from models.settlement.bill import Bill, PriorUse
from models.settlement.engine import settle
from models.settlement.ledger import apply_statement
from models.settlement.policy import PayerLayer
from models.settlement.stay_bill import bill_of
from models.settlement.stored import LINE_COLUMNS, LineRow, ledger_deltas, line_rows, reversed_rows
from models.settlement.tables import PayerLedger, Settlement, SettlementLine
from tasks.infra.access import authorize_case, authorize_patient
from tasks.infra.bulkwrite import append_rows
from tasks.infra.db import session_scope
from tasks.infra.events import record
from tasks.infra.retry import RETRY
from tasks.pathway.patient_facts import lock_patient, status_and_groups_on
from tasks.pathway.transitions import lock_case
from tasks.settlement.store import lock_ledgers

REASON_MAX = 200


class ReversalOutcome(BaseModel):
    """What a reversal or re-settlement wrote: internal ids only."""

    model_config = ConfigDict(frozen=True)

    case_id: int | None
    episode_id: int
    reversed_id: int | None = None  # the settlement reversed (None: the stay had none in effect)
    reversal_id: int | None = None  # the negative row written
    settlement_id: int | None = None  # the new settlement (re-settlement only)
    generation: int | None = None
    patient_pays: Decimal | None = None


class AlreadyReversed(BadInput):
    def __init__(self, settlement_id: int, reversal_id: int) -> None:
        super().__init__("settlement", f"settlement {settlement_id} is already reversed (by {reversal_id})")


def _reason(reason: str) -> str:
    text = " ".join(reason.split())
    if not text:
        raise BadInput("reason", "required: say why the settlement is corrected")
    if len(text) > REASON_MAX:
        raise BadInput("reason", f"at most {REASON_MAX} characters")
    return text


def _lines(session: Session, settlement_id: int) -> list[LineRow]:
    rows = session.execute(
        select(SettlementLine)
        .where(col(SettlementLine.settlement_id) == settlement_id)
        .order_by(col(SettlementLine.layer))
    ).scalars()
    return [
        LineRow(PayerLayer(r.layer), r.base, r.deductible, r.ratio, r.paid, r.rule, r.label_zh, r.ledger_deductible)
        for r in rows
    ]


def _reversal_of(session: Session, settlement_id: int) -> int | None:
    return session.execute(select(col(Settlement.id)).where(col(Settlement.reverses_id) == settlement_id)).scalar()


def _effective(session: Session, episode_id: int) -> Settlement | None:
    """The stay's settlement in effect: its latest generation, unless that one is reversed."""
    latest: Settlement | None = (
        session.execute(
            select(Settlement)
            .where(col(Settlement.episode_id) == episode_id, col(Settlement.generation).is_not(None))
            .order_by(col(Settlement.generation).desc())
        )
        .scalars()
        .first()
    )
    if latest is None or latest.id is None or _reversal_of(session, latest.id) is not None:
        return None
    return latest


def _year_ledger(session: Session, patient_id: int, year: int) -> dict[PayerLayer, PriorUse]:
    stored = lock_ledgers(session, [patient_id])
    return {
        layer: PriorUse.model_construct(paid=paid, deductible=used)
        for (pid, y, layer), (_, paid, used) in stored.items()
        if pid == patient_id and y == year
    }


def _post_ledger(session: Session, patient_id: int, year: int, after: dict[PayerLayer, PriorUse]) -> None:
    """Write the year's ledger as ``after`` (rows locked by ``_year_ledger``; missing layers inserted)."""
    rows = {
        PayerLayer(lg.layer): lg
        for lg in session.execute(
            select(PayerLedger).where(col(PayerLedger.patient_id) == patient_id, col(PayerLedger.year) == year)
        ).scalars()
    }
    for layer, use in after.items():
        lg = rows.get(layer)
        if lg is None:
            session.add(
                PayerLedger(
                    patient_id=patient_id, year=year, layer=layer, paid=use.paid, deductible_used=use.deductible
                )
            )
        else:
            lg.paid, lg.deductible_used = use.paid, use.deductible
    session.flush()


def _append(session: Session, head: Mapping[str, object], lines: list[LineRow]) -> int:
    new_id = int(session.execute(insert(Settlement).values(head).returning(col(Settlement.id))).scalar_one())
    append_rows(session, "settlement_line", LINE_COLUMNS, [(new_id, *ln) for ln in lines])
    return new_id


def _reverse(session: Session, original: Settlement, actor: str, reason: str, now: datetime) -> int:
    assert original.id is not None
    found = _reversal_of(session, original.id)
    if found is not None:
        raise AlreadyReversed(original.id, found)
    lines = _lines(session, original.id)
    year = original.service_date.year
    ledger = _year_ledger(session, original.patient_id, year)
    _post_ledger(session, original.patient_id, year, apply_statement(ledger, ledger_deltas(reversed_rows(lines))))
    head = {
        "episode_id": original.episode_id,
        "generation": None,
        "reverses_id": original.id,
        "reason": reason,
        "case_id": original.case_id,
        "patient_id": original.patient_id,
        "policy_id": original.policy_id,
        "service_date": original.service_date,
        "total": -original.total,
        "in_scope": -original.in_scope,
        "patient_pays": -original.patient_pays,
        "self_pay_ratio": -original.self_pay_ratio,
        "flags": original.flags,
        "settled_at": now,
        "actor": actor,
    }
    rid = _append(session, head, reversed_rows(lines))
    payload = {"actor": actor, "settlement_id": original.id, "reversal_id": rid}
    record(session, Change(DomainEvent.SETTLEMENT_REVERSED, *_subject(original.case_id, original.episode_id), payload))
    return rid


def _subject(case_id: int | None, episode_id: int) -> tuple[str, tuple[int]]:
    """An event's subject: the case the stay treated, or the stay itself (a stay without a case)."""
    return ("case", (case_id,)) if case_id is not None else ("stay", (episode_id,))


def _locked(session: Session, case_id: int | None, patient_id: int, actor: str) -> None:
    """The case row locked (a stay of a case), else the patient's; the actor must cover the patient."""
    if case_id is not None:
        authorize_case(session, actor, lock_case(session, case_id))
    else:
        lock_patient(session, patient_id)
        authorize_patient(session, actor, patient_id)


def reverse(session: Session, settlement_id: int, actor: str, reason: str) -> ReversalOutcome:
    """Reverse one settlement (not a reversal, not already reversed). Raises NotFound / BadInput."""
    why = _reason(reason)
    original = session.get(Settlement, settlement_id)
    if original is None:
        raise NotFound("settlement", settlement_id)
    _locked(session, original.case_id, original.patient_id, actor)
    session.refresh(original)
    if original.reverses_id is not None:
        raise BadInput("settlement", f"settlement {settlement_id} is itself a reversal")
    rid = _reverse(session, original, actor, why, utcnow())
    return ReversalOutcome(
        case_id=original.case_id, episode_id=original.episode_id, reversed_id=settlement_id, reversal_id=rid
    )


def _bill(session: Session, ep: TreatmentEpisode, amounts: BillAmounts) -> Bill:
    """The stay as a bill with the corrected amounts (service date: the discharge date)."""
    patient = session.get(Patient, ep.patient_id)
    hospital = session.get(Hospital, ep.hospital_id)
    assert patient is not None and hospital is not None and ep.discharged_on is not None
    on = ep.discharged_on
    facts = status_and_groups_on(session, [(ep.patient_id, on)])[(ep.patient_id, on)]
    row = SimpleNamespace(
        discharged_on=on, treatment_kind=ep.treatment_kind, region=patient.region_code, setting=ep.setting,
        hospital_level=hospital.level, hospital_region=hospital.region_code, birth_date=patient.birth_date,
        total=amounts.total_cost, out_of_scope=amounts.out_of_scope, sessions=amounts.sessions,
    )  # fmt: skip
    return bill_of(cast(Any, row), facts)  # built exactly as the settlement at discharge builds it


def resettle(session: Session, episode_id: int, amounts: BillAmounts, actor: str, reason: str) -> ReversalOutcome:
    """Reverse the stay's effective settlement (if any) and settle it again with ``amounts``."""
    why = _reason(reason)
    ep = session.get(TreatmentEpisode, episode_id)
    if ep is None:
        raise NotFound("stay", episode_id)
    _locked(session, ep.case_id, ep.patient_id, actor)
    last_generation = session.execute(
        select(func.max(col(Settlement.generation))).where(col(Settlement.episode_id) == episode_id)
    ).scalar()
    if last_generation is None:
        raise BadInput("stay", f"stay {episode_id} was never settled: settle it first (dabing settle)")
    now = utcnow()
    current = _effective(session, episode_id)
    rid = _reverse(session, current, actor, why, now) if current is not None else None
    bill = _bill(session, ep, amounts)
    policy = load_policies().in_force(bill.region, bill.service_date)
    year = bill.service_date.year
    prior = _year_ledger(session, ep.patient_id, year)
    statement, deltas = settle(bill.model_copy(update={"prior_paid": prior}), policy)
    _post_ledger(session, ep.patient_id, year, apply_statement(prior, deltas))
    head = {
        "episode_id": episode_id,
        "generation": last_generation + 1,
        "reverses_id": None,
        "reason": why,
        "case_id": ep.case_id,
        "patient_id": ep.patient_id,
        "policy_id": statement.policy_id,
        "service_date": bill.service_date,
        "total": statement.total,
        "in_scope": statement.in_scope,
        "patient_pays": statement.patient_pays,
        "self_pay_ratio": statement.self_pay_ratio,
        "flags": ",".join(statement.flags),
        "settled_at": now,
        "actor": actor,
    }
    sid = _append(session, head, line_rows(statement, deltas))
    payload = {"actor": actor, "settlement_id": sid, "generation": last_generation + 1}
    record(session, Change(DomainEvent.SETTLEMENT_RESETTLED, *_subject(ep.case_id, episode_id), payload))
    return ReversalOutcome(
        case_id=ep.case_id,
        episode_id=episode_id,
        reversed_id=current.id if current is not None else None,
        reversal_id=rid,
        settlement_id=sid,
        generation=last_generation + 1,
        patient_pays=statement.patient_pays,
    )


@task(task_run_name="reverse-settlement-{settlement_id}", cache_policy=NO_CACHE, **RETRY)
def reverse_settlement(settlement_id: int, actor: str, reason: str) -> ReversalOutcome:
    with session_scope() as s:
        return reverse(s, settlement_id, actor, reason)


@task(task_run_name="resettle-stay-{episode_id}", cache_policy=NO_CACHE, **RETRY)
def resettle_stay(episode_id: int, amounts: BillAmounts, actor: str, reason: str) -> ReversalOutcome:
    with session_scope() as s:
        return resettle(s, episode_id, amounts, actor, reason)
