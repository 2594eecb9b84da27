"""The simulation's work, in worker processes: windows of patients read from the database by the worker that
prices them (``read.read_window``) → bills (built exactly as the settlement builds them) → re-settled under
each scenario → tallies per region, kept per worker and merged once by the caller."""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy.engine import Engine
from sqlmodel import Session

from config.policies import PolicyRegistry
from models.settlement.bill import BillError
from models.settlement.policy import PayerLayer, Policy
from models.settlement.stay_bill import bill_of
from models.simulation.core import Resolver, SimStay, Tally, resettle
from tasks.simulation.read import StayRow, Window, read_window, windows
from tasks.simulation.transfer import Sent, receive, send

#: proposal name → {region → tally}
Tallies = dict[str, dict[str, Tally]]
_LAYERS = {layer.value: layer for layer in PayerLayer}


class Scenarios:
    """The policies in force, and each proposal replacing the one in force for its region. Which policy a
    (region, date) gets is looked up once per worker (a year has a few thousand of them)."""

    def __init__(self, in_force: PolicyRegistry, proposals: dict[str, Policy], start: date) -> None:
        self.in_force, self.proposals, self.start = in_force, proposals, start
        self._found: dict[tuple[str, date], Policy | BillError] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_found": {}}  # each worker looks up its own (a BillError does not unpickle)

    def policy_on(self, region: str, on: date) -> Policy:
        """The policy in force (memoized, its BillError too: a region or date no policy covers)."""
        found = self._found.get((region, on))
        if found is None:
            try:
                found = self.in_force.in_force(region, on)
            except BillError as exc:
                found = exc
            self._found[(region, on)] = found
        if isinstance(found, BillError):
            raise found
        return found

    def resolver(self, name: str) -> Resolver:
        proposal = self.proposals[name]

        def resolve(region: str, on: date) -> Policy:
            return proposal if region == proposal.region else self.policy_on(region, on)

        return resolve


def _sim_stay(row: StayRow) -> SimStay:
    stay, facts, paid = row
    bill = bill_of(cast(Any, stay), facts)
    return SimStay(
        stay.settlement_id,
        stay.patient_id,
        stay.household_id,
        bill,
        {_LAYERS[k]: v for k, v in paid.items()},
        stay.patient_pays,
        stay.self_pay_ratio,
    )


def _priceable(scenarios: Scenarios, rows: list[StayRow]) -> tuple[list[SimStay], int]:
    """The rows' stays as bills, and how many cannot be priced (a bill or region no policy covers): those
    are counted in the report, never priced."""
    stays: list[SimStay] = []
    held = 0
    for row in rows:
        try:
            stay = _sim_stay(row)
            scenarios.policy_on(stay.bill.region, stay.bill.service_date)
        except BillError:
            held += 1
            continue
        stays.append(stay)
    return stays, held


def tally_rows(scenarios: Scenarios, rows: list[StayRow], into: Tallies) -> None:
    """Each proposal's tallies of whole patients' rows, added to ``into``; stays before ``scenarios.start``
    only feed the ledgers."""
    stays, held = _priceable(scenarios, rows)
    start = scenarios.start
    for name in scenarios.proposals:
        per_region = into.setdefault(name, {})
        for stay, priced in resettle(stays, scenarios.resolver(name)):
            bill = stay.bill
            if bill.service_date >= start:
                tally = per_region.get(bill.region)
                if tally is None:
                    tally = per_region[bill.region] = Tally()
                tally.add(stay, priced)
        if held:
            per_region.setdefault("", Tally()).held += held


def merge(into: Tallies, part: Tallies) -> None:
    for name, regions in part.items():
        for region, tally in regions.items():
            into.setdefault(name, {}).setdefault(region, Tally()).merge(tally)


@dataclass(frozen=True)
class Job:
    """What every worker needs: the scenarios, where to read and what (the period read, ``scenarios.start``
    on, is tallied), and the windows of patients."""

    scenarios: Scenarios
    url: str
    region: str | None
    start: date
    end: date
    windows: list[Window]


def _take(job: Job, engine: Engine, next_window: Callable[[], int]) -> Tallies:
    """Windows taken one at a time until none is left, each read and priced here; one tally per worker."""
    out: Tallies = {}
    # The tallies grow to millions of tuples, which the cyclic GC would walk again and again (measured: a sixth
    # of the time at 200k stays); nothing here makes reference cycles, so it is paused while the windows are
    # priced (what little cyclic garbage the reads leave is collected once it runs again).
    paused = gc.isenabled()
    gc.disable()
    try:
        with Session(engine) as session:
            while (i := next_window()) < len(job.windows):
                tally_rows(job.scenarios, read_window(session, job.region, job.start, job.end, job.windows[i]), out)
                session.rollback()  # end the read transaction between windows (SQLite: lets the WAL checkpoint)
    finally:
        if paused:
            gc.enable()
    return out


_worker: tuple[Job, Any] | None = None


def _start(job: Job, counter: Any) -> None:
    global _worker
    _worker = (job, counter)


def _next_window() -> int:
    assert _worker is not None
    counter = _worker[1]
    with counter.get_lock():
        i: int = counter.value
        counter.value = i + 1
    return i


def _work(_: int) -> Sent:
    from tasks.infra.db import get_engine

    assert _worker is not None
    engine = get_engine(_worker[0].url)
    try:
        return send(_take(_worker[0], engine, _next_window))
    finally:
        engine.dispose()


def run_job(job: Job, workers: int) -> Tallies:
    """All windows' tallies merged; ``workers`` processes (1: in this process) taking windows from a shared
    counter as they finish one (a slowed worker takes fewer), each reading its own rows and keeping one
    tally; the caller merges one tally per worker."""
    from tasks.infra.db import get_engine

    if workers <= 1:
        taken = iter(range(len(job.windows) + 1))
        return _take(job, get_engine(job.url), lambda: next(taken))
    ctx = multiprocessing.get_context("spawn")
    counter = ctx.Value("q", 0)
    total: Tallies = {}
    # an executor, not ``Pool``: leaving ``with Pool`` calls ``terminate()``, which can wait forever on
    # the task-queue lock an idle worker holds (see models/settlement/reconcile_pool.py)
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_start, initargs=(job, counter)) as pool:
        for part in as_completed([pool.submit(_work, i) for i in range(workers)]):
            merge(total, receive(part.result()))
    return total


def simulate_stays(
    scenarios: Scenarios, url: str, region: str | None, start: date, end: date, workers: int, width: int | None = None
) -> Tallies:
    """Every settled stay from ``start`` to ``end`` of the database at ``url`` (in ``region``) re-settled under
    each proposal, tallied from ``scenarios.start`` on."""
    from tasks.infra.db import get_engine

    with Session(get_engine(url)) as session:
        cut = windows(session) if width is None else windows(session, width)
    return run_job(Job(scenarios, url, region, start, end, cut), workers)
