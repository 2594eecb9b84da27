"""A screening file staged in a temporary table of the import's own transaction, then checked and written with
set-based SQL: memory stays flat whatever the file's size, and the file is all or nothing (one transaction).

Stage columns hold what the tables will: the lookup hash (never clear text), ASCII codes, dates; the sealed
identity of new people is staged apart (``import_identity``), so the rows scanned a dozen times stay narrow.
The checks across rows are ``tasks.pathway.stage_checks``; rows repeating a finding already in the file are
collapsed and reported; findings already imported (``screening_key``) are skipped and counted.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from models.enums import CaseState, ConditionStatus
from tasks.infra.bulkwrite import _sqlite_value, append_rows

STAGE = "import_stage"
#: the sealed identity of the rows that sealed one (people not stored yet), apart from the stage: the stage is
#: scanned a dozen times, this table once (the new patients' insert), so the stage's rows stay narrow
IDENTITY = "import_identity"
COLUMNS = ("line", "household_ref", "nid_hash", "region_code", "poverty_status", "sex", "birth_date", "screened_on",
           "icd10", "method")  # fmt: skip
IDENTITY_COLUMNS = ("line", "nid_sealed", "name_sealed")
#: each row's patient id, found walking the stage in hash order (SQLite; ``_link_patients``)
LINK = "import_link"
_DDL = (
    "line INTEGER PRIMARY KEY, household_ref VARCHAR(40) NOT NULL, nid_hash VARCHAR(64) NOT NULL, "
    "region_code VARCHAR(6) NOT NULL, poverty_status VARCHAR(40) NOT NULL, sex VARCHAR(1) NOT NULL, "
    "birth_date DATE NOT NULL, screened_on DATE NOT NULL, icd10 VARCHAR(16) NOT NULL, method VARCHAR(30) NOT NULL, "
    "patient_id BIGINT, dup SMALLINT NOT NULL DEFAULT 0, fresh SMALLINT NOT NULL DEFAULT 0, "
    "screening_id BIGINT, condition_id BIGINT, case_id BIGINT"
)
_IDENTITY_DDL = "line INTEGER PRIMARY KEY, nid_sealed VARCHAR(120) NOT NULL, name_sealed VARCHAR(400) NOT NULL"
_PART = 900  # SQLite bound parameters a statement
_WRITE_CACHE_KIB = 64 << 10  # SQLite page cache while people are written (``_page_cache``)
#: the first line of each person (nid_hash) and of each household (household_ref): one pass over the covering
#: index each (SQLite keeps the set for the statement), not a lookup per row
FIRST_OF_PERSON = f"s.line IN (SELECT min(line) FROM {STAGE} GROUP BY nid_hash)"
_FIRST_OF_HOUSEHOLD = f"s.line IN (SELECT min(line) FROM {STAGE} GROUP BY household_ref)"


def pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def fetch(session: Session, sql: str, **params: Any) -> list[Any]:
    return list(session.execute(text(sql), params).all())


def one(session: Session, sql: str, **params: Any) -> int:
    return int(session.execute(text(sql), params).scalar_one() or 0)


def create(session: Session) -> None:
    """An empty stage for this transaction (PostgreSQL drops it at commit; SQLite's is dropped by ``drop``)."""
    for table, ddl in ((STAGE, _DDL), (IDENTITY, _IDENTITY_DDL)):
        if pg(session):
            session.execute(text(f"CREATE TEMP TABLE {table} ({ddl}) ON COMMIT DROP"))
        else:
            session.execute(text(f"DROP TABLE IF EXISTS temp.{table}"))
            session.execute(text(f"CREATE TEMP TABLE {table} ({ddl})"))


def drop(session: Session) -> None:
    if not pg(session):
        for table in (STAGE, IDENTITY):
            session.execute(text(f"DROP TABLE IF EXISTS temp.{table}"))


def lock_for_write(session: Session) -> None:
    """From here on, one import at a time: what it reads stays true until it commits. PostgreSQL: a transaction
    advisory lock (a second import waits, then finds the first's findings known). SQLite: the staged rows
    (temporary, nothing of the database's own) are committed and the write transaction begins IMMEDIATE: a
    deferred one that has read would fail to write once another import had committed meanwhile."""
    if pg(session):
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('dabing.screening-import'))"))
        return
    driver: Any = session.connection().connection.driver_connection
    if driver.in_transaction:
        driver.execute("COMMIT")
    driver.execute("BEGIN IMMEDIATE")


def others_may_write(session: Session) -> bool:
    """Whether people can be stored by others while the import holds its lock: on PostgreSQL a registration
    may commit meanwhile (the advisory lock serialises imports only); SQLite's write lock, held since
    ``lock_for_write``, keeps every other writer out until the import commits."""
    return pg(session)


def discard(session: Session) -> None:
    """After a failed import on SQLite: the stage (committed by ``lock_for_write``) does not outlive it."""
    if pg(session):
        return
    driver: Any = session.connection().connection.driver_connection
    driver.rollback()
    for table in (STAGE, IDENTITY):
        driver.execute(f"DROP TABLE IF EXISTS temp.{table}")


def add(session: Session, rows: Sequence[Sequence[Any]], identities: Sequence[Sequence[Any]]) -> None:
    """Stage rows (``COLUMNS``) and sealed identities (``IDENTITY_COLUMNS``) of plain values (text, ints, ISO
    dates): COPY on PostgreSQL, the driver's executemany on SQLite."""
    for table, columns, values in ((STAGE, COLUMNS, rows), (IDENTITY, IDENTITY_COLUMNS, identities)):
        if not values:
            continue
        if pg(session):
            append_rows(session, table, columns, values)
            continue
        driver: Any = session.connection().connection.driver_connection
        driver.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                           values)  # fmt: skip


def stored_hashes(session: Session, hashes: Sequence[str]) -> set[str]:
    """Which of these lookup hashes are stored patients (the driver's own statements: thousands a file)."""
    driver: Any = session.connection().connection.driver_connection
    if pg(session):
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
    """Indexes for the checks (built once, after loading: faster than maintaining them row by row), each
    covering what its checks read, so they run on the index alone: per person, in (person, code, date, line)
    order — the first line, the values that must agree, the repeated findings, the walk in hash order — and
    per household (first line, region)."""
    for name, cols in (
        ("person", "nid_hash, icd10, screened_on, line, region_code, household_ref, poverty_status"),
        ("home", "household_ref, line, region_code"),
    ):
        session.execute(text(f"CREATE INDEX ix_{STAGE}_{name} ON {STAGE} ({cols})"))


def _now(session: Session, now: datetime) -> Any:
    return now if pg(session) else _sqlite_value(now)


def write_people(session: Session, now: datetime) -> tuple[int, int]:
    """New households and patients (first line of each); (households, patients) inserted. ON CONFLICT DO NOTHING
    skips one stored already (before the import, or by a concurrent writer meanwhile): the unique index the
    insert probes anyway, not a second lookup. A person stored when staged has no sealed identity staged."""
    at = _now(session, now)
    with _page_cache(session, _WRITE_CACHE_KIB):
        homes = session.execute(
            text(
                "INSERT INTO household (ref, region_code, poverty_status, created_at) "
                f"SELECT s.household_ref, s.region_code, s.poverty_status, :at FROM {STAGE} s "
                f"WHERE {_FIRST_OF_HOUSEHOLD} "
                "ON CONFLICT (ref) DO NOTHING"
            ),
            {"at": at},
        )
        people = session.execute(
            text(
                "INSERT INTO patient (household_id, national_id_hash, national_id_sealed, name_sealed, region_code, "
                "poverty_status, sex, birth_date, created_at) SELECT h.id, s.nid_hash, i.nid_sealed, i.name_sealed, "
                f"s.region_code, s.poverty_status, s.sex, s.birth_date, :at FROM {STAGE} s "
                f"JOIN {IDENTITY} i ON i.line = s.line JOIN household h ON h.ref = s.household_ref "
                f"WHERE {FIRST_OF_PERSON} ORDER BY s.line ON CONFLICT (national_id_hash) DO NOTHING"
            ),
            {"at": at},
        )
    return homes.rowcount, people.rowcount  # type: ignore[attr-defined]


@contextmanager
def _page_cache(session: Session, kib: int) -> Iterator[None]:
    """SQLite: this connection's page cache set to ``kib`` while the people are written, then back to what it was
    (the engine's, ``tasks.infra.db``) however the writing ends. A new person's place in the unique lookup-hash
    index is at random: with the index in the cache, a million inserts cost 9.4 → 6.0 s CPU (measured apart, 900k
    rows)."""
    if pg(session):
        yield
        return
    driver: Any = session.connection().connection.driver_connection
    before = driver.execute("PRAGMA cache_size").fetchone()[0]
    driver.execute(f"PRAGMA cache_size={-kib}")
    try:
        yield
    finally:
        driver.execute(f"PRAGMA cache_size={before}")


def _link_patients(session: Session) -> None:
    """Each row's patient id. SQLite: the stage walked in person (hash) order, so the patient index is read in
    its own order, not at random (a million random probes cost more than the rest of the write); the ids are
    sorted back into line order in a temporary table, then copied to the stage in line order."""
    if pg(session):
        session.execute(
            text(
                f"UPDATE {STAGE} SET patient_id = "
                f"(SELECT p.id FROM patient p WHERE p.national_id_hash = {STAGE}.nid_hash)"
            )
        )
        return
    session.execute(text(f"DROP TABLE IF EXISTS temp.{LINK}"))
    session.execute(text(f"CREATE TEMP TABLE {LINK} (line INTEGER PRIMARY KEY, patient_id BIGINT NOT NULL)"))
    session.execute(
        text(
            f"INSERT INTO {LINK} (line, patient_id) SELECT s.line, p.id FROM {STAGE} s "
            f"INDEXED BY ix_{STAGE}_person CROSS JOIN patient p ON p.national_id_hash = s.nid_hash ORDER BY s.line"
        )
    )
    session.execute(
        text(f"UPDATE {STAGE} SET patient_id = (SELECT k.patient_id FROM {LINK} k WHERE k.line = {STAGE}.line)")
    )
    session.execute(text(f"DROP TABLE IF EXISTS temp.{LINK}"))


def mark_fresh(session: Session) -> tuple[int, int]:
    """Links rows to their patient and flags the findings not yet stored; (fresh, already known)."""
    _link_patients(session)
    session.execute(
        text(
            f"UPDATE {STAGE} SET fresh = 1 WHERE dup = 0 AND NOT EXISTS (SELECT 1 FROM screening_key k WHERE "
            f"k.patient_id = {STAGE}.patient_id AND k.icd10 = {STAGE}.icd10 AND k.screened_on = {STAGE}.screened_on)"
        )
    )
    fresh = one(session, f"SELECT count(*) FROM {STAGE} WHERE fresh = 1")
    return fresh, one(session, f"SELECT count(*) FROM {STAGE} WHERE dup = 0") - fresh


def _allocate_ids(session: Session) -> None:
    """Ids for the fresh rows' screening, condition and case: the tables' own sequences on PostgreSQL; on
    SQLite above the current maximum (this transaction writes, so no other writer commits before it does)."""
    if pg(session):
        sets = ", ".join(
            f"{column} = nextval(pg_get_serial_sequence('{table}', 'id'))"
            for column, table in (("screening_id", "screening"), ("condition_id", "condition"), ("case_id", '"case"'))
        )
        session.execute(text(f"UPDATE {STAGE} SET {sets} WHERE fresh = 1"))
        return
    base = {t: one(session, f'SELECT coalesce(max(id), 0) FROM "{t}"') for t in ("screening", "condition", "case")}
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
        f"INSERT INTO case_transition (case_id, from_state, to_state, actor, reason, at, occurred_on) "
        f"SELECT case_id, NULL, :screened, :actor, 'screening intake', :at, screened_on {fresh}",
    ):
        session.execute(text(sql), {**values, "actor": actor, "at": at})
    return tuple(session.execute(text(f"SELECT case_id {fresh} ORDER BY case_id")).scalars())  # no Row objects
