"""Generated recorded settlements in the 2207 layout (``models/settlement/nhsa2207.py``), settled by our own
engine so they agree with the policy, with discrepancies planted on chosen lines (tests and the bench)."""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from config.policies import load_policies
from models.enums import CareSetting, HospitalLevel, HospitalLocation, PovertyStatus
from models.settlement.bill import Bill, PatientFacts
from models.settlement.engine import settle
from models.settlement.nhsa2207_render import csv_columns, dumps, render_2207, to_csv_row

REGIONS = ("520527", "530427")
GROUPS = ((), ("severe_illness",), ("severely_disabled",), ("entitled_veteran",))
HOSPITALS = tuple(f"H52052700{i:02d}" for i in range(40))
Plant = Callable[[dict[str, Any]], None]


def _shift(record: dict[str, Any], field: str, by: str) -> None:
    record[field] = str(Decimal(record[field]) + Decimal(by))


def plant_layer(record: dict[str, Any]) -> None:
    """Up to 100.00 moved between basic insurance and the patient, consistently (fund sum and detail follow):
    only the layer differs from the policy."""
    basic, patient = Decimal(record["hifp_pay"]), Decimal(record["psn_cash_pay"])
    shift = -min(Decimal(100), basic) if basic else min(Decimal(100), patient)
    if not shift:
        raise ValueError("nothing to move between basic insurance and the patient")
    for field in ("hifp_pay", "fund_pay_sumamt"):
        _shift(record, field, str(shift))
    _shift(record, "psn_cash_pay", str(-shift))
    record["setldetail"] = [d for d in record["setldetail"] if d["fund_pay_type"] != "390100"]
    record["setldetail"].append({"fund_pay_type": "390100", "fund_payamt": record["hifp_pay"]})


def plant_total(record: dict[str, Any]) -> None:
    """The patient's share 3,000.00 too high: layers + patient no longer add up to the total (徐飞)."""
    _shift(record, "psn_cash_pay", "3000.00")


def plant_scope(record: dict[str, Any]) -> None:
    """In-scope 0.40 short (徐飞)."""
    if Decimal(record["inscp_scp_amt"]) < 1:
        _shift(record, "inscp_scp_amt", "0.40")
    else:
        _shift(record, "inscp_scp_amt", "-0.40")


def plant_region(record: dict[str, Any]) -> None:
    """A region without a policy (乌兰察布/集宁)."""
    record["region"] = "150902"


PLANTS: dict[str, Plant] = {
    "layer_differs": plant_layer,
    "layers_do_not_add_up": plant_total,
    "scope_does_not_add_up": plant_scope,
    "no_policy": plant_region,
}


def bills(n: int, seed: int = 1) -> Iterator[Bill]:
    rng = random.Random(seed)
    levels, locations, statuses = list(HospitalLevel), list(HospitalLocation), list(PovertyStatus)
    facts = {
        (s, a, g): PatientFacts(poverty_status=s, age=a, groups=frozenset(g))
        for s in statuses
        for a in (5, 40, 70, 85)
        for g in GROUPS
    }
    keys = list(facts)
    start = date(2017, 3, 1)
    for _ in range(n):
        total = rng.randint(5_000, 20_000_000)
        yield Bill.from_record(
            region=rng.choice(REGIONS),
            service_date=start + timedelta(days=rng.randint(0, 300)),
            setting=CareSetting.INPATIENT if rng.random() < 0.9 else CareSetting.OUTPATIENT,
            hospital_level=rng.choice(levels),
            hospital_location=rng.choice(locations),
            patient=facts[rng.choice(keys)],
            total=Decimal(total) / 100,
            out_of_scope=Decimal(rng.randint(0, total // 10)) / 100,
            sessions=0,
            prior_paid={},
        )


def records(n: int, seed: int = 1, plants: dict[int, str] | None = None) -> Iterator[dict[str, Any]]:
    """``n`` records agreeing with the policy; ``plants`` maps a 0-based index to a ``PLANTS`` key."""
    policies, plants = load_policies(), plants or {}
    for i, bill in enumerate(bills(n, seed)):
        statement, _ = settle(bill, policies.in_force(bill.region, bill.service_date))
        record = render_2207(statement, bill, f"S{i:08d}", HOSPITALS[i % len(HOSPITALS)])
        if i in plants:
            PLANTS[plants[i]](record)
        yield record


def write(out: TextIO, fmt: str, rows: Iterator[dict[str, Any]]) -> int:
    """Write records as JSON lines (``fmt="jsonl"``) or CSV; returns how many."""
    count = 0
    writer = csv.DictWriter(out, fieldnames=csv_columns(), lineterminator="\n") if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    for record in rows:
        if writer is not None:
            writer.writerow(to_csv_row(record))
        else:
            out.write(dumps(record) + "\n")
        count += 1
    return count


def write_file(path: Path, n: int, seed: int = 1, plants: dict[int, str] | None = None) -> Path:
    """A file of ``n`` records (format from the suffix: .csv or .jsonl)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as out:
        write(out, "csv" if path.suffix == ".csv" else "jsonl", records(n, seed, plants))
    return path
