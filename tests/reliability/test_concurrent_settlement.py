"""No double settlement under concurrency (PostgreSQL, and SQLite where the file lock serialises writers).

Eight threads released together by a barrier, each with its own session through the task functions:
  * the same discharged case settled 8 times → one settlement, one audit row, the ledger charged once;
  * 8 different bills of one patient settled at once → every statement and the annual ledger equal the
    pure engine applied to the bills one after the other in commit order (annual deductible used once,
    critical-illness cap of 300,000 reached and never exceeded);
  * 8 overlapping bulk chunks over the same cases → the same, through the chunk path (no case lock);
  * one settlement reversed and re-settled by 8 callers at once (half reverse, half re-settle) → one reversal,
    at most one new generation, exactly one settlement in effect, and the ledger equal to that one alone.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError
from sqlmodel import col

from models.clinical import Case, CaseTransition
from models.errors import BadInput
from models.settlement.amounts import BillAmounts
from models.settlement.tables import Settlement
from tasks.settlement.reversal import resettle_stay, reverse_settlement
from tasks.settlement.settle import settle_case, settle_chunk
from tests.reliability.builders import (
    BILLS,
    bill_json,
    check_against_engine,
    count,
    discharged_cases,
    expected_by_engine,
    ledger_of,
)
from tests.reliability.conftest import FIGURES

THREADS = 8
ROUNDS = 3
#: every one may settle a 520527 patient (config/data/actors.yaml): the audit shows which attempt won
ACTORS = ("coordinator", "bijie-supervisor", "guizhou-supervisor", "system")


def _race(calls: list[Callable[[], Any]], retry_transient: bool) -> list[Any]:
    """Run the calls on one thread each, all released at once; returns results (or raised exceptions).
    ``retry_transient`` retries a lock/busy error as the task's Prefect retry policy would (SQLite)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        for attempt in range(4):
            try:
                results[i] = calls[i]()
                return
            except DBAPIError as exc:  # OperationalError: SQLite "database is locked"
                if not retry_transient or attempt == 3:
                    results[i] = exc
                    return
                FIGURES["settlement: transient retries"] += 1
            except Exception as exc:
                results[i] = exc
                return

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    FIGURES["settlement: concurrent attempts"] += len(calls)
    return results


def _same_case(tmp_path: Path, url: str, retry: bool) -> None:
    for r in range(ROUNDS):
        (case_id,) = discharged_cases(tmp_path, url, [BILLS[r]], seq=100 + r)
        before = ledger_of(url, case_id)
        results = _race(
            [lambda i=i, c=case_id: settle_case.fn(c, ACTORS[i % len(ACTORS)]) for i in range(THREADS)], retry
        )
        errors = [x for x in results if isinstance(x, Exception)]
        assert not errors, errors
        assert sum(o.changed for o in results) == 1, "exactly one attempt settles"
        assert {o.settlement_id for o in results} != {None}
        assert len({o.settlement_id for o in results}) == 1, "the others return the first settlement"
        assert count(url, Settlement, col(Settlement.case_id) == case_id) == 1
        moves = col(CaseTransition.case_id) == case_id, col(CaseTransition.to_state) == "settled"
        assert count(url, CaseTransition, *moves) == 1, "one audit row for the move"
        # the ledger grew by exactly one settlement's worth
        _, one = expected_by_engine(
            [
                {
                    **bill_json(url, case_id),
                    "prior_paid": {k.value: {"paid": str(p), "deductible": str(d)} for k, (p, d) in before.items()},
                }
            ]
        )
        after = ledger_of(url, case_id)
        for layer, (paid, ded) in one.items():
            assert after[layer][0] - before.get(layer, (Decimal(0), Decimal(0)))[0] == paid
            assert after[layer][1] - before.get(layer, (Decimal(0), Decimal(0)))[1] == ded


def _different_bills(tmp_path: Path, url: str, retry: bool) -> None:
    ids = discharged_cases(tmp_path, url, BILLS)
    results = _race([lambda c=c: settle_case.fn(c, "coordinator") for c in ids], retry)
    errors = [x for x in results if isinstance(x, Exception)]
    assert not errors, errors
    assert all(o.changed and o.state == "settled" for o in results)
    check_against_engine(url, ids)


def _overlapping_chunks(tmp_path: Path, url: str, retry: bool) -> None:
    ids = discharged_cases(tmp_path, url, BILLS, seq=90)
    rng = random.Random(6)
    chunks = [rng.sample(ids, len(ids)) for _ in range(THREADS)]
    results = _race([lambda c=c: settle_chunk.fn(c, "bulk") for c in chunks], retry)
    errors = [x for x in results if isinstance(x, Exception)]
    assert not errors, errors
    assert sum(r.moved for r in results) == len(ids), "each case moved by exactly one chunk"
    assert count(url, Case, col(Case.state) == "settled") == len(ids)
    check_against_engine(url, ids)


def _reverse_and_resettle(tmp_path: Path, url: str, retry: bool) -> None:
    from sqlalchemy.exc import IntegrityError

    (case_id,) = discharged_cases(tmp_path, url, [BILLS[7]], seq=110)
    first = settle_case.fn(case_id, "coordinator")
    assert first.settlement_id is not None
    episode = bill_json(url, case_id)  # the same stay, read back
    (episode_id,) = _episodes(url, case_id)
    corrected = BillAmounts.parse("9000.00", "100.00")
    calls: list[Callable[[], Any]] = [
        (lambda: reverse_settlement.fn(first.settlement_id, "coordinator", "冲销"))
        if i % 2
        else (lambda: resettle_stay.fn(episode_id, corrected, "coordinator", "金额更正"))
        for i in range(THREADS)
    ]
    results = _race(calls, retry)
    # a loser sees the winner's rows (a domain refusal) or collides on a unique constraint: never a second row
    wins = [r for r in results if not isinstance(r, Exception)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(x, BadInput | IntegrityError) for x in losses), losses
    assert count(url, Settlement, col(Settlement.reverses_id) == first.settlement_id) == 1, "one reversal"
    rows = _settlements(url, episode_id)
    effective = [r for r in rows if r[1] is not None and r[0] not in {x[2] for x in rows}]
    assert len(effective) <= 1, "at most one settlement in effect"
    generations = [r[1] for r in rows if r[1] is not None]
    assert len(generations) == len(set(generations))
    assert len(wins) >= 1
    ledger = ledger_of(url, case_id)
    if effective:  # the ledger holds the corrected bill alone
        _, one = expected_by_engine([{**episode, "total": "9000.00", "out_of_scope": "100.00"}])
        assert {k: v for k, v in ledger.items() if v != (Decimal(0), Decimal(0))} == {
            k: v for k, v in one.items() if v != (Decimal(0), Decimal(0))
        }
    else:
        assert all(paid == 0 and ded == 0 for paid, ded in ledger.values())
    FIGURES["reversal: concurrent attempts"] += len(calls)


def _episodes(url: str, case_id: int) -> list[int]:
    from sqlalchemy import select

    from models.care import TreatmentEpisode
    from tasks.infra.db import session_scope

    with session_scope(url) as s:
        return list(s.execute(select(TreatmentEpisode.id).where(TreatmentEpisode.case_id == case_id)).scalars())


def _settlements(url: str, episode_id: int) -> list[tuple[int, int | None, int | None]]:
    from sqlalchemy import select

    from tasks.infra.db import session_scope

    with session_scope(url) as s:
        q = select(Settlement.id, Settlement.generation, Settlement.reverses_id).where(
            Settlement.episode_id == episode_id
        )
        return [(a, b, c) for a, b, c in s.execute(q).tuples()]


@pytest.mark.postgres
def test_reverse_and_resettle_at_once_postgres(tmp_path: Path, pg_url: str) -> None:
    _reverse_and_resettle(tmp_path, pg_url, retry=False)


def test_reverse_and_resettle_at_once_sqlite(tmp_path: Path, db_url: str) -> None:
    _reverse_and_resettle(tmp_path, db_url, retry=True)


@pytest.mark.postgres
def test_same_case_eight_times_postgres(tmp_path: Path, pg_url: str) -> None:
    _same_case(tmp_path, pg_url, retry=False)


@pytest.mark.postgres
def test_eight_bills_of_one_patient_postgres(tmp_path: Path, pg_url: str) -> None:
    _different_bills(tmp_path, pg_url, retry=False)


@pytest.mark.postgres
def test_eight_overlapping_chunks_postgres(tmp_path: Path, pg_url: str) -> None:
    _overlapping_chunks(tmp_path, pg_url, retry=False)


def test_same_case_eight_times_sqlite(tmp_path: Path, db_url: str) -> None:
    _same_case(tmp_path, db_url, retry=True)


def test_eight_bills_of_one_patient_sqlite(tmp_path: Path, db_url: str) -> None:
    _different_bills(tmp_path, db_url, retry=True)


def test_eight_overlapping_chunks_sqlite(tmp_path: Path, db_url: str) -> None:
    _overlapping_chunks(tmp_path, db_url, retry=True)
