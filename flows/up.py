"""`dabing up`: everything for a county on one machine — a local Prefect server (SQLite under
``DABING_PREFECT_HOME``) unless ``PREFECT_API_URL`` points at one already, then ``serve`` with every
deployment, the event triggers and the nightly schedule. Ctrl-C stops both.

Coordinator commands (`dabing confirm …`) find the running local server by themselves
(``use_running_local_server``), so their events reach the triggers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import structlog

from config.settings import get_settings

log = structlog.get_logger()
QUIET = {"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}


def local_api_url() -> str:
    return f"http://127.0.0.1:{get_settings().prefect_port}/api"


def healthy(api_url: str, timeout: float = 0.5) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def use_running_local_server() -> str | None:
    """Point this process at the local server when one runs and nothing else is configured."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    url = local_api_url()
    if healthy(url, timeout=0.2):
        os.environ["PREFECT_API_URL"] = url
        return url
    return None


def start_local_server(home: Path, port: int, wait_seconds: float = 60.0) -> subprocess.Popen[bytes]:
    """`prefect server start` in the background with its own home (its SQLite database lives there)."""
    home = home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **QUIET, "PREFECT_HOME": str(home)}
    env.pop("PREFECT_API_URL", None)
    logfile = (home / "server.log").open("ab")
    cmd = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=logfile, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + wait_seconds
    while not healthy(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"the local Prefect server did not start; see {home / 'server.log'}")
        time.sleep(0.25)
    log.info("prefect.server_started", url=url, home=str(home))
    return proc


def up() -> None:
    from tasks.db import init_db, session_scope
    from tasks.hospitals import sync_hospitals

    settings = get_settings()
    os.environ.update(QUIET)
    init_db()  # the app's tables and designated hospitals exist before any run
    with session_scope() as s:
        sync_hospitals(s)
    server: subprocess.Popen[bytes] | None = None
    if not use_running_local_server():
        server = start_local_server(settings.prefect_home, settings.prefect_port)
        os.environ["PREFECT_API_URL"] = local_api_url()
    ui = os.environ["PREFECT_API_URL"].removesuffix("/api")
    print(f"Prefect UI: {ui}  (deployments: {ui}/deployments)", flush=True)
    try:
        from flows.serve import serve_all

        serve_all()
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
