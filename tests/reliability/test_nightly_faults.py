"""The nightly run killed at random points, resumed until it finishes, equals a clean run.

A seeded injector "kills the process" (raises a BaseException, so no ``except Exception`` in the code
can swallow it) at random calls of five hook points: after a finding insert (mid-transaction), after a
re-triage move (mid-transaction), just before a chunk commits, after the end-of-run snapshot, and right
after a commit (the acknowledgement lost). Each kill rolls back the open transaction, as a dead process
would; the run is then restarted from the top, as the scheduler would. The final database — findings,
per-region snapshots, case states and the audit — must equal a run without faults on a second database.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tasks.nightly import checks as nightly_sql
from tasks.nightly import run as nightly
from tests.reliability.conftest import FIGURES
from tests.reliability.nightly_world import build, clean_outcome, outcome, run_night

SEEDS = (1, 2, 3)


class Killed(BaseException):
    """The process died here."""


class Injector:
    def __init__(self, seed: int, p: float) -> None:
        self.rng, self.p, self.points = random.Random(seed), p, Counter[str]()

    def maybe(self, point: str) -> None:
        if self.rng.random() < self.p:
            self.points[point] += 1
            raise Killed(point)

    def after(self, point: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            out = fn(*args, **kwargs)
            self.maybe(point)
            return out

        return wrapped


def install(monkeypatch: pytest.MonkeyPatch, inj: Injector) -> None:
    real_scope = nightly.session_scope

    @contextmanager
    def scope(url: str | None = None) -> Iterator[Any]:
        with real_scope(url) as s:
            yield s
        inj.maybe("after_commit")

    hook = partial(nightly.assess, before_commit=lambda stage, lo: inj.maybe("before_chunk_commit"))
    monkeypatch.setattr(nightly, "assess", hook)
    monkeypatch.setattr(nightly, "add_found", inj.after("after_append", nightly.add_found))
    monkeypatch.setattr(nightly_sql, "insert_found", inj.after("after_insert", nightly_sql.insert_found))
    monkeypatch.setattr(nightly, "open_new", inj.after("after_open", nightly.open_new))
    monkeypatch.setattr(nightly, "write_phase", inj.after("after_read_phase", nightly.write_phase))
    monkeypatch.setattr(nightly, "move_case", inj.after("after_move", nightly.move_case))
    monkeypatch.setattr(nightly, "snapshot", inj.after("after_snapshot", nightly.snapshot))
    monkeypatch.setattr(nightly, "session_scope", scope)


def _killed_and_resumed(seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = clean_outcome(tmp_path, monkeypatch)
    assert len(expected["findings"]) > 50 and any(a[4].startswith("re-triaged") for a in expected["audit"])
    build()
    inj = Injector(seed, p=0.08)
    with monkeypatch.context() as m:
        install(m, inj)
        for restarts in range(300):  # noqa: B007 (counted below)
            try:
                run_night()
                break
            except Killed:
                continue
        else:
            pytest.fail("the run never finished")
    injected = sum(inj.points.values())
    assert injected >= 5, f"seed {seed}: only {injected} faults injected"
    FIGURES["nightly: faults injected"] += injected
    FIGURES["nightly: restarts"] += restarts
    for point, n in inj.points.items():
        FIGURES[f"nightly: faults at {point}"] += n
    got = outcome()
    assert got == expected
    assert run_night() and outcome() == expected, "a finished night re-run changes nothing"


@pytest.mark.parametrize("seed", SEEDS)
def test_killed_nightly_resumes_to_the_clean_result_sqlite(
    seed: int, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _killed_and_resumed(seed, tmp_path, monkeypatch)


@pytest.mark.postgres
@pytest.mark.parametrize("seed", SEEDS)
def test_killed_nightly_resumes_to_the_clean_result_postgres(
    seed: int, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _killed_and_resumed(seed, tmp_path, monkeypatch)
