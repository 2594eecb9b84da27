"""Warm starts (runtime/warm_start.py): when a standby may become a run's process, and the standby's own contract.
The whole path (real runner, triggered runs started warm) is in test_events.py."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from runtime import warm_start
from runtime.warm_start import PER_RUN, Standby, WarmEngines, base_env


class FakeStdin:
    def __init__(self, broken: bool) -> None:
        self.broken, self.sent, self.closed = broken, b"", False

    async def send(self, data: bytes) -> None:
        if self.broken:
            raise BrokenPipeError
        self.sent += data

    async def aclose(self) -> None:
        self.closed = True


class FakeProcess:
    def __init__(self, returncode: int | None = None, broken: bool = False) -> None:
        self.returncode = returncode
        self.stdin = FakeStdin(broken)
        self.killed = self.reaped = False

    def kill(self) -> None:
        self.killed = True

    async def aclose(self) -> None:
        self.reaped = True


async def _never(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("cold start not expected here")


def _engines(env: dict[str, str], cwd: str, standby: FakeProcess | None = None) -> tuple[WarmEngines, FakeProcess]:
    engines, standby = WarmEngines(_never), standby or FakeProcess()
    engines.pool = [Standby(standby, base_env(env), cwd)]  # type: ignore[arg-type]
    return engines, standby


BASE = {"PATH": "/usr/bin", "PREFECT_API_URL": "http://127.0.0.1:4200/api", "DABING_DATABASE_URL": "sqlite:///a.db"}
RUN = {"PREFECT__FLOW_RUN_ID": "0d4c", "PREFECT__CONTROL_PORT": "5555", "PREFECT__DEPLOYMENT_NAME": "on-event"}


@pytest.mark.parametrize(
    ("run_env", "cwd", "options", "warm"),
    [
        pytest.param({**BASE, **RUN}, None, {}, True, id="same environment but the per-run keys: warm"),
        pytest.param({**BASE, **RUN, "PREFECT__STORAGE_BASE_PATH": None}, None, {}, True, id="unset values ignored"),
        pytest.param({**BASE, **RUN, "DABING_DATABASE_URL": "sqlite:///b.db"}, None, {}, False, id="other database"),
        pytest.param({**RUN, "PATH": "/usr/bin"}, None, {}, False, id="a setting missing from the run"),
        pytest.param({**BASE, **RUN}, "/", {}, False, id="another working directory"),
        pytest.param({**BASE, **RUN}, None, {"start_new_session": True}, False, id="an option the standby lacks"),
    ],
)
def test_a_standby_becomes_the_run_only_when_nothing_but_the_run_differs(
    run_env: dict[str, Any], cwd: str | None, options: dict[str, Any], warm: bool
) -> None:
    engines, standby = _engines(BASE, os.getcwd())
    taken = asyncio.run(engines.take(run_env, cwd, options))
    assert (taken is standby) is warm
    assert standby.killed is not warm and standby.reaped is not warm, "a standby that cannot serve is stopped"
    assert engines.pool == [], "a standby serves one run at most"
    if warm:
        message = json.loads(standby.stdin.sent)
        assert message["env"]["PREFECT__FLOW_RUN_ID"] == "0d4c", "the standby gets the run's own environment"
        assert "PREFECT__STORAGE_BASE_PATH" not in message["env"]
        assert standby.stdin.closed, "one run per standby: its input ends there"


@pytest.mark.parametrize(
    "standby",
    [
        pytest.param(FakeProcess(returncode=1), id="exited while waiting"),
        pytest.param(FakeProcess(broken=True), id="gone by the time the run comes (broken pipe)"),
    ],
)
def test_a_lost_standby_leaves_the_run_a_cold_start(standby: FakeProcess) -> None:
    engines, _ = _engines(BASE, os.getcwd(), standby)
    assert asyncio.run(engines.take({**BASE, **RUN}, None, {})) is None
    assert standby.reaped


def test_the_first_standby_that_fits_is_used_and_stale_ones_are_stopped() -> None:
    engines, fits = _engines(BASE, os.getcwd())
    stale = FakeProcess()
    engines.pool.insert(0, Standby(stale, base_env({**BASE, "DABING_DATABASE_URL": "sqlite:///old.db"}), os.getcwd()))  # type: ignore[arg-type]
    spare = FakeProcess()
    engines.pool.append(Standby(spare, base_env(BASE), os.getcwd()))  # type: ignore[arg-type]
    assert asyncio.run(engines.take({**BASE, **RUN}, None, {})) is fits
    assert stale.killed and not fits.killed
    assert [s.process for s in engines.pool] == [spare], "the other standby waits for the next run"


def test_per_run_keys_are_the_ones_prefect_sets_for_each_run() -> None:
    """If Prefect's starter gave each run another key, every warm start would turn cold: keep PER_RUN in step."""
    import inspect

    from prefect.runner import _starter_engine

    source = inspect.getsource(_starter_engine.EngineCommandStarter.start)
    for key in PER_RUN:
        assert f'"{key}"' in source, key


def test_install_routes_prefects_engine_starts_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.runner import _starter_engine

    prefects = _starter_engine.run_process  # type: ignore[attr-defined]
    monkeypatch.setattr(_starter_engine, "run_process", prefects)
    engines = warm_start.install()
    assert engines.cold is prefects
    assert _starter_engine.run_process == engines.run_process  # type: ignore[attr-defined]
    assert warm_start.install() is engines, "installing again keeps the one WarmEngines"


def test_a_standby_without_a_run_exits_quietly(tmp_path: Path) -> None:
    """serve stopped (or dropped the standby) before giving it a run: end of input, exit 0, nothing printed."""
    done = subprocess.run(
        [sys.executable, "-m", "runtime.standby"], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
