"""Commands without `dabing up` share one local Prefect server (issue 22, item 5): the first that needs it
starts it (detached) under a lock in the Prefect home, parallel ones wait for it and use it, later ones find
it; nothing is started when PREFECT_API_URL is set (the tests' harness) or for --help. The server here is a
stand-in answering /api/health, so the test needs no real Prefect server."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import cli.app
import flows.pathway
import runtime.local_server
from config.settings import get_settings
from runtime.local_server import ensure_local_server, stop_local_server

PORT = 4352


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/api/health" else 404)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


class _Proc:
    pid = 0


@pytest.fixture()
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    """No API URL, the shared server enabled on PORT; ``start_local_server`` takes 1 s to bring up a stand-in
    (the list records every start)."""
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("DABING_LOCAL_SERVER", "true")
    monkeypatch.setenv("DABING_PREFECT_PORT", str(PORT))
    monkeypatch.setenv("DABING_PREFECT_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    starts: list[Path] = []
    servers: list[ThreadingHTTPServer] = []

    def start(home: Path, port: int, wait_seconds: float = 60.0, **kwargs: Any) -> _Proc:
        assert (
            kwargs.get("detach") is True
            and kwargs.get("host", get_settings().prefect_host) == get_settings().prefect_host
        ), kwargs
        starts.append(home)
        time.sleep(1.0)
        server = ThreadingHTTPServer(("127.0.0.1", port), _Health)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return _Proc()

    monkeypatch.setattr(runtime.local_server, "start_local_server", start)
    yield starts
    for server in servers:
        server.shutdown()
        server.server_close()
    get_settings.cache_clear()


def test_parallel_commands_start_one_server_and_all_use_it(local: list[Path]) -> None:
    urls: list[str] = []
    threads = [threading.Thread(target=lambda: urls.append(ensure_local_server()[0])) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(local) == 1, "one server for six parallel commands"
    assert urls == [f"http://127.0.0.1:{PORT}/api"] * 6
    assert (local[0] / "server.pid").exists(), "the started server is found by `dabing server stop`"


def test_a_step_command_starts_the_shared_server_once_and_runs_against_it(
    local: list[Path], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str | None] = []

    class Outcome:
        def model_dump(self, mode: str) -> dict[str, Any]:
            return {}

    async def confirm(*args: Any) -> Outcome:
        seen.append(os.environ.get("PREFECT_API_URL"))
        return Outcome()

    monkeypatch.setattr(flows.pathway, "confirm_diagnosis", confirm)
    for _ in range(2):
        done = CliRunner().invoke(cli.app.app, ["confirm", "1", "2017-03-05"])
        assert done.exit_code == 0, done.output
        os.environ.pop("PREFECT_API_URL")  # the next command is a new process
    assert len(local) == 1, "the second command finds the running server"
    assert seen == [f"http://127.0.0.1:{PORT}/api"] * 2, "the flow runs against the shared server"


def test_nothing_is_started_with_an_api_url_for_help_or_when_disabled(
    local: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert CliRunner().invoke(cli.app.app, ["confirm", "--help"]).exit_code == 0
    assert CliRunner().invoke(cli.app.app, ["settle-preview", "--help"]).exit_code == 0
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    assert ensure_local_server() == ("http://127.0.0.1:9/api", None)
    assert local == []


def test_stop_without_a_server_started_by_a_command(local: list[Path]) -> None:
    home = get_settings().prefect_home
    home.mkdir(parents=True)
    (home / "server.pid").write_text(f"{os.getpid()}\n", encoding="utf-8")  # a pid that is not a server
    assert stop_local_server() == "no server started by a command is running"


PROBE = """
import cli.app, cli.main
cli.main.FLOW_COMMANDS = cli.main.FLOW_COMMANDS | {"probe"}

@cli.app.app.command()
def probe() -> None:
    from prefect.settings import PREFECT_API_URL
    print(PREFECT_API_URL.value())

cli.app.app(["probe"])
"""


def test_the_flow_command_s_prefect_settings_see_the_shared_server(local: list[Path], tmp_path: Path) -> None:
    """Prefect reads PREFECT_API_URL once, when it is first imported: nothing before the main callback may
    import it (else the command's flows go to Prefect's temporary server after all)."""
    runtime.local_server.start_local_server(tmp_path, PORT, detach=True)  # the stand-in, already running
    env = {**os.environ, "DABING_LOCAL_SERVER": "true", "DABING_PREFECT_PORT": str(PORT)}
    env["DABING_PREFECT_HOME"] = str(tmp_path / "home")
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=False)
    assert done.stdout.strip().splitlines()[-1:] == [f"http://127.0.0.1:{PORT}/api"], done.stderr
