"""The one local Prefect server of a machine's commands.

Without ``PREFECT_API_URL``, Prefect gives every process its own temporary server (random port, 20 s start
timeout): parallel commands then each start one, and under load they time out or collide on a port
(issue 22). Instead every coordinator command that runs a flow calls ``ensure_local_server``: it uses the
server at ``DABING_PREFECT_PORT`` when one answers, and otherwise starts it — detached, with its SQLite under
``DABING_PREFECT_HOME`` — and leaves it running for the next command. A file lock in that home serialises
"healthy? → start → wait until healthy", so parallel commands start one server and the others wait for it.

It is the same server `dabing up` finds and reuses (and `up` started first is the one the commands find);
``dabing server stop`` stops it (its pid is in ``server.pid`` in the home), ``dabing server status`` tells.
``DABING_LOCAL_SERVER=false`` restores Prefect's temporary server per command.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from config.logging import get_logger
from config.settings import get_settings
from runtime.up import healthy, local_api_url, start_local_server

log = get_logger(__name__)
PID_FILE = "server.pid"


@contextmanager
def home_lock(home: Path) -> Iterator[None]:
    """An exclusive lock on ``<home>/server.lock`` (blocks until the holder releases it or exits)."""
    home.mkdir(parents=True, exist_ok=True)
    fd = os.open(home / "server.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def ensure_local_server(*, detach: bool = True) -> tuple[str, subprocess.Popen[bytes] | None]:
    """(API URL, the process when this call started one). A configured ``PREFECT_API_URL`` wins (the tests'
    harness, a remote server): nothing is started then. Sets ``PREFECT_API_URL`` for this process."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"], None
    settings = get_settings()
    url = local_api_url()
    proc = None
    with home_lock(settings.prefect_home):
        if not healthy(url, timeout=1.0):
            try:
                proc = start_local_server(
                    settings.prefect_home, settings.prefect_port, 120.0, host=settings.prefect_host, detach=detach
                )
            except RuntimeError:
                if not healthy(url, timeout=1.0):  # another home's server took the port meanwhile: use it
                    raise
            else:
                if detach:
                    (settings.prefect_home / PID_FILE).write_text(f"{proc.pid}\n", encoding="utf-8")
                    log.info("prefect.server_left_running", url=url, stop="dabing server stop")
    os.environ["PREFECT_API_URL"] = url
    return url, proc


def _server_pid(home: Path) -> int | None:
    """The pid in ``server.pid`` if that process is still our server (not a reused pid)."""
    try:
        pid = int((home / PID_FILE).read_text(encoding="utf-8").strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if b"runtime.prefect_server" in cmdline else None


def stop_local_server(wait_seconds: float = 30.0) -> str:
    """Stop the detached server a command started (SIGTERM, then SIGKILL after ``wait_seconds``)."""
    home = get_settings().prefect_home
    with home_lock(home):
        pid = _server_pid(home)
        if pid is None:
            up = healthy(local_api_url())
            return "no server started by a command is running" + (" (one started by `dabing up` is)" if up else "")
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + wait_seconds
        while _server_pid(home) is not None and time.monotonic() < deadline:
            time.sleep(0.2)
        if _server_pid(home) is not None:
            os.kill(pid, signal.SIGKILL)
        (home / PID_FILE).unlink(missing_ok=True)
        return f"stopped the local Prefect server (pid {pid})"


def status() -> str:
    url, pid = local_api_url(), _server_pid(get_settings().prefect_home)
    state = "running" if healthy(url) else "not running"
    return f"local Prefect server {url}: {state}" + (f" (pid {pid}, started by a command)" if pid else "")
