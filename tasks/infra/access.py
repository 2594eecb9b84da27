"""Access checks against the ``actor`` table. Every per-case or per-patient step calls one of these first,
before it writes (or, for reads, returns) anything: an actor outside the patient's region gets AccessDenied
naming the actor and the internal id. The audit (``case_transition.actor``, ``settlement.actor``,
``screening.actor``) records who did each move."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlmodel import Session, col

from config.actors import load_actors
from models.access import AccessDenied, Actor, Scope, check_region, readable_region
from models.clinical import Case
from models.enums import AccessReason, ActorRole
from models.people import Patient
from tasks.infra.db import session_scope


def sync_actors(session: Session) -> int:
    """Config is the source of truth: add or update every listed actor, deactivate the others."""
    entries = load_actors()
    existing = {a.id: a for a in session.execute(select(Actor)).scalars()}
    for e in entries:
        row = existing.get(e.id) or Actor(id=e.id, display=e.display, role=e.role)
        row.display, row.role, row.region_prefix, row.active = e.display, e.role, e.region, True
        session.add(row)
    listed = [e.id for e in entries]
    session.execute(update(Actor).where(col(Actor.id).not_in(listed)).values(active=False))
    session.flush()
    return len(entries)


def scope_of(session: Session, actor: str) -> Scope:
    row = session.get(Actor, actor)
    if row is None:
        raise AccessDenied(actor, "anything", AccessReason.UNKNOWN_ACTOR)
    if not row.active:
        raise AccessDenied(actor, "anything", AccessReason.INACTIVE_ACTOR)
    return Scope(row.id, row.role, row.region_prefix)


def authorize_patient(session: Session, actor: str, patient_id: int) -> None:
    """The actor may act on this patient (their region is within the actor's scope). An unknown patient
    passes here: the caller's own lookup reports it."""
    scope = scope_of(session, actor)
    region = session.execute(select(col(Patient.region_code)).where(col(Patient.id) == patient_id)).scalar()
    if region is not None:
        check_region(scope, region, f"patient {patient_id}")


def authorize_case(session: Session, actor: str, case: Case) -> None:
    """The actor may act on this (already loaded, usually locked) case: its patient is in their region."""
    scope = scope_of(session, actor)
    region = session.execute(select(col(Patient.region_code)).where(col(Patient.id) == case.patient_id)).scalar()
    check_region(scope, region or case.region_code, f"case {case.id}")


def authorize_region(session: Session, actor: str, region_code: str) -> None:
    check_region(scope_of(session, actor), region_code, f"region {region_code}")


def authorize_rows(session: Session, scope: Scope, regions: dict[str, int], patient_ids: Sequence[int]) -> None:
    """Bulk import: every row's region (with the first file line naming it) and every already registered
    person a row refers to are within the actor's scope."""
    for region, line in sorted(regions.items(), key=lambda kv: kv[1]):
        check_region(scope, region, f"region {region} (line {line})")
    if scope.everywhere:
        return
    ids = sorted(set(patient_ids))
    for start in range(0, len(ids), 900):
        stmt = select(col(Patient.id), col(Patient.region_code)).where(col(Patient.id).in_(ids[start : start + 900]))
        for pid, region in session.execute(stmt).tuples():
            check_region(scope, region, f"patient {pid}")


def report_region(session: Session, actor: str, requested: str | None) -> str | None:
    """The region a ledger / summary may cover for the actor (see ``models.access.readable_region``)."""
    return readable_region(scope_of(session, actor), requested)


def allowed_report_region(actor: str, requested: str | None) -> str | None:
    """``report_region`` in its own unit of work (for flows, before any report task runs)."""
    with session_scope() as s:
        return report_region(s, actor, requested)


def check_person(actor: str) -> None:
    """A coordinator's step (form or command) is done by a person: a known, active coordinator or supervisor.
    System actors (``system``, ``demo``, ``nightly``, ``events``) run bulk, scheduled and event-triggered work
    only — until the console authenticates users, anyone can type an actor's name, so a form may not borrow the
    system's every-region scope. Raises AccessDenied before anything is read or written."""
    with session_scope() as s:
        scope = scope_of(s, actor)
    if scope.role == ActorRole.SYSTEM:
        raise AccessDenied(actor, "a coordinator's step", AccessReason.SYSTEM_ACTOR)


def nightly_scope(scope: Scope, region_code: str | None) -> None:
    """The nightly adjustment: a system actor may run every region's; anyone else only a named region within
    their scope (``region_code`` required)."""
    if scope.everywhere:
        return
    if region_code is None:
        raise AccessDenied(scope.actor, "every region", AccessReason.REGION_REQUIRED, f"scope {scope.region_prefix}")
    check_region(scope, region_code, f"region {region_code}")


def authorize_nightly(actor: str, region_code: str | None) -> None:
    """``nightly_scope`` in its own unit of work (the nightly flow's first step)."""
    with session_scope() as s:
        nightly_scope(scope_of(s, actor), region_code)


#: Who did what (README "Identity and access"): every audited move with its actor's role and scope, filtered
#: by case, actor and/or region (pass NULL to leave a filter open). Works on SQLite and PostgreSQL.
AUDIT_QUERY = """
SELECT t.at, t.actor, a.role, a.region_prefix, t.case_id, c.region_code, t.from_state, t.to_state, t.reason
FROM case_transition t
JOIN "case" c ON c.id = t.case_id
LEFT JOIN actor a ON a.id = t.actor
WHERE (CAST(:case_id AS INTEGER) IS NULL OR t.case_id = :case_id)
  AND (CAST(:actor AS VARCHAR(60)) IS NULL OR t.actor = :actor)
  AND (CAST(:region AS VARCHAR(6)) IS NULL OR c.region_code = :region)
ORDER BY t.at, t.id
"""
