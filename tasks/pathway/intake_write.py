"""The import of a screening file into the database: rows streamed into the stage in chunks (identity hashed
and sealed on the way, ``tasks.pathway.intake_prepare``), then checked and written set-based
(``tasks.pathway.stage``), in the caller's one transaction: all or nothing."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel
from sqlmodel import Session

from models.access import Scope
from models.common import utcnow
from models.events import Change, DomainEvent
from models.intake import Checked, ImportRejected
from tasks.infra.events import record
from tasks.infra.identity_guard import guarded_keys
from tasks.pathway import stage, stage_checks
from tasks.pathway.households import refusal
from tasks.pathway.intake_prepare import Staged, chunks
from tasks.pathway.intake_prepare import staged as staged  # re-exported: the chunk tests spy on it here

#: rows staged at a time: what the import holds in memory, whatever the file's size
CHUNK = 20_000
#: lines listed in a report (the counts are complete)
SHOWN_LINES = 20
CORRECTION_HINT = "dabing correct status"


class ImportReport(BaseModel):
    """Counts and line numbers only: safe for Prefect results and logs. ``duplicate_lines``: rows repeating an
    earlier row of the same file (person, code, date), collapsed into it; ``already_known``: findings imported
    before, skipped; ``status_differs_lines``: first lines of people stored with another poverty status (not
    changed by an import: ``hint`` names the correction command)."""

    rows: int
    new_households: int
    new_patients: int
    screenings: int
    cases: int
    first_case_id: int
    already_known: int = 0
    duplicates_in_file: int = 0
    duplicate_lines: list[int] = []
    status_differs: int = 0
    status_differs_lines: list[int] = []
    hint: str | None = None


def stage_rows(session: Session, rows: Iterable[Checked]) -> None:
    """Creates the stage and streams ``rows`` into it, ``CHUNK`` at a time."""
    keys = guarded_keys(session)
    stage.create(session)
    for batch in chunks(rows, CHUNK):
        stage.add(session, *staged(keys, batch, lambda hashes: stage.stored_hashes(session, hashes)))


def stage_prepared(session: Session, prepared: Iterable[Staged]) -> None:
    """Creates the stage and streams chunks prepared elsewhere (``tasks.pathway.intake_helper``) into it."""
    stage.create(session)
    for rows, identities in prepared:
        stage.add(session, rows, identities)


def _check_usable(session: Session, actor: str, scope: Scope | None) -> None:
    """Every row usable (``tasks.pathway.households.usable``): its household, if stored, of its region; with a
    scope, its region and its stored person's within it. The first line that is not refuses the whole file."""
    moved = stage_checks.household_moved(session)
    if moved is not None:
        raise refusal(actor, scope, moved[0], f" (line {moved[1]})")
    if scope is None:
        return
    outside = sorted(
        (line, region) for region, checked, line in stage_checks.region_lines(session) if not scope.covers(checked)
    )
    if outside:
        raise refusal(actor, scope, outside[0][1], f" (line {outside[0][0]})")


def write_staged(session: Session, rows_seen: int, actor: str, scope: Scope | None) -> ImportReport:
    """Checks the staged file across rows, then writes what is new. ImportRejected (nothing written) when rows
    contradict each other; AccessDenied when a row is not the actor's to import."""
    stage.lock_for_write(session)
    stage.index(session)
    errors = stage_checks.inconsistencies(session)
    if errors:
        raise ImportRejected(errors)
    duplicates = stage_checks.mark_duplicates(session)
    _check_usable(session, actor, scope)
    differs = stage_checks.status_differs(session)
    now = utcnow()
    households, patients = stage.write_people(session, now)
    if stage.others_may_write(session):
        _check_usable(session, actor, scope)  # a concurrent writer's people: the same rules
    fresh, known = stage.mark_fresh(session)
    case_ids = stage.write_findings(session, actor, now) if fresh else ()
    stage.drop(session)
    if case_ids:
        record(session, Change(DomainEvent.PATIENT_SCREENED, "case", case_ids, {"actor": actor}))
    hint = None
    if differs:
        hint = (f"{len(differs)} person(s) recorded with another poverty status: the import does not change it; "
                f"use `{CORRECTION_HINT}` with a --reason")  # fmt: skip
    return ImportReport(
        rows=rows_seen,
        new_households=households,
        new_patients=patients,
        screenings=fresh,
        cases=len(case_ids),
        first_case_id=min(case_ids, default=0),
        already_known=known,
        duplicates_in_file=len(duplicates),
        duplicate_lines=duplicates[:SHOWN_LINES],
        status_differs=len(differs),
        status_differs_lines=differs[:SHOWN_LINES],
        hint=hint,
    )
