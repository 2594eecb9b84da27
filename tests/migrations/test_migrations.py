"""Alembic migrations: they build exactly the models' schema, and they upgrade a database created by the
previous schema (clear national IDs and names) on SQLite and PostgreSQL without losing a row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel, select

from config.identity import identity_keys
from models.identity import lookup_hash, open_name, open_national_id
from models.people import Patient
from tasks.infra.db import get_engine, session_scope
from tasks.infra.migrate import BASELINE, alembic_config, current, head, migrate
from tasks.infra.setup import init_db
from tests.conftest import pg_schema

#: What the previous schema held: (national ID, name); ids 1.. in this order.
PEOPLE = [("52052719800101001X", "张三"), ("520527199002020021", "李四"), ("520527200012120033", "王五")]


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
    else:
        with pg_schema() as url:
            yield url


def _previous_schema_with_people(url: str) -> None:
    """A database as the code before migrations left it: baseline tables, clear identity, no version table."""
    engine = get_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), BASELINE)
        conn.execute(
            text(
                "INSERT INTO household (id, ref, region_code, poverty_status, created_at)"
                " VALUES (1, 'H-1', '520527', 'registered_poor', :t)"
            ),
            {"t": date(2017, 1, 1)},
        )
        for i, (nid, name) in enumerate(PEOPLE, start=1):
            conn.execute(
                text(
                    "INSERT INTO patient (id, region_code, poverty_status, sex, birth_date, household_id,"
                    " national_id, name, created_at)"
                    " VALUES (:id, '520527', 'registered_poor', 'M', :b, 1, :nid, :name, :t)"
                ),
                {"id": i, "b": date(1980, 1, 1), "nid": nid, "name": name, "t": date(2017, 1, 1)},
            )
        conn.execute(text("DROP TABLE alembic_version"))


def _schema_diff(url: str) -> list[object]:
    with get_engine(url).connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata))


def test_migrations_build_exactly_the_models_schema(empty_url: str) -> None:
    with get_engine(empty_url).begin() as conn:
        command.upgrade(alembic_config(conn), "head")  # the long way, not create_all
    assert _schema_diff(empty_url) == []


def test_an_empty_database_is_created_at_head_and_matches_the_migrations(empty_url: str) -> None:
    assert migrate(get_engine(empty_url)).before is None
    with get_engine(empty_url).connect() as conn:
        assert current(conn) == head()
    assert _schema_diff(empty_url) == []


def test_a_database_of_the_previous_schema_is_upgraded_with_identity_protected(empty_url: str) -> None:
    _previous_schema_with_people(empty_url)
    done = migrate(init_db(empty_url))  # init_db migrates; a second call finds nothing to do
    assert (done.before, done.after) == (head(), head())
    columns = {c["name"] for c in inspect(get_engine(empty_url)).get_columns("patient")}
    assert {"national_id", "name"}.isdisjoint(columns), "clear identity columns must be gone"
    keys = identity_keys()
    with session_scope(empty_url) as s:
        patients = s.exec(select(Patient).order_by(Patient.id)).all()  # type: ignore[arg-type]
        assert len(patients) == len(PEOPLE)
        for patient, (nid, name) in zip(patients, PEOPLE, strict=True):
            assert patient.national_id_hash == lookup_hash(keys, nid), "intake must find the person again"
            assert open_national_id(keys, patient.id, patient.national_id_hash, patient.national_id_sealed) == nid
            assert open_name(keys, patient.id, patient.national_id_hash, patient.name_sealed) == name
    with get_engine(empty_url).connect() as conn:
        raw = " ".join(str(v) for row in conn.execute(text("SELECT * FROM patient")) for v in row)
    assert all(nid not in raw and name not in raw for nid, name in PEOPLE)


def _downgrade(url: str, revision: str) -> None:
    """As an operator downgrades: on SQLite with foreign keys off while batch mode re-creates referenced tables
    (as ``migrate`` does for upgrades)."""
    with get_engine(url).connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        command.downgrade(alembic_config(conn), revision)
        conn.commit()
        if sqlite:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")


def test_downgrade_opens_identity_again(empty_url: str) -> None:
    _previous_schema_with_people(empty_url)
    init_db(empty_url)
    _downgrade(empty_url, BASELINE)
    with get_engine(empty_url).connect() as conn:
        rows = conn.execute(text("SELECT national_id, name FROM patient ORDER BY id")).all()
    assert [tuple(r) for r in rows] == PEOPLE


def _sealed(url: str) -> list[tuple[str, str, str]]:
    with get_engine(url).connect() as conn:
        rows = conn.execute(text("SELECT national_id_hash, national_id_sealed, name_sealed FROM patient ORDER BY id"))
        return [(h, s, n) for h, s, n in rows]


def test_v1_sealed_identity_is_resealed_bound_to_its_row_and_back(empty_url: str) -> None:
    """Migration 0005 (issue 22 #7): v1 tokens (bound to the purpose only) become v2 tokens bound to the row's
    lookup hash, every identity still opens; downgrade gives v1 tokens again."""
    from alembic.script import ScriptDirectory

    from migrations import sealing

    before_0005 = ScriptDirectory.from_config(alembic_config()).get_revision("0005").down_revision
    assert isinstance(before_0005, str)
    _previous_schema_with_people(empty_url)
    with get_engine(empty_url).begin() as conn:
        command.stamp(alembic_config(conn), BASELINE)
        command.upgrade(alembic_config(conn), before_0005)
    assert all(s.startswith("v1.") and n.startswith("v1.") for _, s, n in _sealed(empty_url))
    migrate(get_engine(empty_url))
    keys = identity_keys()
    resealed = _sealed(empty_url)
    assert all(s.startswith("v2.") and n.startswith("v2.") for _, s, n in resealed)
    for pid, ((h, s, n), (nid, name)) in enumerate(zip(resealed, PEOPLE, strict=True), start=1):
        assert (open_national_id(keys, pid, h, s), open_name(keys, pid, h, n)) == (nid, name)
    _downgrade(empty_url, before_0005)
    frozen = sealing.configured_keys()
    back = _sealed(empty_url)
    assert all(s.startswith("v1.") for _, s, _ in back)
    opened = [(sealing.unseal(frozen, "national_id", s, h), sealing.unseal(frozen, "name", n, h)) for h, s, n in back]
    assert opened == PEOPLE


def test_money_stored_as_real_on_sqlite_becomes_exact_fen_and_back(empty_url: str) -> None:
    """Migration 0006 (issue 22 #9): SQLite's NUMERIC money (REAL) is converted to whole fen, read back as the
    exact Decimal; downgrade gives yuan again. PostgreSQL keeps NUMERIC(18,2) unchanged."""
    from models.people import Household

    _previous_schema_with_people(empty_url)
    with get_engine(empty_url).begin() as conn:
        command.stamp(alembic_config(conn), BASELINE)
        command.upgrade(alembic_config(conn), "0005")
        conn.execute(text("UPDATE household SET annual_income = 12345.67 WHERE id = 1"))
    migrate(get_engine(empty_url))
    with session_scope(empty_url) as s:
        assert s.execute(select(Household.annual_income)).scalar_one() == Decimal("12345.67")
    with get_engine(empty_url).connect() as conn:
        stored = conn.execute(text("SELECT annual_income FROM household")).scalar_one()
    assert stored == (1234567 if empty_url.startswith("sqlite") else Decimal("12345.67"))
    _downgrade(empty_url, "0005")
    with get_engine(empty_url).connect() as conn:
        assert Decimal(str(conn.execute(text("SELECT annual_income FROM household")).scalar_one())) == Decimal(
            "12345.67"
        )


def test_migrate_alone_upgrades_a_database_one_revision_behind(empty_url: str) -> None:
    """``migrate`` called by a program that imported no model (a script, a benchmark): the upgrade runs. Before,
    the tables it compares against were not loaded, the database looked empty and was only stamped at head —
    its schema left behind (the nightly benchmark's cohort lacked ``nightly_run.replay`` "at 0023")."""
    import subprocess
    import sys

    migrate(get_engine(empty_url))
    _downgrade(empty_url, "0022")
    script = "import sys; from sqlalchemy import create_engine; from tasks.infra.migrate import migrate; " \
             "print(migrate(create_engine(sys.argv[1])).before)"  # fmt: skip
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script, empty_url], cwd=root, capture_output=True, text=True,
                          check=True)  # fmt: skip
    assert done.stdout.strip().splitlines()[-1] == "0022"
    assert _schema_diff(empty_url) == [], "upgraded, not only stamped"
