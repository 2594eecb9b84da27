"""The demo writes only its own database: an empty one or one it stamped, rebuilt every time; pointed at a
database holding anything else it refuses in one line and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

import runtime.up
from cli.app import app
from config.settings import get_settings
from flows.demo import county_demo
from models.enums import PovertyStatus
from models.meta import DEMO, DemoRefused
from models.people import PatientCreate
from tasks.infra.db import _engine_for, get_engine
from tasks.infra.setup import init_db
from tasks.pathway.intake import register_patient
from tests.conftest import BACKEND, pg_schema
from tests.snapshots import table_rows

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_harness")]
PATIENTS = 50


@pytest.fixture()
def empty_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A database with nothing in it (SQLite file not yet created, or an empty PostgreSQL schema), configured."""
    monkeypatch.chdir(tmp_path)  # the demo writes its CSV under ./var
    with pg_schema() if BACKEND == "postgresql" else nullcontext(f"sqlite:///{tmp_path / 'demo.db'}") as url:
        monkeypatch.setenv("DABING_DATABASE_URL", url)
        get_settings.cache_clear()
        yield url
        get_engine(url).dispose()
        _engine_for.cache_clear()
        get_settings.cache_clear()


def _patients(url: str) -> int:
    with get_engine(url).connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM patient")).scalar_one())


def test_the_demo_runs_twice_on_its_own_database(empty_url: str) -> None:
    first = county_demo(patients=PATIENTS)
    second = county_demo(patients=PATIENTS)
    assert second == first, "the same county again, not on top of the first"
    assert _patients(empty_url) == PATIENTS
    with get_engine(empty_url).connect() as conn:
        assert conn.execute(text("SELECT value FROM app_meta WHERE key = 'role'")).scalar() == DEMO


def test_the_demo_repairs_what_the_old_demo_left_version_only(empty_url: str) -> None:
    """The old ``fresh`` dropped the tables but not alembic_version: init-db and the demo then failed."""
    with get_engine(empty_url).begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('0003')"))
    county_demo(patients=PATIENTS)
    assert _patients(empty_url) == PATIENTS


def test_the_demo_refuses_a_database_with_a_registered_patient_and_changes_nothing(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = PatientCreate(
        household_ref="H-1",
        national_id="520527195003040115",
        name="张三丰",
        region_code="520527",
        poverty_status=PovertyStatus.DESTITUTE,
    )
    register_patient(person, "coordinator")
    before = table_rows(db_url)
    with pytest.raises(DemoRefused, match="not a demo database"):
        county_demo(patients=PATIENTS)
    assert table_rows(db_url) == before

    monkeypatch.setattr(runtime.up, "use_running_local_server", lambda: None)
    monkeypatch.setenv("DABING_DATABASE_URL", db_url)  # restored after: the command sets it
    result = CliRunner().invoke(app, ["demo", "--patients", str(PATIENTS), "--database-url", db_url])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("refused: ") and "patient 1" in lines[0], result.output
    assert "Traceback" not in result.output
    assert table_rows(db_url) == before


def test_init_db_repairs_a_version_without_tables_and_refuses_missing_tables(empty_url: str) -> None:
    from tasks.infra.migrate import SchemaBroken

    with get_engine(empty_url).begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('0004')"))
    init_db(empty_url)
    assert _patients(empty_url) == 0
    with get_engine(empty_url).begin() as conn:
        conn.execute(text("DROP TABLE settlement_line"))
    before = table_rows(empty_url)
    with pytest.raises(SchemaBroken, match="lacks the tables settlement_line"):
        init_db(empty_url)
    assert table_rows(empty_url) == before
