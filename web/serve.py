"""Running the console: in the foreground (``dabing console``) or in a thread beside ``dabing up``."""

from __future__ import annotations

import os
import threading

from config.logging import get_logger

log = get_logger(__name__)
DEFAULT_PORT = 4300


def console_port(port: int | None = None) -> int:
    return port or int(os.environ.get("DABING_CONSOLE_PORT", DEFAULT_PORT))


def _server(host: str, port: int) -> object:
    import uvicorn

    from runtime.up import prepare_app
    from tasks.infra.identity_guard import require_real_key
    from web.app import create_app

    require_real_key()
    prepare_app()
    _warm_dashboards()
    config = uvicorn.Config(create_app(), host=host, port=port, log_level="warning", access_log=False)
    return uvicorn.Server(config)


def _warm_dashboards() -> None:
    """This month's summary of every county, and every user scope's coverage and alarm counts, computed in the
    background (tasks.reports.summary_cache)."""
    from config.actors import load_actors
    from config.catalogue import load_regions
    from config.settings import get_settings
    from models.common import local_today
    from models.enums import ActorRole
    from tasks.infra.db import get_engine
    from tasks.reports.summary_cache import warm_later
    from web.dashboard import quarter_start

    today = local_today(get_settings().timezone)
    regions = [r.code for r in load_regions().regions]
    prefixes = sorted({a.region for a in load_actors() if a.role != ActorRole.SYSTEM})
    warm_later(get_engine(), "monthly", today, regions, tuple((quarter_start(today), p) for p in prefixes))


def run_console(host: str = "127.0.0.1", port: int | None = None) -> None:
    port = console_port(port)
    server = _server(host, port)
    print(f"Console: http://{host}:{port}/", flush=True)
    server.run()  # type: ignore[attr-defined]


def start_console_thread(host: str = "127.0.0.1", port: int | None = None) -> threading.Thread:
    """The console in a daemon thread (``dabing up``): it stops with the process."""
    port = console_port(port)
    server = _server(host, port)
    thread = threading.Thread(target=server.run, name="console", daemon=True)  # type: ignore[attr-defined]
    thread.start()
    print(f"Console: http://{host}:{port}/", flush=True)
    return thread
