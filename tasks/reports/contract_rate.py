"""签约率 — one definition for the ledger (救治台账) and the 季通报 / 年考核.

Seed 002: "通过'家庭医生'签约服务模式,为每位建档立卡贫困户制定个性化、差别化精准健康服务方案,签约率达到100%"; seed 003:
"继续做好了贫困人口慢病家庭医生签约服务". The population is the ledger's: patients with a live special-disease
case (a category, not closed) confirmed by the day asked, per region of the case; the signed are those of them
with a family-doctor term in force that day (``models.contracts``: signed by then, not expired, not ended by a
``contract_event`` taking effect on or before it). Counted in the database, not by loading every patient's terms.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import String, func, literal, select
from sqlmodel import Session, col

from models.care import FamilyDoctorContract
from models.clinical import Case, Condition
from models.contracts import ended_by
from models.enums import CaseState


def live_special(on: date, prefix: str) -> list[Any]:
    """Special-disease cases of the ledger on ``on``: triaged into a category, not closed, confirmed by then, in a
    region under ``prefix`` (a county's code, a prefecture's first digits, or "" for every region)."""
    return [
        col(Case.category).is_not(None),
        col(Case.state) != CaseState.CLOSED.value,
        func.coalesce(col(Condition.confirmed_on), on) <= on,
        col(Case.region_code).startswith(prefix),
    ]


def _counts(session: Session, on: date, prefix: str, by_region: bool) -> list[tuple[str, int, int]]:
    keys = [col(Case.region_code)] if by_region else []
    population = (
        select(col(Case.patient_id), *keys)
        .join(Condition, col(Condition.id) == col(Case.condition_id))
        .where(*live_special(on, prefix))
        .distinct()
        .subquery()
    )
    in_force = (
        select(col(FamilyDoctorContract.id))
        .where(
            col(FamilyDoctorContract.patient_id) == population.c.patient_id,
            col(FamilyDoctorContract.signed_on) <= on,
            col(FamilyDoctorContract.expires_on) >= on,
            ~ended_by(on),
        )
        .exists()
    )
    region = population.c.region_code if by_region else literal(prefix, String)
    stmt = select(region, func.count(), func.count().filter(in_force)).select_from(population)
    if by_region:
        stmt = stmt.group_by(population.c.region_code)
    return [(str(r), int(n), int(signed)) for r, n, signed in session.execute(stmt).tuples()]


def contracts_by_region(session: Session, on: date, prefix: str = "") -> dict[str, tuple[int, int]]:
    """Per region under ``prefix``: (patients with a term in force on ``on``, patients of the ledger)."""
    return {region: (signed, n) for region, n, signed in _counts(session, on, prefix, by_region=True)}


def contracted_patients(session: Session, region_code: str | None, on: date) -> tuple[int, int]:
    """(patients with a term in force on ``on``, patients of the ledger) of one region, or of every region (a
    patient with live cases in two regions counted once)."""
    [(_, n, signed)] = _counts(session, on, region_code or "", by_region=False)
    return signed, n
