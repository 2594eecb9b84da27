"""Warm starts for served flow runs: `serve` keeps flow-run processes ready, imports done.

Prefect's runner starts every flow run as a new ``python -m prefect.engine`` process, which spends ~1.5 s
importing Prefect and our flows before the run reaches Running — most of an event-triggered run's latency
(README "Latency"). ``WarmEngines`` keeps ``STANDBYS`` *standby* processes (``python -m runtime.standby``) that
have imported them and wait on their stdin. When the runner starts a run, a standby receives the run's
environment (flow run id, control-channel port, …) and becomes that run's process: ``prefect.engine``'s own
``__main__`` then runs in it unchanged. Used standbys are replaced ``REFILL_AFTER`` seconds after the latest
run start — not at once: importing next to a run that is starting (2 cores here) slowed its start by ~1 s.
Two, because a coordinator's step from the UI is two served runs in a row (``confirm-diagnosis``, then the
triggered ``refer-triaged``): the second finds the other standby ready. Each idle standby holds ~170 MB.

The runner sees an ordinary child process it started (pid, exit code, output, cancellation and kill work as
for a cold start). A standby is used only when its environment and working directory equal the run's apart
from the per-run keys (``PER_RUN``); otherwise, or when none is ready, the run starts cold, as Prefect does.

Hooked in through ``prefect.runner._starter_engine.run_process`` (the seam Prefect's starter documents:
"patch the module to override"), in ``runtime/prefect_internals.py``; checked by ``tests/runtime/test_warm_start.py``.
``DABING_WARM_START=false`` turns it off.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import anyio.abc

from config.logging import get_logger
from runtime.prefect_internals import route_runner_run_process, runner_run_process

log = get_logger(__name__)
ENGINE = ["-m", "prefect.engine"]
STANDBY = ["-m", "runtime.standby"]
STANDBYS = 2
REFILL_AFTER = 1.0  # seconds after the latest run start (warm or cold)
#: What differs from one run to the next; everything else must equal the standby's environment.
PER_RUN = frozenset(
    {
        "PREFECT__FLOW_RUN_ID",
        "PREFECT__CONTROL_PORT",
        "PREFECT__CONTROL_TOKEN",
        "PREFECT__DEPLOYMENT_NAME",
        "PREFECT__STORAGE_BASE_PATH",
        "PREFECT__FLOW_ENTRYPOINT",
        "PREFECT__ENABLE_CANCELLATION_AND_CRASHED_HOOKS",
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY",
    }
)
RunProcess = Callable[..., Awaitable[anyio.abc.Process]]


def _where(cwd: str | Path | None) -> str:
    return str(Path(cwd).resolve()) if cwd is not None else os.getcwd()


def base_env(env: Mapping[str, str | None]) -> dict[str, str]:
    """``env`` without the per-run keys (and without unset values)."""
    return {k: v for k, v in env.items() if v is not None and k not in PER_RUN}


@dataclass
class Standby:
    process: anyio.abc.Process
    env: dict[str, str]  # base_env of the environment it was started with
    cwd: str


class WarmEngines:
    """Replaces ``run_process`` in Prefect's engine starter."""

    def __init__(self, cold: RunProcess, size: int = STANDBYS, refill_after: float = REFILL_AFTER) -> None:
        self.cold = cold  # Prefect's own run_process
        self.size, self.refill_after = size, refill_after
        self.pool: list[Standby] = []
        self.warm = self.cold_starts = 0
        self._refill: asyncio.Task[None] | None = None  # waiting to fill
        self._filling = asyncio.Lock()

    async def prime(self) -> None:
        """The first standbys, with the environment Prefect's starter gives a served run (less per-run keys)."""
        from prefect.settings import get_current_settings

        settings_env = get_current_settings().to_environment_variables(exclude_unset=True)
        await self.fill({**os.environ, **settings_env}, None)

    async def fill(self, env: Mapping[str, str | None], cwd: str | Path | None) -> None:
        """Start standbys with ``env`` (a run's, per-run keys removed) in ``cwd`` until ``size`` are ready."""
        standby_env, where = base_env(env), _where(cwd)
        async with self._filling:
            while len(self.pool) < self.size:
                process = await anyio.open_process(
                    [sys.executable, *STANDBY], env=standby_env, cwd=where, stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                )  # fmt: skip
                self.pool.append(Standby(process, standby_env, where))

    async def take(
        self, env: Mapping[str, str | None], cwd: str | Path | None, options: Mapping[str, Any]
    ) -> anyio.abc.Process | None:
        """A standby that has become the run's process, given the run's environment; None: start it cold.
        Standbys that cannot serve it (other environment or directory, exited) are stopped."""
        run_env, where = base_env(env), _where(cwd)
        while self.pool:
            standby = self.pool.pop(0)
            if standby.process.returncode is None and not options and (standby.env, standby.cwd) == (run_env, where):
                if await _wake(standby.process, env):
                    return standby.process
            else:
                keys = run_env.keys() | standby.env.keys()
                differ = sorted(k for k in keys if run_env.get(k) != standby.env.get(k))  # names: values are secret
                log.info("warm_start.stale", exited=standby.process.returncode, options=sorted(options), differ=differ)
            await _stop(standby.process)
        return None

    async def run_process(
        self,
        command: list[str],
        *,
        stream_output: bool | tuple[Any, Any] = False,
        task_status: anyio.abc.TaskStatus[Any] | None = None,
        task_status_handler: Callable[[anyio.abc.Process], Any] | None = None,
        env: Mapping[str, str | None] | None = None,
        cwd: str | Path | None = None,
        **kwargs: Any,
    ) -> anyio.abc.Process:
        handler = task_status_handler
        process = None
        if command[1:] == ENGINE and env is not None:  # a flow run (anything else goes to Prefect's as it is)
            process = await self.take(env, cwd, kwargs)
            self.cold_starts += process is None
            self._refill_later(env, cwd)
        if process is None:
            return await self.cold(
                command, stream_output=stream_output, task_status=task_status, task_status_handler=handler, env=env,
                cwd=cwd, **kwargs,
            )  # fmt: skip
        self.warm += 1
        return await _follow(process, stream_output, task_status, handler)

    def _refill_later(self, env: Mapping[str, str | None], cwd: str | Path | None) -> None:
        """Top the pool up ``refill_after`` seconds after the latest run start (a new start postpones it)."""
        if self._refill is not None and not self._refill.done():
            self._refill.cancel()
        self._refill = asyncio.get_running_loop().create_task(self._fill_after_delay(dict(env), cwd))

    async def _fill_after_delay(self, env: Mapping[str, str | None], cwd: str | Path | None) -> None:
        await asyncio.sleep(self.refill_after)
        self._refill = None  # past the wait it is not cancelled (a process started is always pooled)
        try:
            await self.fill(env, cwd)
        except OSError:
            log.exception("warm_start.refill_failed")

    async def close(self) -> None:
        if self._refill is not None:
            self._refill.cancel()
        pool, self.pool = self.pool, []
        for standby in pool:
            await _stop(standby.process)


async def _wake(process: anyio.abc.Process, env: Mapping[str, str | None]) -> bool:
    """Give the standby the run's environment; False if it is gone (broken pipe)."""
    message = {"env": {k: v for k, v in env.items() if v is not None}}
    try:
        assert process.stdin is not None
        await process.stdin.send(json.dumps(message).encode() + b"\n")
        await process.stdin.aclose()
        return True
    except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
        log.warning("warm_start.standby_lost", exited=process.returncode)
        return False


async def _follow(
    process: anyio.abc.Process,
    stream_output: bool | tuple[Any, Any],
    task_status: anyio.abc.TaskStatus[Any] | None,
    task_status_handler: Callable[[anyio.abc.Process], Any] | None,
) -> anyio.abc.Process:
    """What Prefect's ``run_process`` does once the process is open, for the standby that became the run."""
    from prefect.utilities.processutils import consume_process_output

    try:
        if task_status is not None:
            task_status.started(task_status_handler(process) if task_status_handler else process.pid)
        sinks = (sys.stdout, sys.stderr) if stream_output is True else stream_output
        if sinks:
            await consume_process_output(process, stdout_sink=sinks[0], stderr_sink=sinks[1])
        await process.wait()
    finally:
        if process.returncode is None:
            process.terminate()
        with anyio.CancelScope(shield=True):
            await process.aclose()
    return process


async def _stop(process: anyio.abc.Process) -> None:
    if process.returncode is None:
        process.kill()
    with anyio.CancelScope(shield=True):
        await process.aclose()


def install() -> WarmEngines:
    """Route the runner's engine starts through a ``WarmEngines`` (idempotent)."""
    current: RunProcess = runner_run_process()
    owner = getattr(current, "__self__", None)
    if isinstance(owner, WarmEngines):
        return owner
    engines = WarmEngines(current)
    route_runner_run_process(engines.run_process)
    return engines
