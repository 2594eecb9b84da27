"""`dabing up`: everything for a county on one machine — a local Prefect server (SQLite under
``DABING_PREFECT_HOME``) unless ``PREFECT_API_URL`` points at one already, then ``serve`` with every
deployment, the event triggers and the nightly schedule. Ctrl-C stops both.

Coordinator commands (`dabing confirm …`) find the running local server by themselves, or start it and leave
it running (``runtime.local_server``), so their events reach the triggers.

The server inherits this process's environment: ``PREFECT_API_DATABASE_CONNECTION_URL`` puts it on
PostgreSQL, ``redis_messaging()``'s settings on Redis (README, "Scale-out").
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from config.logging import get_logger
from config.settings import get_settings

log = get_logger(__name__)
QUIET = {"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}


def redis_messaging(url: str) -> dict[str, str]:
    """Prefect server settings for Redis messaging (``pip install -e '.[redis]'``, prefect-redis): required as
    soon as the server is more than one process (``--workers N``, API replicas with ``--no-services`` plus one
    ``prefect server services start``). Every server process gets the same settings."""
    return {
        "PREFECT_MESSAGING_BROKER": "prefect_redis.messaging",
        "PREFECT_MESSAGING_CACHE": "prefect_redis.messaging",
        "PREFECT_SERVER_EVENTS_CAUSAL_ORDERING": "prefect_redis.ordering",
        "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect_redis.lease_storage",
        "PREFECT_SERVER_DOCKET_URL": url,
        "PREFECT_REDIS_MESSAGING_URL": url,
        # prefect-redis publishes per 5 messages or every 10 s, and the server keeps one publisher per client
        # websocket (the flow runs' own events: flow and task-run states), which would then reach the services
        # up to 10 s late. (The app's domain events come by `POST /api/events`: one publisher per request.)
        "PREFECT_REDIS_MESSAGING_PUBLISHER_BATCH_SIZE": "1",
    }


def api_url(host: str, port: int) -> str:
    return f"http://{host}:{port}/api"


def local_api_url() -> str:
    settings = get_settings()
    return api_url(settings.prefect_host, settings.prefect_port)


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


def server_env(
    home: Path, base: Mapping[str, str] | None = None, *, host: str = "127.0.0.1", port: int = 4200
) -> dict[str, str]:
    """The environment of a local server process with its own home (its SQLite database lives there), listening
    on ``host:port``, its UI talking to that same API (``/ui-settings`` answers ``PREFECT_UI_API_URL``, which
    otherwise defaults to port 4200 whatever port the server runs on).

    The server itself is ``python -m runtime.prefect_server``: ``prefect server start`` with its SQLite write
    transactions begun IMMEDIATE (why: that module's doc; README "Latency").
    """
    own = {
        "PREFECT_HOME": str(home.resolve()),
        "PREFECT_SERVER_API_HOST": host,
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_UI_API_URL": api_url(host, port),
    }
    env = {**(os.environ if base is None else base), **QUIET, **own}
    env.pop("PREFECT_API_URL", None)
    env.pop("PREFECT_SERVER_UI_API_URL", None)  # an alias of PREFECT_UI_API_URL that would win over it
    return env


def start_local_server(
    home: Path,
    port: int,
    wait_seconds: float = 60.0,
    *,
    host: str = "127.0.0.1",
    env: Mapping[str, str] | None = None,
    services: bool = True,
    workers: int = 1,
    detach: bool = False,
) -> subprocess.Popen[bytes]:
    """`prefect server start` in the background; ``services=False`` runs the API and UI only, as do
    ``workers`` > 1 API processes (PostgreSQL and Redis required). ``detach``: in its own session, so it
    outlives this process and its terminal (``runtime.local_server``)."""
    home = home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "runtime.prefect_server", "server", "start", "--host", host, "--port", str(port)]
    cmd += ([] if services else ["--no-services"]) + (["--workers", str(workers)] if workers > 1 else [])
    with (home / "server.log").open("ab") as logfile:
        proc = subprocess.Popen(
            cmd,
            env=server_env(home, env, host=host, port=port),
            stdin=subprocess.DEVNULL,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            start_new_session=detach,
        )
    url = api_url(host, port)
    deadline = time.monotonic() + wait_seconds
    while not healthy(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"the local Prefect server did not start; see {home / 'server.log'}")
        time.sleep(0.25)
    log.info("prefect.server_started", url=url, home=str(home), services=services)
    return proc


def prepare_app() -> None:
    """The app's tables and designated hospitals exist before any run."""
    from tasks.infra.db import session_scope
    from tasks.infra.setup import init_db
    from tasks.pathway.hospitals import sync_hospitals

    init_db()
    with session_scope() as s:
        sync_hospitals(s)


def up(with_demo: bool = False) -> None:
    """Refused with the development identity key on a non-demo database. The server: the configured one, the
    running local one (perhaps started by a command), or one started here and stopped with ``up``."""
    from runtime.local_server import ensure_local_server
    from tasks.infra.identity_guard import require_real_key

    require_real_key()
    os.environ.update(QUIET)
    prepare_app()
    _, server = ensure_local_server(detach=False)
    ui = os.environ["PREFECT_API_URL"].removesuffix("/api")
    print(f"Prefect UI: {ui}  (deployments: {ui}/deployments)", flush=True)
    from web.serve import start_console_thread

    start_console_thread(get_settings().prefect_host)  # the coordinators' console (web/), port DABING_CONSOLE_PORT
    try:
        from runtime.serve import serve_all

        serve_all(with_demo)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
