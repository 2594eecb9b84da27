"""Reconciliation on several processes: chunks of records go to worker processes, each with its own
``Reconciler``; their discrepancies come back in file order and their summaries are merged. At most
2 chunks per worker are in flight, so memory stays flat however large the file."""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import Any

from models.errors import BadInput
from models.settlement.reconcile import Discrepancy, Policies, Reconciler, Summary, jsonl_records

CHUNK = 4000
#: a chunk: JSON-lines text with its first line number, or already-read (line, record) pairs (CSV)
Chunk = tuple[int, list[str]] | list[tuple[int, dict[str, Any]]]
Result = tuple[list[Discrepancy], Summary] | tuple[str, str]

_worker: Reconciler | None = None


def _start(policies: Policies) -> None:
    global _worker
    _worker = Reconciler(policies)


def _check(chunk: Chunk) -> Result:
    assert _worker is not None
    _worker.summary = Summary()
    records = jsonl_records(chunk[1], start=chunk[0]) if isinstance(chunk, tuple) else chunk
    try:
        return list(_worker.run(records)), _worker.summary
    except BadInput as exc:  # its own arguments do not survive pickling: send field and reason
        return exc.field, exc.reason


def jsonl_chunks(lines: Iterable[str], size: int = CHUNK) -> Iterator[Chunk]:
    it, start = iter(lines), 1
    while chunk := list(islice(it, size)):
        yield start, chunk
        start += len(chunk)


def record_chunks(records: Iterable[tuple[int, dict[str, Any]]], size: int = CHUNK) -> Iterator[Chunk]:
    it = iter(records)
    while chunk := list(islice(it, size)):
        yield chunk


class PoolReconciler:
    """``Reconciler.run`` over ``workers`` processes; ``summary`` holds the merged totals."""

    def __init__(self, policies: Policies, workers: int) -> None:
        self.policies, self.workers = policies, workers
        self.summary = Summary()

    def run(self, chunks: Iterable[Chunk]) -> Iterator[Discrepancy]:
        # spawn: no forked copy of the caller's threads and handles. An executor, not ``Pool``: leaving
        # ``with Pool`` on an error calls ``terminate()``, which can wait forever on the task-queue lock
        # an idle worker holds (it hung CI; a loop here hung on its 22nd run); the executor cancels what is
        # queued and joins.
        ctx = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_start, initargs=(self.policies,))
        try:
            pending: deque[Future[Result]] = deque()
            for chunk in chunks:
                pending.append(pool.submit(_check, chunk))
                if len(pending) >= 2 * self.workers:
                    yield from self._take(pending.popleft().result())
            while pending:
                yield from self._take(pending.popleft().result())
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _take(self, result: Result) -> list[Discrepancy]:
        found, summary = result
        if isinstance(found, str):
            raise BadInput(found, str(summary))
        assert isinstance(summary, Summary)
        self.summary.merge(summary)
        return found
