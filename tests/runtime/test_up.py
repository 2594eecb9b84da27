"""The environment `dabing up` gives its local Prefect server (runtime/up.py)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from runtime.up import redis_messaging, server_env

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/prefect"


@pytest.mark.parametrize(
    ("base", "reason"),
    [
        ({}, "nothing configured: the server's own SQLite under its home"),
        ({"PREFECT_API_DATABASE_CONNECTION_URL": PG}, "the Prefect server on PostgreSQL, by this setting alone"),
        (redis_messaging("redis://127.0.0.1:6379/0"), "Redis messaging, by these settings alone"),
        ({"PREFECT_API_URL": "http://elsewhere:4200/api"}, "a configured server is not the one being started"),
    ],
)
def test_the_local_server_gets_its_home_quiet_flags_and_the_callers_settings(
    tmp_path: Path, base: dict[str, str], reason: str
) -> None:
    env = server_env(tmp_path / "home", base)
    assert env["PREFECT_HOME"] == str((tmp_path / "home").resolve()), reason
    assert env["DO_NOT_TRACK"] == "1"
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert "PREFECT_API_URL" not in env  # the server never points at another server
    passed = {k: v for k, v in base.items() if k != "PREFECT_API_URL"}
    assert passed.items() <= env.items(), reason


def test_redis_messaging_moves_every_shared_part_of_the_server_to_redis() -> None:
    settings = redis_messaging("redis://127.0.0.1:6379/3")
    in_memory_by_default = (
        "PREFECT_MESSAGING_BROKER",
        "PREFECT_MESSAGING_CACHE",
        "PREFECT_SERVER_EVENTS_CAUSAL_ORDERING",
        "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE",
    )
    assert all(settings[key].startswith("prefect_redis.") for key in in_memory_by_default)
    assert (
        settings["PREFECT_SERVER_DOCKET_URL"] == settings["PREFECT_REDIS_MESSAGING_URL"] == "redis://127.0.0.1:6379/3"
    )
    assert settings["PREFECT_REDIS_MESSAGING_PUBLISHER_BATCH_SIZE"] == "1"


def test_the_servers_ui_is_told_its_own_api_address(tmp_path: Path) -> None:
    env = server_env(tmp_path / "home", {"PREFECT_UI_API_URL": "http://127.0.0.1:4200/api"}, host="10.1.2.3", port=4310)
    assert (env["PREFECT_SERVER_API_HOST"], env["PREFECT_SERVER_API_PORT"]) == ("10.1.2.3", "4310")
    assert env["PREFECT_UI_API_URL"] == "http://10.1.2.3:4310/api"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_up_on_another_port_serves_a_ui_that_reaches_its_own_api(tmp_path: Path) -> None:
    """`dabing up` with DABING_PREFECT_PORT set: the browser's UI asks `/ui-settings` where the API is."""
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DABING_"))},
        "DABING_PREFECT_PORT": str(port),
        "DABING_PREFECT_HOME": str(tmp_path / "prefect"),
        "DABING_DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "DABING_WARM_START": "false",
        "DABING_IDENTITY_KEY": "a-key-of-this-test-only-not-the-default",  # `up` refuses the development key
        "PREFECT_HOME": str(tmp_path / "client-home"),
    }
    out = (tmp_path / "up.log").open("wb")
    up = subprocess.Popen(  # its own process group: `up` and the server it starts are stopped together
        [str(BIN / "dabing"), "up"], env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 90
        settings: dict[str, object] = {}
        while not settings:
            assert up.poll() is None and time.monotonic() < deadline, "dabing up did not serve its UI"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ui-settings", timeout=1) as resp:
                    settings = json.loads(resp.read())
            except OSError:
                time.sleep(0.5)
        assert settings["api_url"] == f"http://127.0.0.1:{port}/api"
    finally:
        os.killpg(up.pid, signal.SIGINT)  # Ctrl-C (ignored when the tests run in a background job: then killed)
        try:
            up.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(up.pid, signal.SIGKILL)
            up.wait()
        out.close()
