"""The development identity key is refused on anything but the demo's database (issue 22, item 8): by the
tasks that hash, seal or open identity (imports, registration, workers, FHIR export) and, before anything
starts, by `dabing up`, `serve`, `import` and `register` — one line saying how to set a key."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from typer.testing import CliRunner

import cli.app
import runtime.serve
import runtime.up
from config.settings import DEV_IDENTITY_KEY, get_settings
from models import national_id
from models.enums import PovertyStatus
from models.people import PatientCreate
from tasks.infra.identity_guard import DevelopmentKeyRefused, is_demo_database, require_real_key
from tasks.pathway.intake import register_patient

REAL_KEY = "a-real-key-of-32-characters-long-xx"


@pytest.fixture()
def dev_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The default key, without the test suite's allowance."""
    monkeypatch.setenv("DABING_ALLOW_DEV_KEY", "false")
    monkeypatch.setenv("DABING_IDENTITY_KEY", DEV_IDENTITY_KEY)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("dev_key")
def test_the_development_key_is_for_a_stamped_demo_database_only(tmp_path: Path) -> None:
    from tasks.infra.setup import init_db
    from tasks.ops.demo_db import prepare_demo_database

    app, demo = f"sqlite:///{tmp_path / 'app.db'}", f"sqlite:///{tmp_path / 'demo.db'}"
    init_db(app)  # a coordinator's database: migrated, no stamp
    prepare_demo_database(demo)  # the demo's: stamped role = demo
    for url, is_demo in ((app, False), (demo, True), (f"sqlite:///{tmp_path / 'new.db'}", False)):
        assert is_demo_database(url) is is_demo
        assert is_demo_database(create_engine(url)) is is_demo
        if is_demo:
            require_real_key(url)
        else:
            with pytest.raises(DevelopmentKeyRefused, match="DABING_IDENTITY_KEY is the public development key"):
                require_real_key(url)


def test_a_real_key_or_the_allowance_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DABING_IDENTITY_KEY", REAL_KEY)
    monkeypatch.setenv("DABING_ALLOW_DEV_KEY", "false")
    get_settings.cache_clear()
    require_real_key("postgresql+psycopg://postgres@127.0.0.1:5432/dabing")
    monkeypatch.setenv("DABING_IDENTITY_KEY", DEV_IDENTITY_KEY)
    monkeypatch.setenv("DABING_ALLOW_DEV_KEY", "true")
    get_settings.cache_clear()
    require_real_key("postgresql+psycopg://postgres@127.0.0.1:5432/dabing")
    get_settings.cache_clear()


def test_registration_refuses_to_hash_under_the_development_key(db_url: str, dev_key: None) -> None:
    nid = national_id.make("520527", date(1960, 1, 2), 5)
    person = PatientCreate(
        household_ref="H1", national_id=nid, name="张三", region_code="520527", poverty_status=PovertyStatus.GENERAL
    )
    with pytest.raises(DevelopmentKeyRefused):
        register_patient(person, "system")


@pytest.mark.parametrize("command", [["up"], ["serve"], ["import", "x.csv"], ["register", "--household-ref", "H"]])
def test_commands_refuse_to_start_with_one_line(
    db_url: str, dev_key: None, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    started: list[str] = []
    monkeypatch.setattr(runtime.up, "start_local_server", lambda *a, **k: started.append("server"))
    monkeypatch.setattr(runtime.up, "prepare_app", lambda: started.append("app"))
    monkeypatch.setattr(runtime.serve, "serve_all", lambda: started.append("serve"))
    done = CliRunner().invoke(cli.app.app, command)
    assert done.exit_code == 1, done.output
    (line,) = done.output.strip().splitlines()
    assert line.startswith("refused: DABING_IDENTITY_KEY is the public development key")
    assert "secrets.token_urlsafe(32)" in line and "DABING_IDENTITY_KEY=<it> in .env" in line
    assert started == []
