"""`dabing serve`: every deployment of the registry (``runtime/deployments.py``) on one runner; the UI's "Run"
form is built from the flows' flat parameters."""

from __future__ import annotations

import asyncio
from typing import Any

from config.logging import get_logger
from config.settings import get_settings
from runtime.deployments import deployments, specs

log = get_logger(__name__)


def serve_all(with_demo: bool = False) -> None:
    """Every deployment on one runner that asks for runs every ``DABING_POLL_SECONDS`` (Prefect: 10 s).

    As ``prefect.serve`` does, with one step between registering the deployments (and so their triggers) and
    serving them: the events the server missed while it or serve was down are sent then, so they start the
    triggered flows late rather than never.

    Runs start in a process that has imported everything already (``runtime.warm_start``; the run starts in
    ~0.4 s instead of ~1.5 s for ``python -m prefect.engine``, README "Latency") unless
    ``DABING_WARM_START=false``. (``Runner.add_flow`` would spawn the loaded flow instead, but Prefect then
    pickles our flow functions by value and loses the module globals their postponed annotations need:
    parameter validation fails.)
    """
    from prefect.runner import Runner

    settings = get_settings()
    served = deployments(specs(with_demo))
    runner = Runner(pause_on_shutdown=False, query_seconds=settings.poll_seconds)
    for deployment in served:
        runner.add_deployment(deployment)
    flush_backlog()
    print(f"serving {len(served)} deployments; Ctrl-C stops", flush=True)
    try:
        asyncio.run(_run(runner, warm=settings.warm_start))
    except KeyboardInterrupt:
        log.info("serve.stopped")


async def _run(runner: Any, *, warm: bool) -> None:
    from runtime.warm_start import install

    engines = install() if warm else None
    try:
        if engines is not None:
            await engines.prime()
        await runner.start()
    finally:
        if engines is not None:
            await engines.close()
            log.info("serve.warm_starts", warm=engines.warm, cold=engines.cold_starts)


def flush_backlog() -> None:
    """Send the outbox's unsent events (never raises: the scheduled ``flush-events/outbox`` tries again)."""
    from tasks.infra.outbox import flush_outbox

    try:
        flush_outbox.fn()
    except Exception:
        log.exception("events.flush_failed")
