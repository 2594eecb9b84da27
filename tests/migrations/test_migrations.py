"""Alembic migrations: they build exactly the models' schema, and they upgrade a database created by the
previous schema (clear national IDs and names) on SQLite and PostgreSQL without losing a row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel, select

from config.identity import identity_keys
from models.identity import Purpose, lookup_hash, unseal
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
            assert unseal(keys, Purpose.NATIONAL_ID, patient.national_id_sealed) == nid
            assert unseal(keys, Purpose.NAME, patient.name_sealed) == name
    with get_engine(empty_url).connect() as conn:
        raw = " ".join(str(v) for row in conn.execute(text("SELECT * FROM patient")) for v in row)
    assert all(nid not in raw and name not in raw for nid, name in PEOPLE)


def test_downgrade_opens_identity_again(empty_url: str) -> None:
    _previous_schema_with_people(empty_url)
    init_db(empty_url)
    with get_engine(empty_url).begin() as conn:
        command.downgrade(alembic_config(conn), BASELINE)
    with get_engine(empty_url).connect() as conn:
        rows = conn.execute(text("SELECT national_id, name FROM patient ORDER BY id")).all()
    assert [tuple(r) for r in rows] == PEOPLE


def test_migration_0002_s_frozen_identity_format_is_the_application_s_v1() -> None:
    """0002 carries its own copy of the v1 format (no application import): what it wrote, the application reads,
    and what the application wrote, its downgrade opens."""
    import importlib.util
    import sys

    from models.identity import Purpose, derive_keys, lookup_hash, seal, unseal

    path = Path(__file__).resolve().parents[2] / "migrations/versions/0002_identity_actors.py"
    spec = importlib.util.spec_from_file_location("migration_0002", path)
    assert spec is not None and spec.loader is not None
    m0002 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m0002)
    source = path.read_text(encoding="utf-8")
    assert "from models" not in source and "config.identity" not in source
    secret = "a-test-secret-of-32-characters!!"
    lookup, sealing = m0002.frozen_keys(secret)
    live = derive_keys(secret)
    assert lookup == live.lookup
    nid = "53042719610504001X"
    assert hmac_hex(lookup, nid) == lookup_hash(live, nid)
    assert unseal(live, Purpose.NAME, m0002.frozen_seal(sealing, "name", "李四光")) == "李四光"
    assert m0002.frozen_unseal(sealing, "national_id", seal(live, Purpose.NATIONAL_ID, nid)) == nid
    assert "migration_0002" not in sys.modules


def hmac_hex(key: bytes, value: str) -> str:
    import hashlib
    import hmac

    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
