"""Chunked Prefect tasks for bulk work: each takes a chunk of case ids (1k–10k), opens its own session
and does set-based SQL. Never one task per patient."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import select
from sqlmodel import col

from models.care import TreatmentEpisode
from models.clinical import Case
from models.enums import CaseState
from models.schemas import StepResult
from models.synthetic import is_confirmed, is_urgent, synthetic_bill
from tasks.infra.db import session_scope
from tasks.infra.retry import RETRY, RETRY_ON_CONFLICT
from tasks.pathway.diagnosis import confirm_many, rule_out_many
from tasks.pathway.referral import refer_many
from tasks.pathway.treatment import (
    Discharge,
    admit_many,
    discharge_many,
    finish_many,
    record_follow_ups,
    sign_contracts,
)
from tasks.pathway.triage import triage_many

BULK = {**RETRY, "cache_policy": NO_CACHE}
BULK_ON_CONFLICT = {**RETRY_ON_CONFLICT, "cache_policy": NO_CACHE}


def chunked(ids: Sequence[int], size: int) -> list[list[int]]:
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


@task(**BULK)
def list_case_ids(state: CaseState, region_code: str | None = None) -> list[int]:
    with session_scope() as s:
        stmt = select(col(Case.id)).where(col(Case.state) == state).order_by(col(Case.id))
        if region_code:
            stmt = stmt.where(col(Case.region_code) == region_code)
        return list(s.execute(stmt).scalars())


@task(**BULK)
def confirm_chunk(case_ids: list[int], seed: int, confirmed_on: date, actor: str) -> StepResult:
    """Demo diagnosis: the synthetic hospital confirms about 95% of suspicions, rules out the rest."""
    yes = [c for c in case_ids if is_confirmed(seed, c)]
    no = [c for c in case_ids if not is_confirmed(seed, c)]
    with session_scope() as s:
        moved = confirm_many(s, yes, confirmed_on, actor)
        ruled_out = rule_out_many(s, no, actor, on=confirmed_on)
    return StepResult(step="confirm", considered=len(case_ids), moved=len(moved), held={"ruled_out": len(ruled_out)})


@task(**BULK_ON_CONFLICT)
def triage_chunk(case_ids: list[int], on_date: date, actor: str) -> StepResult:
    with session_scope() as s:
        moved, held = triage_many(s, case_ids, on_date, actor)
    return StepResult(step="triage", considered=len(case_ids), moved=len(moved), held=held)


@task(**BULK)
def refer_chunk(case_ids: list[int], seed: int, referred_on: date, actor: str) -> StepResult:
    urgent = {c for c in case_ids if is_urgent(seed, c)}
    with session_scope() as s:
        moved, held = refer_many(s, case_ids, referred_on, actor, urgent=urgent)
    return StepResult(step="refer", considered=len(case_ids), moved=len(moved), held=held)


@task(**BULK)
def admit_chunk(case_ids: list[int], admitted_on: date, actor: str) -> StepResult:
    with session_scope() as s:
        moved = admit_many(s, case_ids, admitted_on, actor)
    return StepResult(step="admit", considered=len(case_ids), moved=len(moved))


@task(**BULK)
def discharge_chunk(case_ids: list[int], seed: int, actor: str) -> StepResult:
    """Demo discharge with synthetic bills (amounts by category, deterministic per case)."""
    with session_scope() as s:
        rows = s.execute(
            select(col(Case.id), col(Case.category), col(TreatmentEpisode.admitted_on))
            .join(TreatmentEpisode, col(TreatmentEpisode.case_id) == col(Case.id))
            .where(col(Case.id).in_(case_ids), col(TreatmentEpisode.discharged_on).is_(None))
        ).all()
        bills = [Discharge(cid, *synthetic_bill(seed, cid, cat, adm)) for cid, cat, adm in rows]
        moved = discharge_many(s, bills, actor)
    return StepResult(step="discharge", considered=len(case_ids), moved=len(moved))


@task(**BULK)
def finish_chunk(case_ids: list[int], actor: str) -> StepResult:
    with session_scope() as s:
        held = finish_many(s, case_ids, actor)
    return StepResult(step="outcome", considered=len(case_ids), moved=sum(held.values()), held=held)


@task(**BULK_ON_CONFLICT)
def manage_chunk(case_ids: list[int], on_date: date, actor: str) -> StepResult:
    """Long-term management: a family-doctor contract for each patient and a first follow-up."""
    with session_scope() as s:
        patients = list(s.execute(select(col(Case.patient_id)).where(col(Case.id).in_(case_ids))).scalars())
        signed = sign_contracts(s, patients, on_date, doctor_ref="family-doctor-team")
        followed = record_follow_ups(s, case_ids, on_date + timedelta(days=30), actor)
    return StepResult(step="manage", considered=len(case_ids), moved=followed, held={"contracts_signed": signed})
