"""Finding patients and listing cases, always inside the signed-in user's region scope. An ID number is
looked up through its keyed hash only (``models.identity.lookup_hash``): it is never stored, logged or put in
a URL (the search form POSTs it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from config.catalogue import load_regions
from config.identity import identity_keys
from flows.params import MAX_INT
from models import national_id
from models.alarms import PENDING
from models.care import Hospital
from models.clinical import Case
from models.findings import Finding
from models.identity import lookup_hash
from models.people import Household, Patient
from web.security import User

PAGE = 50
KINDS = {"national_id": "身份证号", "household": "户编号", "case": "病例编号", "patient": "患者编号"}


class OutsideScope(PermissionError):
    """The patient exists but lies outside the user's region (refused, nothing shown)."""


@dataclass(frozen=True, slots=True)
class Found:
    patients: list[Patient]
    message: str = ""


def _in_scope(user: User, patients: list[Patient]) -> Found:
    mine = [p for p in patients if user.covers(p.region_code)]
    if patients and not mine:
        return Found([], "该患者不在您的地区范围内，无权查看")
    return Found(mine, "" if mine else "没有找到")


def find(s: Session, user: User, kind: str, text: str) -> Found:
    """Patients matching ``text`` read as ``kind``; a bad value is one Chinese line, never repeated."""
    text = text.strip()
    if kind == "national_id":
        try:
            digest = lookup_hash(identity_keys(), national_id.normalise(text))
        except national_id.NationalIdError:
            return Found([], "身份证号格式不正确（18位，末位校验码须正确）")
        rows = list(s.execute(select(Patient).where(col(Patient.national_id_hash) == digest)).scalars())
        return _in_scope(user, rows)
    if kind == "household":
        if not 1 <= len(text) <= 40:
            return Found([], "户编号应为1到40个字符")
        stmt = select(Patient).join(Household, col(Household.id) == col(Patient.household_id))
        return _in_scope(user, list(s.execute(stmt.where(col(Household.ref) == text)).scalars()))
    if kind in ("case", "patient"):
        if not text.isdigit() or not 1 <= int(text) <= MAX_INT:
            return Found([], f"{KINDS[kind]}应为正整数")
        if kind == "case":
            case = s.get(Case, int(text))
            patient = s.get(Patient, case.patient_id) if case else None
        else:
            patient = s.get(Patient, int(text))
        return _in_scope(user, [patient] if patient else [])
    return Found([], "请选择查找方式")


def patient_in_scope(s: Session, user: User, patient_id: int) -> Patient:
    """The patient, or LookupError (none) / OutsideScope (not the user's region)."""
    patient = s.get(Patient, patient_id)
    if patient is None:
        raise LookupError(patient_id)
    if not user.covers(patient.region_code):
        raise OutsideScope(patient_id)
    return patient


@dataclass(frozen=True, slots=True)
class CaseFilter:
    state: str = ""
    category: str = ""
    hospital_id: int | None = None
    open_findings: bool = False
    page: int = 1


def _scope(prefix: str) -> tuple[list[Any], list[Any]]:
    """The user's counties (config/data/regions.yaml, where every case's region comes from) as ``region_code IN
    (…)``: an index range per county, where ``LIKE 'prefix%'`` cannot use the index on SQLite and reads every
    case to count them (the count); then the prefix itself (the page's walk, newest first)."""
    if not prefix:
        return [], []
    codes = [r.code for r in load_regions().regions if r.code.startswith(prefix)]
    return [col(Case.region_code).in_(codes)], [col(Case.region_code).startswith(prefix)]


def list_cases(s: Session, user: User, f: CaseFilter) -> tuple[list[Any], int]:
    """One page of the user's cases (newest first) and how many match. The count goes through the region index.
    Unfiltered (or by category) the page walks the cases newest first and stops after it (the prefix alone: no
    sort of the whole scope). By state, the page's ids come from the (region, state, category) index, sorted
    there: otherwise the state's own index is used and every case in that state, province-wide, read and sorted."""
    where: list[Any] = []
    if f.state:
        where.append(col(Case.state) == f.state)
    if f.category:
        where.append(col(Case.category) == f.category)
    if f.hospital_id:
        where.append(col(Case.hospital_id) == f.hospital_id)
    if f.open_findings:
        open_alarms = select(col(Finding.case_id)).where(
            col(Finding.case_id).is_not(None), col(Finding.cleared_on).is_(None),
            col(Finding.status).in_([s.value for s in PENDING]),
        )  # fmt: skip
        where.append(col(Case.id).in_(open_alarms))
    counted, walked = _scope(user.region_prefix)
    total = int(s.execute(select(func.count()).select_from(Case).where(*counted, *where)).scalar_one())
    skip, newest = (max(f.page, 1) - 1) * PAGE, col(Case.id).desc()
    if f.state:
        ids = select(col(Case.id)).where(*counted, *where).order_by(newest).offset(skip).limit(PAGE)
        where, walked, skip = [col(Case.id).in_(list(s.execute(ids).scalars()))], [], 0
    stmt = (
        select(Case, col(Hospital.code))
        .outerjoin(Hospital, col(Hospital.id) == col(Case.hospital_id))
        .where(*walked, *where)
        .order_by(newest)
        .offset(skip)
        .limit(PAGE)
    )
    return list(s.execute(stmt).tuples()), total


def hospitals_for(s: Session, user: User) -> list[tuple[int, str]]:
    """(id, code) of the designated hospitals in the user's province (the filter's choices)."""
    prefix = user.region_prefix[:2]
    stmt = select(col(Hospital.id), col(Hospital.code)).where(col(Hospital.region_code).startswith(prefix))
    return [(int(i), str(c)) for i, c in s.execute(stmt.order_by(col(Hospital.code))).tuples()]
