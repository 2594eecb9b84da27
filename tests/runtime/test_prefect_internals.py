"""The Prefect private APIs runtime/prefect_internals.py patches exist as it expects, in the pinned version."""

from __future__ import annotations

import inspect
from importlib.metadata import version

import prefect
import pytest

from runtime import prefect_internals


def test_prefect_is_the_version_the_internals_are_pinned_to() -> None:
    assert prefect.__version__ == prefect_internals.PREFECT_VERSION == version("prefect")


def test_the_sqlite_configuration_still_has_the_transaction_hook_and_begin_mode() -> None:
    from prefect.server.database import configurations as conf

    hook = inspect.signature(conf.AioSqliteConfiguration.begin_transaction)
    assert list(hook.parameters) == ["self", "session", "with_for_update"]
    assert conf.SQLITE_BEGIN_MODE.get() in {None, "DEFERRED", "IMMEDIATE"}


def test_the_flow_engines_still_have_the_success_hook() -> None:
    from prefect.flow_engine import AsyncFlowRunEngine, FlowRunEngine

    for engine in (FlowRunEngine, AsyncFlowRunEngine):
        assert list(inspect.signature(engine.handle_success).parameters) == ["self", "result"]
    assert inspect.iscoroutinefunction(AsyncFlowRunEngine.handle_success)


def test_the_runner_still_starts_engines_through_its_module_level_run_process() -> None:
    from prefect.runner import _starter_engine

    assert callable(prefect_internals.runner_run_process())
    assert "run_process(" in inspect.getsource(_starter_engine.EngineCommandStarter.start)


def test_no_other_module_touches_a_prefect_private_name() -> None:
    """Private Prefect names (a ``_`` module or attribute) appear only in runtime/prefect_internals.py."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for pkg in ("cli", "runtime", "flows", "tasks", "models", "config", "bench"):
        for path in (root / pkg).rglob("*.py"):
            if path.name == "prefect_internals.py":
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                code = line.split("#")[0]
                if ("from prefect" in code or "import prefect" in code) and " _" in code.replace(".", " "):
                    offenders.append(f"{path.relative_to(root)}: {line.strip()}")
    assert not offenders, offenders


def test_prefects_clients_still_build_their_tls_context_only_when_given_none() -> None:
    """What share_client_tls_context relies on: each client's ``__init__`` builds a context and ``setdefault``s it
    as ``verify`` (a caller's own ``verify`` wins)."""
    from prefect.client.orchestration import PrefectClient, SyncPrefectClient

    for cls in (PrefectClient, SyncPrefectClient):
        source = inspect.getsource(getattr(cls.__init__, "__wrapped__", cls.__init__))
        assert 'httpx_settings.setdefault("verify", ctx)' in source
        assert "ssl.create_default_context(cafile=cert_file)" in source


def test_clients_share_one_verifying_tls_context_instead_of_parsing_the_ca_bundle_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ssl

    from prefect.client.orchestration import PrefectClient, SyncPrefectClient

    prefect_internals.share_client_tls_context()
    shared = prefect_internals.shared_tls_context()
    assert shared.verify_mode == ssl.CERT_REQUIRED and shared.check_hostname and shared.get_ca_certs()
    built: list[object] = []
    real = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context", lambda *a, **k: built.append(a or k) or real(*a, **k))
    for _ in range(3):
        SyncPrefectClient("http://127.0.0.1:1/api")
        PrefectClient("http://127.0.0.1:1/api")
    assert built == [], "every client reused the shared context"
    SyncPrefectClient("http://127.0.0.1:1/api", httpx_settings={"verify": real()})
    assert built == [], "a caller's own context is kept, none built"
