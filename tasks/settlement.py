"""Persisted one-stop settlement of discharged cases, set-based per chunk and idempotent.

Each episode settles once: episodes that already have a settlement are skipped, and UNIQUE(episode_id)
in the database rejects a concurrent second attempt (the chunk rolls back and its retry skips it).
Annual ledgers of the chunk's patients are locked (FOR UPDATE on PostgreSQL) while they are updated.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import insert, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from config.policies import load_policies
from models.care import Hospital, TreatmentEpisode
from models.clinical import Case
from models.common import age_on
from models.enums import CaseState
from models.people import Patient
from models.referral import location_of
from models.schemas import CaseOutcome, StepResult
from models.settlement.bill import Bill, BillError, PatientFacts, PriorUse
from models.settlement.engine import settle
from models.settlement.policy import PayerLayer
from models.settlement.tables import PayerLedger, Settlement, SettlementLine
from tasks.db import session_scope
from tasks.retry import RETRY_ON_CONFLICT
from tasks.transitions import advance_many, lock_case


def _pending(session: Session, case_ids: Sequence[int]) -> list[tuple[Any, ...]]:
    settled = aliased(Settlement)
    stmt = (
        select(
            col(Case.id),
            col(TreatmentEpisode.id),
            col(Case.patient_id),
            col(Patient.poverty_status),
            col(Patient.birth_date),
            col(Patient.region_code),
            col(Hospital.level),
            col(Hospital.region_code),
            col(TreatmentEpisode.setting),
            col(TreatmentEpisode.discharged_on),
            col(TreatmentEpisode.total_cost),
            col(TreatmentEpisode.out_of_scope),
            col(TreatmentEpisode.sessions),
        )
        .join(TreatmentEpisode, col(TreatmentEpisode.case_id) == col(Case.id))
        .join(Patient, col(Patient.id) == col(Case.patient_id))
        .join(Hospital, col(Hospital.id) == col(TreatmentEpisode.hospital_id))
        .outerjoin(settled, col(settled.episode_id) == col(TreatmentEpisode.id))
        .where(
            col(Case.id).in_(case_ids),
            col(Case.state) == CaseState.DISCHARGED,
            col(TreatmentEpisode.discharged_on).is_not(None),
            col(settled.id).is_(None),
        )
        .order_by(col(Case.patient_id), col(TreatmentEpisode.discharged_on), col(TreatmentEpisode.id))
    )
    return list(session.execute(stmt).tuples())


def settle_many(session: Session, case_ids: Sequence[int], actor: str) -> tuple[list[int], dict[str, int]]:
    """DISCHARGED → SETTLED for every case whose open discharge can be settled; returns (moved, held)."""
    policies = load_policies()
    rows = _pending(session, case_ids)
    patients = sorted({r[2] for r in rows})
    ledgers: dict[tuple[int, int, PayerLayer], PayerLedger] = {
        (lg.patient_id, lg.year, PayerLayer(lg.layer)): lg
        for lg in session.execute(
            select(PayerLedger).where(col(PayerLedger.patient_id).in_(patients)).with_for_update()
        ).scalars()
    }
    new_ledgers: dict[tuple[int, int, PayerLayer], dict[str, Any]] = {}
    held: dict[str, int] = {}
    settlements: list[dict[str, object]] = []
    lines_by_episode: dict[int, list[dict[str, object]]] = {}
    ok_cases: list[int] = []
    for (
        case_id,
        episode_id,
        patient_id,
        poverty,
        born,
        p_region,
        level,
        h_region,
        setting,
        on,
        total,
        oos,
        sessions,
    ) in rows:
        year = on.year
        prior = {}
        for layer in PayerLayer:
            key = (patient_id, year, layer)
            if key in ledgers:
                prior[layer] = PriorUse(paid=ledgers[key].paid, deductible=ledgers[key].deductible_used)
            elif key in new_ledgers:
                prior[layer] = PriorUse(paid=new_ledgers[key]["paid"], deductible=new_ledgers[key]["deductible_used"])
        try:
            bill = Bill(
                region=p_region,
                service_date=on,
                setting=setting,
                hospital_level=level,
                hospital_location=location_of(p_region, h_region),
                patient=PatientFacts(poverty_status=poverty, age=age_on(born, on)),
                total=total,
                out_of_scope=oos,
                sessions=sessions,
                prior_paid=prior,
            )
            statement, deltas = settle(bill, policies.in_force(p_region, on))
        except BillError as exc:
            held[f"bill_error:{exc.field}"] = held.get(f"bill_error:{exc.field}", 0) + 1
            continue
        ok_cases.append(case_id)
        settlements.append(
            {
                "episode_id": episode_id,
                "case_id": case_id,
                "patient_id": patient_id,
                "policy_id": statement.policy_id,
                "service_date": on,
                "total": statement.total,
                "in_scope": statement.in_scope,
                "patient_pays": statement.patient_pays,
                "self_pay_ratio": statement.self_pay_ratio,
                "flags": ",".join(statement.flags),
                "actor": actor,
            }
        )
        lines_by_episode[episode_id] = [
            {
                "layer": ln.layer,
                "base": ln.base,
                "deductible": ln.deductible,
                "ratio": ln.ratio,
                "paid": ln.paid,
                "rule": ln.rule,
            }
            for ln in statement.layers
        ]
        for d in deltas:
            key = (patient_id, year, d.layer)
            if key in ledgers:
                ledgers[key].paid += d.paid
                ledgers[key].deductible_used += d.deductible
            else:
                row = new_ledgers.setdefault(
                    key,
                    {
                        "patient_id": patient_id,
                        "year": year,
                        "layer": d.layer,
                        "paid": Decimal("0.00"),
                        "deductible_used": Decimal("0.00"),
                    },
                )
                row["paid"] += d.paid
                row["deductible_used"] += d.deductible
    if settlements:
        stmt = insert(Settlement).returning(
            col(Settlement.id), col(Settlement.episode_id), sort_by_parameter_order=True
        )
        ids = session.execute(stmt, settlements).tuples().all()
        session.execute(
            insert(SettlementLine),
            [{"settlement_id": sid, **line} for sid, eid in ids for line in lines_by_episode[eid]],
        )
    if new_ledgers:
        session.execute(insert(PayerLedger), list(new_ledgers.values()))
    moved = advance_many(
        session, ok_cases, CaseState.DISCHARGED, CaseState.SETTLED, actor=actor, reason="one-stop settlement"
    )
    return moved, held


def settlement_of_case(session: Session, case_id: int) -> Settlement | None:
    """The case's latest settlement (the first and only one for its episode)."""
    return (
        session.execute(
            select(Settlement).where(col(Settlement.case_id) == case_id).order_by(col(Settlement.id).desc())
        )
        .scalars()
        .first()
    )


@task(cache_policy=NO_CACHE, **RETRY_ON_CONFLICT)
def settle_chunk(case_ids: list[int], actor: str) -> StepResult:
    with session_scope() as s:
        moved, held = settle_many(s, case_ids, actor)
    return StepResult(step="settle", considered=len(case_ids), moved=len(moved), held=held)


@task(task_run_name="settle-case-{case_id}", **RETRY_ON_CONFLICT)
def settle_case(case_id: int, actor: str) -> CaseOutcome:
    """Settle the case's discharge; settling again returns the first settlement unchanged."""
    with session_scope() as s:
        case = lock_case(s, case_id)
        moved, held = settle_many(s, [case_id], actor) if case.state == CaseState.DISCHARGED else ([], {})
        s.flush()
        s.refresh(case)
        done = settlement_of_case(s, case_id)
        reason = next(iter(held), None) or (None if done else f"not settled: case is {case.state}")
        return CaseOutcome(
            case_id=case_id,
            state=CaseState(case.state),
            changed=bool(moved),
            reason=reason,
            settlement_id=done.id if done else None,
        )
