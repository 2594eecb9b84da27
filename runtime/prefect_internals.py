"""Every use of a Prefect private API, in one module, pinned to Prefect ``PREFECT_VERSION``
(``tests/runtime/test_prefect_internals.py`` fails when an upgrade moves one of them):

- ``AioSqliteConfiguration.begin_transaction`` (``prefect.server.database.configurations``): the local server on
  SQLite begins its write transactions IMMEDIATE — why: ``runtime/prefect_server.py``.
- ``prefect.runner._starter_engine.run_process``: the runner's engine starts go through warm standbys —
  ``runtime/warm_start.py``.
- ``FlowRunEngine.handle_success`` / ``AsyncFlowRunEngine.handle_success`` (``prefect.flow_engine``): the CLI
  notes each flow body's result before Prefect's bookkeeping — ``runtime/committed.py``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from typing import Any

PREFECT_VERSION = "3.8.8"
IMMEDIATE_PATCHED = "_dabing_immediate"
SUCCESS_PATCHED = "_dabing_remembers"


def immediate_write_transactions() -> None:
    """Make the SQLite configuration begin every transaction it opens ``IMMEDIATE`` (idempotent)."""
    from prefect.server.database import configurations as conf

    cls = conf.AioSqliteConfiguration
    if getattr(cls, IMMEDIATE_PATCHED, False):
        return

    @asynccontextmanager
    async def begin_transaction(self: Any, session: Any, with_for_update: bool = False) -> AsyncGenerator[Any]:
        token = conf.SQLITE_BEGIN_MODE.set("IMMEDIATE")
        try:
            async with session.begin() as transaction:
                yield transaction
        finally:
            conf.SQLITE_BEGIN_MODE.reset(token)

    cls.begin_transaction = begin_transaction  # type: ignore[method-assign]
    setattr(cls, IMMEDIATE_PATCHED, True)


def on_flow_success(note: Callable[[Any, Any], None]) -> None:
    """Call ``note(engine, result)`` whenever Prefect's flow engine receives a flow body's result, before it
    reports the run to the API (idempotent: the first ``note`` stays)."""
    from prefect.flow_engine import AsyncFlowRunEngine, FlowRunEngine

    if getattr(FlowRunEngine, SUCCESS_PATCHED, False):
        return
    sync_success, async_success = FlowRunEngine.handle_success, AsyncFlowRunEngine.handle_success

    def handle_success(self: Any, result: Any) -> Any:
        note(self, result)
        return sync_success(self, result)

    async def handle_success_async(self: Any, result: Any) -> Any:
        note(self, result)
        return await async_success(self, result)

    FlowRunEngine.handle_success = handle_success  # type: ignore[method-assign]
    AsyncFlowRunEngine.handle_success = handle_success_async  # type: ignore[method-assign]
    setattr(FlowRunEngine, SUCCESS_PATCHED, True)


def runner_run_process() -> Any:
    """The function Prefect's runner starts each flow-run process with (``_starter_engine.run_process``)."""
    from prefect.runner import _starter_engine

    return getattr(_starter_engine, "run_process")  # noqa: B009 (not re-exported: mypy)


def route_runner_run_process(run_process: Any) -> None:
    """From now on the runner starts flow-run processes with ``run_process``."""
    from prefect.runner import _starter_engine

    setattr(_starter_engine, "run_process", run_process)  # noqa: B010
