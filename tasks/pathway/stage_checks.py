"""Checks of a staged screening file (``tasks.pathway.stage``) across its rows and against what is stored: the
same person with two regions, households or poverty statuses, a household in two regions (errors naming both
lines), rows repeating a finding of the file, regions to authorise, households stored under another region,
people stored with another poverty status."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

from models.intake import MAX_ERRORS, RowError
from tasks.pathway.stage import STAGE, fetch, pg


def _first_differs(
    session: Session, key: str, differs: str, field: str, message: str, skip: set[int]
) -> list[RowError]:
    """Lines whose ``differs`` columns disagree with the first line of the same ``key`` (up to MAX_ERRORS)."""
    sql = (
        f"SELECT line, first_line FROM (SELECT line, {differs}, first_value(line) OVER w AS first_line, "
        + ", ".join(f"first_value({c}) OVER w AS first_{c}" for c in differs.split(", "))
        + f" FROM {STAGE} WINDOW w AS (PARTITION BY {key} ORDER BY line)) x WHERE "
        + " OR ".join(f"{c} <> first_{c}" for c in differs.split(", "))
        + f" ORDER BY line LIMIT {MAX_ERRORS}"
    )
    return [RowError(line, field, message.format(first)) for line, first in fetch(session, sql) if line not in skip]


def _consistent(session: Session) -> bool:
    """Whether no person and no household has two values where one is expected (a single pass each)."""
    person = (
        f"SELECT 1 FROM {STAGE} GROUP BY nid_hash HAVING min(region_code) <> max(region_code) OR "
        "min(household_ref) <> max(household_ref) OR min(poverty_status) <> max(poverty_status) LIMIT 1"
    )
    home = f"SELECT 1 FROM {STAGE} GROUP BY household_ref HAVING min(region_code) <> max(region_code) LIMIT 1"
    return not fetch(session, person) and not fetch(session, home)


def inconsistencies(session: Session) -> list[RowError]:
    """Rows that contradict an earlier row of the file (one error per line, the earliest rule first)."""
    if _consistent(session):
        return []
    errors: list[RowError] = []
    for key, differs, field, message in (
        (
            "nid_hash",
            "region_code, household_ref",
            "national_id",
            "same person as line {} with another region/household",
        ),
        ("nid_hash", "poverty_status", "poverty_status", "same person as line {} with another poverty status"),
        ("household_ref", "region_code", "household_ref", "same household as line {} with another region"),
    ):
        errors += _first_differs(session, key, differs, field, message, {e.line for e in errors})
    return sorted(errors, key=lambda e: e.line)


def mark_duplicates(session: Session) -> list[int]:
    """Flags every row repeating an earlier row's finding (person, code, date); returns their lines."""
    session.execute(
        text(
            f"UPDATE {STAGE} SET dup = 1 WHERE line IN (SELECT line FROM (SELECT line, row_number() OVER "
            f"(PARTITION BY nid_hash, icd10, screened_on ORDER BY line) AS n FROM {STAGE}) x WHERE n > 1)"
        )
    )
    return [r[0] for r in fetch(session, f"SELECT line FROM {STAGE} WHERE dup = 1 ORDER BY line")]


def region_lines(session: Session) -> list[tuple[str, str, int]]:
    """(row's region, region to check, first line): each region of the file, and the stored region of each
    person the file names who is already registered."""
    own = fetch(session, f"SELECT region_code, region_code, min(line) FROM {STAGE} GROUP BY region_code")
    stored = fetch(
        session,
        f"SELECT s.region_code, p.region_code, min(s.line) FROM {STAGE} s "
        "JOIN patient p ON p.national_id_hash = s.nid_hash GROUP BY s.region_code, p.region_code",
    )
    return [(r, c, line) for r, c, line in own + stored]


def household_moved(session: Session) -> tuple[str, int] | None:
    """(region, line) of the first row whose household is stored under another region, if any."""
    found = fetch(
        session,
        f"SELECT s.region_code, s.line FROM {STAGE} s JOIN household h ON h.ref = s.household_ref "
        "WHERE h.region_code <> s.region_code ORDER BY s.line LIMIT 1",
    )
    return (found[0][0], found[0][1]) if found else None


def status_differs(session: Session) -> list[int]:
    """First lines of people already stored with another poverty status (reported, never overwritten). Run after
    ``inconsistencies``: a person's rows agree on the status, so the first line of those that differ is the
    person's first line. SQLite walks the stage in person (hash) order, reading the patient index in its own
    order, not a probe at random per person."""
    walk = f"INDEXED BY ix_{STAGE}_person CROSS " if not pg(session) else ""
    return [
        r[0]
        for r in fetch(
            session,
            f"SELECT min(s.line) FROM {STAGE} s {walk}JOIN patient p ON p.national_id_hash = s.nid_hash "
            "WHERE p.poverty_status <> s.poverty_status GROUP BY s.nid_hash ORDER BY 1",
        )
    ]
