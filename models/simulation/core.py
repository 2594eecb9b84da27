"""Policy impact simulation (政策测算), pure: re-settle stored stays under a proposed policy with their own
annual ledgers, beside what was actually settled, and tally the differences.

A stay arrives with the bill exactly as the settlement built it (``prior_paid`` empty) and what the
stored settlement paid. Stays come grouped by patient, in service-date order (the settlement's own order),
so each patient's year ledger is rebuilt here from nothing, as the settlement built it. Nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple, TypeVar

from models.common import ZERO
from models.enums import CareSetting, HospitalLocation, PovertyStatus
from models.settlement.bill import Bill, PriorUse
from models.settlement.engine import SELF_PAY_LIMIT, amounts
from models.settlement.ledger import apply_statement
from models.settlement.policy import PayerLayer, Policy
from models.summary import BINS, ratio_bin

#: (region, service date) → the policy a scenario settles with.
Resolver = Callable[[str, date], Policy]


class SimStay(NamedTuple):
    """One stored, settled stay: its bill (unpriced) and what its settlement actually paid (a NamedTuple: one
    per stay, ~5x cheaper to build than a frozen dataclass)."""

    stay_id: int
    patient_id: int
    household_id: int
    bill: Bill
    paid: dict[PayerLayer, Decimal]
    patient_pays: Decimal
    self_pay_ratio: Decimal


class Priced(NamedTuple):
    """One stay under one scenario: what each layer pays and what the patient pays."""

    paid: dict[PayerLayer, Decimal]
    patient_pays: Decimal
    self_pay_ratio: Decimal


def resettle(stays: Iterable[SimStay], resolve: Resolver) -> Iterator[tuple[SimStay, Priced]]:
    """Each stay priced under ``resolve``'s policy, with the patient's own ledger per year (stays of one
    patient must be consecutive and in service-date order). The engine's ``amounts``: the settlement's own
    arithmetic, without the statement around it."""
    stays = stays if isinstance(stays, list) else list(stays)
    years: dict[tuple[int, int], dict[PayerLayer, PriorUse]] = {}
    current = None
    for i, stay in enumerate(stays, 1):
        if stay.patient_id != current:
            years.clear()  # a new patient: nobody else's ledger is needed again
            current = stay.patient_id
        bill = stay.bill
        key = (stay.patient_id, bill.service_date.year)
        prior = years.get(key, _EMPTY)
        rows, deltas, patient_pays, ratio = amounts(bill, resolve(bill.region, bill.service_date), prior)
        if i < len(stays) and stays[i].patient_id == current:  # the ledger is read again only by their next stay
            years[key] = apply_statement(prior, deltas)
        yield stay, Priced({row[0].payer: row[3] for row in rows}, patient_pays, ratio)


_EMPTY: dict[PayerLayer, PriorUse] = {}
#: (hospital level, location) → the ``by_place`` key ("level/location")
_PLACES: dict[tuple[str, str], str] = {}


def _place(bill: Bill) -> str:
    key = (bill.hospital_level, bill.hospital_location)
    found = _PLACES.get(key)
    if found is None:
        found = _PLACES[key] = f"{bill.hospital_level.value}/{bill.hospital_location.value}"
    return found


def _in_target(bill: Bill) -> bool:
    """Whether the bill counts against the in-county target (in-county inpatient)."""
    return bill.setting == CareSetting.INPATIENT and bill.hospital_location == HospitalLocation.IN_COUNTY


def _add(into: dict[str, Decimal], key: str, value: Decimal) -> None:
    into[key] = into.get(key, ZERO) + value


#: self-pay ratio → its histogram bin (a ratio has 4 places: at most 10,001 of them)
_BIN_OF: dict[Decimal, int] = {}
#: a layer's ``layers`` key (its value: a plain str, so reports and fingerprints read the same)
_LAYER_KEY = {layer: layer.value for layer in PayerLayer}


@dataclass
class Side:
    """One scenario's totals: per layer, per hospital level × location, self-pay and its histogram."""

    layers: dict[str, Decimal] = field(default_factory=dict)
    by_place: dict[str, Decimal] = field(default_factory=dict)
    patient_pays: Decimal = ZERO
    bins: list[int] = field(default_factory=lambda: [0] * BINS)
    in_county_inpatient: int = 0
    over_target: int = 0

    def add(self, bill: Bill, paid: dict[PayerLayer, Decimal], patient_pays: Decimal, ratio: Decimal) -> None:
        self.add_at(_place(bill), _in_target(bill), paid, patient_pays, ratio)

    def add_at(
        self, place: str, in_target: bool, paid: dict[PayerLayer, Decimal], patient_pays: Decimal, ratio: Decimal
    ) -> None:
        """``add`` with the bill's place key and whether it counts against the in-county target worked out."""
        layers, by_place = self.layers, self.by_place
        for layer, amount in paid.items():
            key = _LAYER_KEY[layer]
            layers[key] = layers.get(key, ZERO) + amount
            by_place[place] = by_place.get(place, ZERO) + amount
        self.patient_pays += patient_pays
        b = _BIN_OF.get(ratio)
        if b is None:
            b = _BIN_OF[ratio] = ratio_bin(ratio)
        self.bins[b] += 1
        if in_target:
            self.in_county_inpatient += 1
            self.over_target += ratio > SELF_PAY_LIMIT

    def merge(self, other: Side) -> None:
        for key, value in other.layers.items():
            _add(self.layers, key, value)
        for key, value in other.by_place.items():
            _add(self.by_place, key, value)
        self.patient_pays += other.patient_pays
        self.bins = [a + b for a, b in zip(self.bins, other.bins, strict=True)]
        self.in_county_inpatient += other.in_county_inpatient
        self.over_target += other.over_target


@dataclass
class Tally:
    """A simulation's result for one region (or all): today beside the proposal, and per patient the change
    in what they pay (internal ids only). Tallies of patient chunks merge (process-parallel runs)."""

    stays: int = 0
    #: stored stays that could not be priced (no policy covers their region and date)
    held: int = 0
    today: Side = field(default_factory=Side)
    proposed: Side = field(default_factory=Side)
    #: patient id → (what they paid, what they would pay)
    patients: dict[int, tuple[Decimal, Decimal]] = field(default_factory=dict)
    #: (household id, year, region, status) → (self-pay today, proposed) for the return-to-poverty check
    households: dict[tuple[int, int, str, PovertyStatus], tuple[Decimal, Decimal]] = field(default_factory=dict)

    def add(self, stay: SimStay, priced: Priced) -> None:
        bill = stay.bill
        place, in_target = _place(bill), _in_target(bill)
        self.stays += 1
        self.today.add_at(place, in_target, stay.paid, stay.patient_pays, stay.self_pay_ratio)
        self.proposed.add_at(place, in_target, priced.paid, priced.patient_pays, priced.self_pay_ratio)
        pays, now = stay.patient_pays, priced.patient_pays
        found = self.patients.get(stay.patient_id)
        self.patients[stay.patient_id] = (found[0] + pays, found[1] + now) if found else (ZERO + pays, ZERO + now)
        hkey = (stay.household_id, bill.service_date.year, bill.region, bill.patient.poverty_status)
        found = self.households.get(hkey)
        self.households[hkey] = (found[0] + pays, found[1] + now) if found else (ZERO + pays, ZERO + now)

    def merge(self, other: Tally) -> None:
        self.stays += other.stays
        self.held += other.held
        self.today.merge(other.today)
        self.proposed.merge(other.proposed)
        _merge_pairs(self.patients, other.patients)
        _merge_pairs(self.households, other.households)

    def changes(self) -> tuple[int, int, list[tuple[int, Decimal]]]:
        """(patients paying more, paying less, the 10 largest increases as (patient id, increase))."""
        deltas = [(pid, now - was) for pid, (was, now) in self.patients.items()]
        more = sorted((d for d in deltas if d[1] > 0), key=lambda d: (-d[1], d[0]))
        return len(more), sum(1 for d in deltas if d[1] < 0), more[:10]


K = TypeVar("K")


def _merge_pairs(into: dict[K, tuple[Decimal, Decimal]], other: dict[K, tuple[Decimal, Decimal]]) -> None:
    """Pairs of sums added key by key: the keys in both summed, the others taken as they are (workers' tallies
    share few keys: their patients are distinct)."""
    both = {k: (into[k][0] + other[k][0], into[k][1] + other[k][1]) for k in other.keys() & into.keys()}
    into.update(other)
    into.update(both)


def simulate(stays: Iterable[SimStay], resolve: Resolver, region_of: Callable[[SimStay], str]) -> dict[str, Tally]:
    """Tallies per region (``region_of`` picks the key, e.g. the county) for stays priced under ``resolve``."""
    out: dict[str, Tally] = {}
    for stay, priced in resettle(stays, resolve):
        out.setdefault(region_of(stay), Tally()).add(stay, priced)
    return out


#: (region, the household's status, year) → the household-year self-pay above which a return-to-poverty
#: alarm opens, or None where no rule covers it (the nightly job's rule, ``models.nightly``).
AlarmLimit = Callable[[str, PovertyStatus, int], Decimal | None]


def alarm_changes(tally: Tally, limit: AlarmLimit) -> tuple[int, int]:
    """(alarms that would open, alarms that would close) under the proposal: households whose year's
    self-pay crosses its limit one way or the other."""
    opened = closed = 0
    for (_, year, region, status), (was, now) in tally.households.items():
        bound = limit(region, status, year)
        if bound is None:
            continue
        opened += was <= bound < now
        closed += now <= bound < was
    return opened, closed
