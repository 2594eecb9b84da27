"""Every use of a Prefect private API, in one module, pinned to Prefect ``PREFECT_VERSION``
(``tests/runtime/test_prefect_internals.py`` fails when an upgrade moves one of them):

- ``AioSqliteConfiguration.begin_transaction`` (``prefect.server.database.configurations``): the local server on
  SQLite begins its write transactions IMMEDIATE — why: ``runtime/prefect_server.py``.
- ``prefect.runner._starter_engine.run_process``: the runner's engine starts go through warm standbys —
  ``runtime/warm_start.py``.
- ``FlowRunEngine.handle_success`` / ``AsyncFlowRunEngine.handle_success`` (``prefect.flow_engine``): the CLI
  notes each flow body's result before Prefect's bookkeeping — ``runtime/committed.py``.
- ``PrefectClient.__init__`` / ``SyncPrefectClient.__init__`` (``prefect.client.orchestration``): every client
  gets one shared TLS context instead of building its own — ``share_client_tls_context`` below.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from functools import lru_cache, wraps
from typing import Any

PREFECT_VERSION = "3.8.8"
IMMEDIATE_PATCHED = "_dabing_immediate"
SUCCESS_PATCHED = "_dabing_remembers"
TLS_PATCHED = "_dabing_shared_tls"


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


@lru_cache(maxsize=4)
def _tls_context(skip_verify: bool, cafile: str) -> ssl.SSLContext:
    """The context Prefect's client builds (``SyncPrefectClient.__init__``), built once per settings' values."""
    if skip_verify:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    return ssl.create_default_context(cafile=cafile)


def shared_tls_context() -> ssl.SSLContext:
    """The TLS context for the settings in force now (a test or a profile may change them)."""
    import certifi
    from prefect.settings import PREFECT_API_SSL_CERT_FILE, PREFECT_API_TLS_INSECURE_SKIP_VERIFY

    return _tls_context(
        bool(PREFECT_API_TLS_INSECURE_SKIP_VERIFY.value()), PREFECT_API_SSL_CERT_FILE.value() or certifi.where()
    )


def share_client_tls_context() -> None:
    """Give every Prefect API client one shared TLS context (idempotent). Prefect builds a new one in each
    client's ``__init__``: parsing certifi's CA bundle, ~22 ms of CPU here, and every task run opens two sync
    clients in its thread (a 1M nightly's ~110 task runs: ~5 s of CPU, a sixth of the night). A context built
    the same way, once per settings' values, is passed as the client's ``verify`` (an ``SSLContext`` is made to
    be shared between connections); a caller's own ``verify`` is kept, as Prefect keeps it."""
    from prefect.client.orchestration import PrefectClient, SyncPrefectClient

    if getattr(SyncPrefectClient, TLS_PATCHED, False):
        return
    for cls in (PrefectClient, SyncPrefectClient):
        original = cls.__init__

        @wraps(original)  # ``__wrapped__``: Prefect's own, for the pinning test
        def __init__(self: Any, api: Any, *args: Any, __original: Any = original, **kwargs: Any) -> None:
            settings = dict(kwargs.get("httpx_settings") or {})
            if "verify" not in settings:  # Prefect would build one (``setdefault``): give it the shared one
                settings["verify"] = shared_tls_context()
            kwargs["httpx_settings"] = settings
            __original(self, api, *args, **kwargs)

        cls.__init__ = __init__  # type: ignore[method-assign]
    setattr(SyncPrefectClient, TLS_PATCHED, True)


def runner_run_process() -> Any:
    """The function Prefect's runner starts each flow-run process with (``_starter_engine.run_process``)."""
    from prefect.runner import _starter_engine

    return getattr(_starter_engine, "run_process")  # noqa: B009 (not re-exported: mypy)


def route_runner_run_process(run_process: Any) -> None:
    """From now on the runner starts flow-run processes with ``run_process``."""
    from prefect.runner import _starter_engine

    setattr(_starter_engine, "run_process", run_process)  # noqa: B010
