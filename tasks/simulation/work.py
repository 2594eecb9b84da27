"""The simulation's CPU part, run in worker processes: chunks of stored stays → bills (built exactly as the
settlement builds them) → re-settled under each scenario → tallies per region, merged by the caller."""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from multiprocessing.pool import AsyncResult
from typing import Any, cast

from config.policies import PolicyRegistry
from models.enums import PovertyStatus
from models.settlement.bill import BillError
from models.settlement.policy import PayerLayer, Policy
from models.settlement.stay_bill import bill_of
from models.simulation.core import SimStay, Tally, resettle
from tasks.simulation.read import ChunkRow

#: proposal name → {region → tally}
Tallies = dict[str, dict[str, Tally]]


class Scenarios:
    """The policies in force, and each proposal replacing the one in force for its region."""

    def __init__(self, in_force: PolicyRegistry, proposals: dict[str, Policy], start: date) -> None:
        self.in_force, self.proposals, self.start = in_force, proposals, start

    def resolver(self, name: str) -> Callable[[str, date], Policy]:
        proposal = self.proposals[name]

        def resolve(region: str, on: date) -> Policy:
            return proposal if region == proposal.region else self.in_force.in_force(region, on)

        return resolve


def _sim_stay(row: ChunkRow) -> SimStay:
    stay, (status, groups), paid = row
    bill = bill_of(cast(Any, stay), (PovertyStatus(status), groups))
    return SimStay(
        stay.settlement_id,
        stay.patient_id,
        stay.household_id,
        bill,
        {PayerLayer(k): Decimal(v) for k, v in paid.items()},
        Decimal(stay.patient_pays),
        Decimal(stay.self_pay_ratio),
    )


def _priceable(scenarios: Scenarios, chunk: list[ChunkRow]) -> tuple[list[SimStay], int]:
    """The chunk's stays as bills, and how many cannot be priced (a bill or region no policy covers): those
    are counted in the report, never priced."""
    stays: list[SimStay] = []
    held = 0
    for row in chunk:
        try:
            stay = _sim_stay(row)
            scenarios.in_force.in_force(stay.bill.region, stay.bill.service_date)
        except BillError:
            held += 1
            continue
        stays.append(stay)
    return stays, held


def tally_chunk(scenarios: Scenarios, chunk: list[ChunkRow]) -> Tallies:
    """Each proposal's tallies for one chunk; stays before ``scenarios.start`` only feed the ledgers."""
    stays, held = _priceable(scenarios, chunk)
    out: Tallies = {}
    for name in scenarios.proposals:
        per_region: dict[str, Tally] = {}
        for stay, priced in resettle(stays, scenarios.resolver(name)):
            if stay.bill.service_date >= scenarios.start:
                per_region.setdefault(stay.bill.region, Tally()).add(stay, priced)
        if held:
            per_region.setdefault("", Tally()).held += held
        out[name] = per_region
    return out


def merge(into: Tallies, part: Tallies) -> None:
    for name, regions in part.items():
        for region, tally in regions.items():
            into.setdefault(name, {}).setdefault(region, Tally()).merge(tally)


_worker: Scenarios | None = None


def _start(scenarios: Scenarios) -> None:
    global _worker
    _worker = scenarios


def _run(chunk: list[ChunkRow]) -> Tallies:
    assert _worker is not None
    return tally_chunk(_worker, chunk)


def run_chunks(scenarios: Scenarios, chunks: Iterable[list[ChunkRow]], workers: int) -> Tallies:
    """All chunks' tallies merged; ``workers`` processes (1: in this process). At most two chunks per worker
    are in flight, so memory stays flat however many stays there are."""
    total: Tallies = {}
    if workers <= 1:
        for chunk in chunks:
            merge(total, tally_chunk(scenarios, chunk))
        return total
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers, initializer=_start, initargs=(scenarios,)) as pool:
        pending: deque[AsyncResult[Tallies]] = deque()
        for chunk in chunks:
            pending.append(pool.apply_async(_run, (chunk,)))
            if len(pending) >= 2 * workers:
                merge(total, pending.popleft().get())
        while pending:
            merge(total, pending.popleft().get())
    return total
