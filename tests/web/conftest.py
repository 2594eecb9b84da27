"""The console under test: a fresh database with two patients (赫章县 and 新平县), passwords for a few users,
and a fake runner standing in for the Prefect API (it records what would be started)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from models import national_id
from models.console import ConsoleUser
from tasks.infra.access import sync_actors
from tasks.infra.db import session_scope
from tasks.pathway.hospitals import sync_hospitals
from tests.flows.helpers import import_one_patient
from web.actions import RunState
from web.app import create_app
from web.security import hash_password

PASSWORD = "correct horse 1"
USERS = ("coordinator", "xinping-coordinator", "bijie-supervisor")


@dataclass
class FakeRunner:
    started: list[tuple[str, dict[str, Any], str, list[str]]] = field(default_factory=list)
    outcome: RunState = field(default_factory=lambda: RunState(True, True, "已完成"))

    async def start(self, deployment: str, parameters: dict[str, Any], name: str, tags: list[str]) -> str:
        self.started.append((deployment, parameters, name, tags))
        return f"run-{len(self.started)}"

    async def state(self, run_id: str) -> tuple[RunState, dict[str, Any]]:
        return self.outcome, self.started[int(run_id.removeprefix("run-")) - 1][1]


@dataclass
class World:
    client: TestClient
    runner: Any  # FakeRunner, or InProcessRunner for ``live``
    case_id: int  # 赫章县 (coordinator's county)
    patient_id: int
    nid: str
    other_case: int  # 新平县
    other_nid: str


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has a form with a CSRF token"
    return found.group(1)


def login(client: TestClient, actor: str, password: str = PASSWORD) -> Any:
    return client.post("/login", data={"actor": actor, "password": password}, follow_redirects=False)


@dataclass
class InProcessRunner:
    """Runs the deployment's flow in this process (under the test harness) instead of through the Prefect API:
    the parameters the console builds meet the real flow, its validation and its database writes."""

    runs: list[tuple[RunState, dict[str, Any], str]] = field(default_factory=list)

    async def start(self, deployment: str, parameters: dict[str, Any], name: str, tags: list[str]) -> str:
        from runtime.deployments import specs
        from web.prefect_runner import one_line

        flows = {f"{f.name}/{options['name']}": f for f, options in specs()}
        try:
            result = flows[deployment](**parameters)
            if hasattr(result, "__await__"):
                await result
            state = RunState(True, True, "已完成")
        except Exception as exc:  # the run page's one line, as from a failed run's state message
            state = RunState(True, False, "失败：" + one_line(f"{type(exc).__name__}: {exc}"))
        self.runs.append((state, parameters, name))
        return f"run-{len(self.runs)}"

    async def state(self, run_id: str) -> tuple[RunState, dict[str, Any]]:
        state, params, _ = self.runs[int(run_id.removeprefix("run-")) - 1]
        return state, params


@pytest.fixture()
def world(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from _world(FakeRunner(), tmp_path, monkeypatch)


@pytest.fixture()
def live(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_harness: None) -> Iterator[World]:
    """The console with every action run by its real flow, in process."""
    yield from _world(InProcessRunner(), tmp_path, monkeypatch)


def _world(runner: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("DABING_BACKUP_DIR", str(tmp_path / "var" / "backups"))
    from config.settings import get_settings

    get_settings.cache_clear()
    with session_scope() as s:
        sync_actors(s)
        sync_hospitals(s)
        for actor in USERS:
            s.add(ConsoleUser(actor_id=actor, password_hash=hash_password(PASSWORD)))
    case_id, nid = import_one_patient(tmp_path, "I10", region_code="520527", sequence=5)
    other_case, other_nid = import_one_patient(tmp_path, "I10", region_code="530427", sequence=6)
    from models.clinical import Case

    with session_scope() as s:
        case = s.get(Case, case_id)
        assert case is not None
        patient_id = case.patient_id
    with TestClient(create_app(runner)) as client:
        yield World(client, runner, case_id, patient_id, nid, other_case, other_nid)


def an_id(sequence: int, region: str = "520527") -> str:
    return national_id.make(region, date(1960, 3, 4), sequence)


def plant_alarm(w: World, kind: str = "untreated", household_id: int | None = None, reason: str = "r") -> int:
    """One open alarm of the nightly run of 2017-09-30: on ``w``'s case, or on a household (``household_id``)."""
    from models.findings import Finding, FindingKind, NightlyRun

    with session_scope() as s:
        run = NightlyRun(night=date(2017, 9, 30), scope="*")
        s.add(run)
        s.flush()
        on_case = household_id is None
        subject_id = w.case_id if on_case else int(household_id or 0)
        finding = Finding(run_id=run.id or 0, night=date(2017, 9, 30), kind=FindingKind(kind),
                          subject=f"{'case' if on_case else 'household'}:{subject_id}", reason=reason,
                          region_code="520527", patient_id=w.patient_id if on_case else None,
                          case_id=w.case_id if on_case else None, household_id=household_id,
                          subject_id=subject_id)  # fmt: skip
        s.add(finding)
        s.flush()
        return int(finding.id or 0)
