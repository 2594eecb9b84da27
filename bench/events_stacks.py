"""The stacks bench_events.py measures: each starts a Prefect server (one or two processes) and something that
starts the triggered runs (`dabing up`'s serve, or a process-pool worker deployed from prefect.yaml)."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from runtime.up import redis_messaging, server_env, start_local_server

ROOT = Path(__file__).resolve().parent.parent

BIN = Path(sys.executable).parent
PG = "host=127.0.0.1 user=postgres dbname=postgres"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")  # a database of its own: flushed


@dataclass(frozen=True)
class Variant:
    key: str
    title: str
    postgres: bool = False  # Prefect server and app database on PostgreSQL
    redis: bool = False  # Prefect messaging, cache, ordering, leases and docket on Redis
    split: bool = False  # API `--no-services` + `prefect server services start`
    api_workers: int = 1  # API processes (`prefect server start --workers N`; with split)
    worker: bool = False  # `prefect worker start --pool dabing` (prefect.yaml) instead of serve
    env: dict[str, str] = field(default_factory=dict)
    poll: float | None = None  # runner / worker poll interval (default 0.2 s; --poll overrides)


@dataclass
class Stack:
    api: str
    app_env: dict[str, str]  # for coordinator commands
    procs: list[subprocess.Popen[bytes]]

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_pg_database(name: str) -> str | None:
    """A new, empty database on the machine's PostgreSQL, or None when it is unreachable."""
    try:
        import psycopg

        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
    except Exception:
        return None
    return f"postgres@127.0.0.1:5432/{name}"


def fresh_redis() -> str | None:
    """Why Redis variants cannot run, or None after emptying the bench's Redis database."""
    if importlib.util.find_spec("prefect_redis") is None:
        return "prefect-redis is not installed (pip install -c requirements.lock -e '.[redis]')"
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()
    except Exception as exc:
        return f"Redis at {REDIS_URL} unreachable ({exc.__class__.__name__})"
    return None


def unavailable(v: Variant) -> str | None:
    """Why the variant cannot run here (None: it can)."""
    if v.postgres:
        try:
            import psycopg

            psycopg.connect(PG, connect_timeout=3).close()
        except Exception as exc:
            return f"PostgreSQL at 127.0.0.1:5432 unreachable ({exc.__class__.__name__})"
    return fresh_redis() if v.redis else None


def _wait(what: str, ok: Callable[[], bool], procs: list[subprocess.Popen[bytes]], log: Path) -> None:
    deadline = time.monotonic() + 180
    while not ok():
        if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up; see {log}")
        time.sleep(0.5)


def _has_triggers(api: httpx.Client) -> bool:
    try:
        return any(d["name"] == "on-triaged" for d in api.post("/deployments/filter", json={}).json())
    except httpx.HTTPError:
        return False


def start(v: Variant, tmp: Path, poll: float) -> Stack:
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", **v.env}
    env.pop("PREFECT_API_URL", None)
    app_db = f"sqlite:///{tmp / 'app.db'}"
    if v.postgres:
        prefect_db, app_pg = fresh_pg_database("dabing_bench_prefect"), fresh_pg_database("dabing_bench_app")
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = f"postgresql+asyncpg://{prefect_db}"
        app_db = f"postgresql+psycopg://{app_pg}"
    if v.redis:
        fresh_redis()
        env.update(redis_messaging(REDIS_URL))
    env.update(
        DABING_DATABASE_URL=app_db,
        DABING_PREFECT_HOME=str(tmp / "prefect"),
        DABING_PREFECT_PORT=str(port),
        DABING_POLL_SECONDS=str(poll),
        DABING_LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        DABING_ALLOW_DEV_KEY="true",  # synthetic people: `up` would refuse the development key otherwise
    )
    log = tmp / "stack.log"
    out = log.open("w")
    api = httpx.Client(base_url=api_url, timeout=10)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        if v.api_workers > 1:  # each API process would create a new database's schema and block types at once
            upgrade = [sys.executable, "-m", "prefect", "server", "database", "upgrade", "-y"]
            subprocess.run(upgrade, env=server_env(tmp / "prefect", env, port=port), check=True, capture_output=True)
            env["PREFECT_SERVER_REGISTER_BLOCKS_ON_START"] = "false"  # the flows use no block
        if v.split or v.worker:  # the bench runs the server; `dabing up` / the worker only use it
            api_server = start_local_server(tmp / "prefect", port, env=env, services=not v.split, workers=v.api_workers)
            procs.append(api_server)
            if v.split:
                services = [sys.executable, "-m", "prefect", "server", "services", "start"]
                senv = server_env(tmp / "prefect", env, port=port)
                procs.append(subprocess.Popen(services, env=senv, stdout=out, stderr=subprocess.STDOUT))
            env["PREFECT_API_URL"] = api_url
        if v.worker:
            _start_worker(env, tmp, poll, out, procs, api)
        else:
            procs.append(subprocess.Popen([str(BIN / "dabing"), "up"], env=env, stdout=out, stderr=out, cwd=ROOT))
            _wait("`dabing up`", lambda: _has_triggers(api), procs, log)
    except BaseException:
        Stack(api_url, env, procs).stop()
        raise
    return Stack(api_url, {**env, "PREFECT_API_URL": api_url}, procs)


def _start_worker(
    env: dict[str, str], tmp: Path, poll: float, out: IO[Any], procs: list[subprocess.Popen[bytes]], api: httpx.Client
) -> None:
    """prefect.yaml for real: the pool, `prefect deploy --all`, one process worker."""
    wenv = {**env, "PREFECT_HOME": str(tmp / "worker-home"), "PREFECT_WORKER_QUERY_SECONDS": str(poll)}
    wenv.pop("DABING_HOME", None)  # deploy keeps `{{ $DABING_HOME }}`: each worker resolves it to its clone
    prefect = str(BIN / "prefect")
    pool = [prefect, "work-pool", "create", "dabing", "--type", "process"]
    for cmd in (pool, [prefect, "--no-prompt", "deploy", "--all"]):
        done = subprocess.run(cmd, env=wenv, cwd=ROOT, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{' '.join(cmd[1:])} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    prepare = [sys.executable, "-c", "from runtime.up import prepare_app; prepare_app()"]
    subprocess.run(prepare, env=wenv, cwd=ROOT, check=True, capture_output=True)
    worker = [prefect, "worker", "start", "--pool", "dabing", "--limit", "4"]
    procs.append(subprocess.Popen(worker, env={**wenv, "DABING_HOME": str(ROOT)}, stdout=out, stderr=out, cwd=tmp))

    def ready() -> bool:
        return bool(api.get("/work_pools/dabing").json().get("status") == "READY")

    _wait("the process worker", ready, procs, tmp / "stack.log")
