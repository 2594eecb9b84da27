"""The nightly flow's thread pool takes DABING_NIGHTLY_WORKERS when a run starts, not when the module is imported."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import prefect.flow_engine
import pytest
from prefect.task_runners import ThreadPoolTaskRunner

from config.settings import get_settings
from flows.nightly import nightly_adjustment


@pytest.fixture()
def workers(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    yield monkeypatch
    get_settings.cache_clear()


def _pool_of_a_run() -> int:
    pool = nightly_adjustment.task_runner.duplicate()
    assert isinstance(pool, ThreadPoolTaskRunner)
    return int(pool._max_workers)


def test_each_run_sizes_its_pool_from_the_settings_of_that_moment(workers: pytest.MonkeyPatch) -> None:
    for n in (3, 5):  # the module was imported once, before either value was set
        workers.setenv("DABING_NIGHTLY_WORKERS", str(n))
        get_settings.cache_clear()
        assert _pool_of_a_run() == n


def test_prefects_engine_takes_each_runs_task_runner_from_duplicate() -> None:
    """What the pool relies on (pinned prefect 3.8.8): sync and async flow runs enter ``duplicate()``."""
    source = inspect.getsource(prefect.flow_engine)
    assert source.count("self.flow.task_runner.duplicate()") >= 2
