"""The Prefect private APIs runtime/prefect_internals.py patches exist as it expects, in the pinned version."""

from __future__ import annotations

import inspect
from importlib.metadata import version

import prefect

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
