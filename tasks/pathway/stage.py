"""A screening file staged in a temporary table of the import's own transaction, then checked and written with
set-based SQL: memory stays flat whatever the file's size, and the file is all or nothing (one transaction).

Stage columns hold what the tables will: the lookup hash and sealed identity (never clear text), ASCII
codes, dates. Checks across rows run here (the same person in two regions or households or with two poverty
statuses, a household in two regions: errors naming both lines); rows repeating a finding already in the file
are collapsed and reported; findings already imported (``screening_key``) are skipped and counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from models.enums import CaseState, ConditionStatus
from models.intake import MAX_ERRORS, RowError
from tasks.infra.bulkwrite import _sqlite_value, append_rows

STAGE = "import_stage"
COLUMNS = ("line", "household_ref", "nid_hash", "nid_sealed", "name_sealed", "region_code", "poverty_status", "sex",
           "birth_date", "screened_on", "icd10", "method")  # fmt: skip
_DDL = (
    "line BIGINT PRIMARY KEY, household_ref VARCHAR(40) NOT NULL, nid_hash VARCHAR(64) NOT NULL, "
    "nid_sealed VARCHAR(120), name_sealed VARCHAR(400), region_code VARCHAR(6) NOT NULL, "
    "poverty_status VARCHAR(40) NOT NULL, sex VARCHAR(1) NOT NULL, birth_date DATE NOT NULL, "
    "screened_on DATE NOT NULL, icd10 VARCHAR(16) NOT NULL, method VARCHAR(30) NOT NULL, "
    "patient_id BIGINT, dup SMALLINT NOT NULL DEFAULT 0, fresh SMALLINT NOT NULL DEFAULT 0, "
    "screening_id BIGINT, condition_id BIGINT, case_id BIGINT"
)
#: the first line of each person (nid_hash) and of each household (household_ref)
_PART = 900  # SQLite bound parameters a statement
_FIRST_OF_PERSON = "s.line = (SELECT min(f.line) FROM import_stage f WHERE f.nid_hash = s.nid_hash)"
_FIRST_OF_HOUSEHOLD = "s.line = (SELECT min(f.line) FROM import_stage f WHERE f.household_ref = s.household_ref)"


def _pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _rows(session: Session, sql: str, **params: Any) -> list[Any]:
    return list(session.execute(text(sql), params).all())


def _one(session: Session, sql: str, **params: Any) -> int:
    return int(session.execute(text(sql), params).scalar_one() or 0)


def create(session: Session) -> None:
    """An empty stage for this transaction (PostgreSQL drops it at commit; SQLite's is dropped by ``drop``)."""
    if _pg(session):
        session.execute(text(f"CREATE TEMP TABLE {STAGE} ({_DDL}) ON COMMIT DROP"))
    else:
        session.execute(text(f"DROP TABLE IF EXISTS temp.{STAGE}"))
        session.execute(text(f"CREATE TEMP TABLE {STAGE} ({_DDL})"))


def drop(session: Session) -> None:
    if not _pg(session):
        session.execute(text(f"DROP TABLE IF EXISTS temp.{STAGE}"))


def lock_for_write(session: Session) -> None:
    """From here on, one import at a time: what it reads stays true until it commits. PostgreSQL: a transaction
    advisory lock (a second import waits, then finds the first's findings known). SQLite: the staged rows
    (temporary, nothing of the database's own) are committed and the write transaction begins IMMEDIATE: a
    deferred one that has read would fail to write once another import had committed meanwhile."""
    if _pg(session):
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('dabing.screening-import'))"))
        return
    driver: Any = session.connection().connection.driver_connection
    if driver.in_transaction:
        driver.execute("COMMIT")
    driver.execute("BEGIN IMMEDIATE")


def discard(session: Session) -> None:
    """After a failed import on SQLite: the stage (committed by ``lock_for_write``) does not outlive it."""
    if _pg(session):
        return
    driver: Any = session.connection().connection.driver_connection
    driver.rollback()
    driver.execute(f"DROP TABLE IF EXISTS temp.{STAGE}")


def add(session: Session, rows: Sequence[Sequence[Any]]) -> None:
    """Rows of plain values (text, ints, ISO dates): COPY on PostgreSQL, the driver's executemany on SQLite."""
    if _pg(session):
        append_rows(session, STAGE, COLUMNS, rows)
        return
    driver: Any = session.connection().connection.driver_connection
    driver.executemany(f"INSERT INTO {STAGE} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", rows)


def stored_hashes(session: Session, hashes: Sequence[str]) -> set[str]:
    """Which of these lookup hashes are stored patients (the driver's own statements: thousands a file)."""
    driver: Any = session.connection().connection.driver_connection
    if _pg(session):
        with driver.cursor() as cur:
            cur.execute("SELECT national_id_hash FROM patient WHERE national_id_hash = ANY(%s)", (list(hashes),))
            return {r[0] for r in cur.fetchall()}
    found: set[str] = set()
    for start in range(0, len(hashes), _PART):
        part = hashes[start : start + _PART]
        sql = f"SELECT national_id_hash FROM patient WHERE national_id_hash IN ({', '.join('?' * len(part))})"
        found.update(r[0] for r in driver.execute(sql, part).fetchall())
    return found


def index(session: Session) -> None:
    """Indexes for the checks (built once, after loading: faster than maintaining them row by row)."""
    for name, cols in (("person", "nid_hash, line"), ("home", "household_ref, line"),
                       ("finding", "nid_hash, icd10, screened_on, line")):  # fmt: skip
        session.execute(text(f"CREATE INDEX ix_{STAGE}_{name} ON {STAGE} ({cols})"))


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
    return [RowError(line, field, message.format(first)) for line, first in _rows(session, sql) if line not in skip]


def _consistent(session: Session) -> bool:
    """Whether no person and no household has two values where one is expected (a single pass each)."""
    person = (
        f"SELECT 1 FROM {STAGE} GROUP BY nid_hash HAVING min(region_code) <> max(region_code) OR "
        "min(household_ref) <> max(household_ref) OR min(poverty_status) <> max(poverty_status) LIMIT 1"
    )
    home = f"SELECT 1 FROM {STAGE} GROUP BY household_ref HAVING min(region_code) <> max(region_code) LIMIT 1"
    return not _rows(session, person) and not _rows(session, home)


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
    return [r[0] for r in _rows(session, f"SELECT line FROM {STAGE} WHERE dup = 1 ORDER BY line")]


def region_lines(session: Session) -> list[tuple[str, str, int]]:
    """(row's region, region to check, first line): each region of the file, and the stored region of each
    person the file names who is already registered."""
    own = _rows(session, f"SELECT region_code, region_code, min(line) FROM {STAGE} GROUP BY region_code")
    stored = _rows(
        session,
        f"SELECT s.region_code, p.region_code, min(s.line) FROM {STAGE} s "
        "JOIN patient p ON p.national_id_hash = s.nid_hash GROUP BY s.region_code, p.region_code",
    )
    return [(r, c, line) for r, c, line in own + stored]


def household_moved(session: Session) -> tuple[str, int] | None:
    """(region, line) of the first row whose household is stored under another region, if any."""
    found = _rows(
        session,
        f"SELECT s.region_code, s.line FROM {STAGE} s JOIN household h ON h.ref = s.household_ref "
        "WHERE h.region_code <> s.region_code ORDER BY s.line LIMIT 1",
    )
    return (found[0][0], found[0][1]) if found else None


def status_differs(session: Session) -> list[int]:
    """First lines of people already stored with another poverty status (reported, never overwritten)."""
    return [
        r[0]
        for r in _rows(
            session,
            f"SELECT s.line FROM {STAGE} s JOIN patient p ON p.national_id_hash = s.nid_hash "
            f"WHERE p.poverty_status <> s.poverty_status AND {_FIRST_OF_PERSON} ORDER BY s.line",
        )
    ]


def _now(session: Session, now: datetime) -> Any:
    return now if _pg(session) else _sqlite_value(now)


def write_people(session: Session, now: datetime) -> tuple[int, int]:
    """New households and patients (first line of each); (households, patients) inserted. ON CONFLICT DO NOTHING:
    one a concurrent import committed meanwhile is kept."""
    at = _now(session, now)
    homes = session.execute(
        text(
            "INSERT INTO household (ref, region_code, poverty_status, created_at) "
            f"SELECT s.household_ref, s.region_code, s.poverty_status, :at FROM {STAGE} s WHERE {_FIRST_OF_HOUSEHOLD} "
            "AND NOT EXISTS (SELECT 1 FROM household h WHERE h.ref = s.household_ref) ON CONFLICT (ref) DO NOTHING"
        ),
        {"at": at},
    )
    people = session.execute(
        text(
            "INSERT INTO patient (household_id, national_id_hash, national_id_sealed, name_sealed, region_code, "
            "poverty_status, sex, birth_date, created_at) SELECT h.id, s.nid_hash, s.nid_sealed, s.name_sealed, "
            f"s.region_code, s.poverty_status, s.sex, s.birth_date, :at FROM {STAGE} s "
            f"JOIN household h ON h.ref = s.household_ref WHERE {_FIRST_OF_PERSON} "
            "AND NOT EXISTS (SELECT 1 FROM patient p WHERE p.national_id_hash = s.nid_hash) "
            "ON CONFLICT (national_id_hash) DO NOTHING"
        ),
        {"at": at},
    )
    return homes.rowcount, people.rowcount  # type: ignore[attr-defined]


def mark_fresh(session: Session) -> tuple[int, int]:
    """Links rows to their patient and flags the findings not yet stored; (fresh, already known)."""
    session.execute(
        text(
            f"UPDATE {STAGE} SET patient_id = (SELECT p.id FROM patient p WHERE p.national_id_hash = {STAGE}.nid_hash)"
        )
    )
    session.execute(
        text(
            f"UPDATE {STAGE} SET fresh = 1 WHERE dup = 0 AND NOT EXISTS (SELECT 1 FROM screening_key k WHERE "
            f"k.patient_id = {STAGE}.patient_id AND k.icd10 = {STAGE}.icd10 AND k.screened_on = {STAGE}.screened_on)"
        )
    )
    fresh = _one(session, f"SELECT count(*) FROM {STAGE} WHERE fresh = 1")
    return fresh, _one(session, f"SELECT count(*) FROM {STAGE} WHERE dup = 0") - fresh


def _allocate_ids(session: Session) -> None:
    """Ids for the fresh rows' screening, condition and case: the tables' own sequences on PostgreSQL; on
    SQLite above the current maximum (this transaction writes, so no other writer commits before it does)."""
    if _pg(session):
        sets = ", ".join(
            f"{column} = nextval(pg_get_serial_sequence('{table}', 'id'))"
            for column, table in (("screening_id", "screening"), ("condition_id", "condition"), ("case_id", '"case"'))
        )
        session.execute(text(f"UPDATE {STAGE} SET {sets} WHERE fresh = 1"))
        return
    base = {t: _one(session, f'SELECT coalesce(max(id), 0) FROM "{t}"') for t in ("screening", "condition", "case")}
    session.execute(
        text(
            f"UPDATE {STAGE} SET screening_id = :s + line, condition_id = :c + line, case_id = :k + line "
            "WHERE fresh = 1"
        ),
        {"s": base["screening"], "c": base["condition"], "k": base["case"]},
    )


def write_findings(session: Session, actor: str, now: datetime) -> tuple[int, ...]:
    """Screening, key, suspected condition, case (screened) and its first transition per fresh row; returns
    the new case ids in order."""
    _allocate_ids(session)
    at, fresh = _now(session, now), f"FROM {STAGE} WHERE fresh = 1"
    values = {"no": False, "suspected": ConditionStatus.SUSPECTED.value, "screened": CaseState.SCREENED.value}
    for sql in (
        f"INSERT INTO screening (id, patient_id, screened_on, method, actor, created_at) "
        f"SELECT screening_id, patient_id, screened_on, method, :actor, :at {fresh}",
        f"INSERT INTO screening_key (patient_id, icd10, screened_on, screening_id) "
        f"SELECT patient_id, icd10, screened_on, screening_id {fresh}",
        f"INSERT INTO condition (id, patient_id, screening_id, icd10, status, updated_at) "
        f"SELECT condition_id, patient_id, screening_id, icd10, :suspected, :at {fresh}",
        f'INSERT INTO "case" (id, patient_id, condition_id, region_code, state, green_channel, state_changed_at, '
        f"created_at) SELECT case_id, patient_id, condition_id, region_code, :screened, :no, :at, :at {fresh}",
        f"INSERT INTO case_transition (case_id, from_state, to_state, actor, reason, at) "
        f"SELECT case_id, NULL, :screened, :actor, 'screening intake', :at {fresh}",
    ):
        session.execute(text(sql), {**values, "actor": actor, "at": at})
    return tuple(session.execute(text(f"SELECT case_id {fresh} ORDER BY case_id")).scalars())  # no Row objects
