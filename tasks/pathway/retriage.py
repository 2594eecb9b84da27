"""Re-triage when a catalogue version takes effect (or an entry's category is edited), set-based.

On the night ``D`` the version in force is ``V`` (``config/data/diseases.yaml``):

* confirmed cases held outside an older version (not_in_catalogue / catalogue_inactive / outside the age
  limit) are triaged by ``triage_many`` with the audit reason ``catalogue_V``;
* triaged, open cases stamped with an older version — or whose stored category is not their disease's
  category in ``V`` — are triaged again by the pure rule: a new disease or category is written in bulk with an
  audit row (a treated case moves to the new category's outcome state, ``advance_many``); a disease that left
  the catalogue is audited, never moved; every other case only gets the stamp (one UPDATE a window, by id: the
  windows already found them, and an UPDATE by the condition walked every case again holding the write lock).

Cases stamped with ``V`` or a later version are never touched, so the task is idempotent and a replayed
earlier night never triages backwards. Work goes in id windows (bounded memory), never one task per case.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel
from sqlalchemy import and_, case, func, or_, select, update
from sqlmodel import Session, col

from config.catalogue import load_catalogue_history
from models.catalogue import Catalogue
from models.catalogue_history import HELD_REASONS, retriage_case, triage_on
from models.clinical import Case, Condition
from models.common import age_on, utcnow
from models.enums import CaseState
from models.people import Patient
from tasks.infra.bulkwrite import append_rows, id_in
from tasks.infra.db import session_scope
from tasks.infra.retry import RETRY_ON_CONFLICT
from tasks.pathway.transitions import advance_many
from tasks.pathway.triage import triage_many

WINDOW = 50_000
_TAKEN = "disease_already_open"  # a re-triaged case whose new disease the patient already has: left as is
_AUDIT = ("case_transition", ("case_id", "from_state", "to_state", "actor", "reason", "at", "occurred_on"))


class RetriageResult(BaseModel):
    """What a night's re-triage did (counts only; ids stay in the audit)."""

    night: date
    version: str | None
    triaged: int = 0  # held confirmed cases now triaged
    held: dict[str, int] = {}  # still held, by reason
    recategorised: int = 0  # new disease or category
    moved: int = 0  # of those, treated cases moved to the new outcome state
    left: int = 0  # disease no longer in the catalogue (audited, not moved)
    restamped: int = 0  # same disease and category, stamped with the version
    changes: dict[str, int] = {}  # "old_code>new_code (category)" → cases


def _stale(fresh: list[str]) -> Any:
    return or_(col(Case.catalogue_version).is_(None), col(Case.catalogue_version).not_in(fresh))


def _needs_retriage(in_force: Catalogue, fresh: list[str]) -> Any:
    """Open triaged cases stamped with an older version, or whose category is not their disease's in force."""
    expected = case(
        {d.code: d.category.value for d in in_force.diseases}, value=col(Case.disease_code), else_=col(Case.category)
    )
    return and_(
        col(Case.category).is_not(None),
        col(Case.state) != CaseState.CLOSED.value,
        or_(_stale(fresh), col(Case.category) != expected),
    )


def _held(session: Session, night: date, scope: list[Any], fresh: list[str], actor: str, tag: str) -> Any:
    ids = list(
        session.execute(
            select(col(Case.id)).where(
                col(Case.state) == CaseState.CONFIRMED.value,
                col(Case.state_reason).in_([r.value for r in HELD_REASONS]),
                _stale(fresh),
                *scope,
            )
        ).scalars()
    )
    return triage_many(session, ids, night, actor, reason=f"{tag}: triaged")


def _window(session: Session, cond: Any, lo: int, actor: str, out: RetriageResult) -> int:
    """Re-triage one id window of candidates; returns the last id seen (0: none left)."""
    history, night, version = load_catalogue_history(), out.night, str(out.version)
    tag = f"catalogue_{version}"
    rows = session.execute(
        select(col(Case.id), col(Case.patient_id), col(Case.state), col(Case.disease_code), col(Case.category))
        .add_columns(col(Condition.icd10), col(Patient.birth_date), col(Condition.confirmed_on))
        .join(Condition, col(Condition.id) == col(Case.condition_id))
        .join(Patient, col(Patient.id) == col(Case.patient_id))
        .where(cond, col(Case.id) > lo)
        .order_by(col(Case.id))
        .limit(WINDOW)
    ).all()
    if not rows:
        return 0
    now, audit, updates = utcnow(), [], []
    moves: dict[tuple[CaseState, CaseState, str], list[int]] = defaultdict(list)
    taken = taken_diseases(session, sorted({r.patient_id for r in rows}))
    for case_id, patient_id, state, old_code, old_cat, icd10, born, confirmed in rows:
        age = age_on(born, confirmed or night)  # age limits apply at diagnosis: a child treated stays listed
        r = retriage_case(CaseState(state), old_code, old_cat, triage_on(icd10, history, night, age))
        if r.left:
            out.left += 1
            audit.append((case_id, state, state, actor, f"{tag}: {old_code} left the catalogue; a coordinator decides"))
            continue
        code = r.disease_code
        if not r.changed or r.category is None or code is None:
            continue
        if code != old_code and (patient_id, code) in taken:
            out.held[_TAKEN] = out.held.get(_TAKEN, 0) + 1  # the patient already has a case of that disease
            continue
        taken.add((patient_id, code))
        change = f"{old_code}>{code} ({r.category.value})"
        out.changes[change] = out.changes.get(change, 0) + 1
        out.recategorised += 1
        updates.append({"id": case_id, "disease_code": code, "category": r.category.value})
        if r.move_to is None:
            audit.append((case_id, state, state, actor, f"{tag}: re-triaged {change}"[:120]))
        else:
            moves[(CaseState(state), r.move_to, change)].append(case_id)
    if updates:
        session.execute(update(Case), [{**u, "catalogue_version": version} for u in updates])
    changed = {u["id"] for u in updates}
    stamp = [r.id for r in rows if r.id not in changed]  # the rest of the window only gets the version's stamp
    if stamp:
        restamp = update(Case).where(id_in(session, col(Case.id), stamp)).values(catalogue_version=version)
        stamped = session.execute(restamp)
        out.restamped += int(getattr(stamped, "rowcount", 0) or 0)
    for (src, dst, change), ids in moves.items():
        reason = f"{tag}: re-triaged {change}"[:120]
        out.moved += len(advance_many(session, ids, src, dst, actor=actor, reason=reason, now=now, on=night))
    append_rows(session, *_AUDIT, [(*a, now, night) for a in audit])
    return int(rows[-1].id)


def taken_diseases(session: Session, patients: list[int]) -> set[tuple[int, str]]:
    """(patient, disease) of every case holding a disease: a case is one per patient and disease (UNIQUE)."""
    taken: set[tuple[int, str]] = set()
    for start in range(0, len(patients), 900):
        taken.update(
            session.execute(
                select(col(Case.patient_id), col(Case.disease_code)).where(
                    col(Case.patient_id).in_(patients[start : start + 900]), col(Case.disease_code).is_not(None)
                )
            ).tuples()
        )
    return taken


def retriage_cases(session: Session, night: date, region_code: str | None, actor: str) -> RetriageResult:
    history = load_catalogue_history()
    in_force = history.on(night)
    out = RetriageResult(night=night, version=in_force.version if in_force else None)
    if in_force is None:
        return out
    tag, fresh = f"catalogue_{in_force.version}", history.not_older(in_force.version)
    scope = [col(Case.region_code) == region_code] if region_code else []
    moved, held = _held(session, night, scope, fresh, actor, tag)
    out.triaged, out.held = len(moved), dict(held)
    cond = and_(_needs_retriage(in_force, fresh), *scope)
    last = 0
    while last := _window(session, cond, last, actor, out):
        pass
    out.restamped -= out.left + out.held.get(_TAKEN, 0)  # stamped too, but counted as what they are
    return out


def catalogue_counts(session: Session, region_code: str | None = None) -> dict[tuple[str, str], int]:
    """Open triaged cases by (catalogue version, disease code): what ``dabing catalogue show`` reports."""
    stmt = (
        select(func.coalesce(col(Case.catalogue_version), ""), col(Case.disease_code), func.count())
        .where(col(Case.disease_code).is_not(None), col(Case.state) != CaseState.CLOSED.value)
        .group_by(col(Case.catalogue_version), col(Case.disease_code))
    )
    if region_code:
        stmt = stmt.where(col(Case.region_code) == region_code)
    return {(v, c): n for v, c, n in session.execute(stmt).tuples()}


@task(cache_policy=NO_CACHE, **RETRY_ON_CONFLICT)
def retriage_catalogue(night: date, region_code: str | None = None, actor: str = "nightly") -> RetriageResult:
    """The night's catalogue re-triage (a new version in force, or an edited category): one transaction."""
    with session_scope() as s:
        return retriage_cases(s, night, region_code, actor)
