"""Seedable synthetic province cohort for the nightly benchmark: households, patients, conditions, cases in
a realistic mix of states, treatment episodes with settlements, follow-ups, family-doctor contracts and an
external poverty list. Written straight to the tables with the bulk appender (1M patients in well under a
minute on SQLite), never through the pathway — the pathway has its own tests.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from config.catalogue import load_catalogue, load_regions
from config.identity import identity_keys
from models.care import Hospital
from models.common import FEN, RATIO_PLACES
from models.enums import CaseState, PovertyStatus
from models.identity import protect
from tasks.infra.bulkwrite import append_rows
from tasks.infra.db import session_scope
from tasks.infra.setup import init_db
from tasks.pathway.hospitals import sync_hospitals

NIGHT = date(2017, 12, 1)
STATUS_MIX = [
    (PovertyStatus.REGISTERED_POOR, 40),
    (PovertyStatus.MONITORED, 10),
    (PovertyStatus.EDGE, 10),
    (PovertyStatus.MINIMUM_LIVING, 10),
    (PovertyStatus.DESTITUTE, 5),
    (PovertyStatus.GENERAL, 25),
]
STATE_MIX = [
    (CaseState.SCREENED, 3),
    (CaseState.CONFIRMED, 2),
    (CaseState.TRIAGED, 6),
    (CaseState.REFERRED, 3),
    (CaseState.IN_TREATMENT, 3),
    (CaseState.DISCHARGED, 1),
    (CaseState.SETTLED, 1),
    (CaseState.CURED, 18),
    (CaseState.UNDER_MAINTENANCE, 20),
    (CaseState.UNDER_MANAGEMENT, 39),
    (CaseState.CLOSED, 4),
]
TREATED = {CaseState.DISCHARGED, CaseState.SETTLED, CaseState.CURED, CaseState.UNDER_MAINTENANCE}
FOLLOWED = {CaseState.UNDER_MAINTENANCE, CaseState.UNDER_MANAGEMENT}
BATCH = 100_000


def _pick(rng: random.Random, mix: list[tuple[Any, int]]) -> Any:
    return rng.choices([m for m, _ in mix], weights=[w for _, w in mix])[0]


def _at(d: date) -> datetime:
    return datetime.combine(d, time(9, 0), tzinfo=UTC)


def _flush(buffers: dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]], force: bool = False) -> None:
    """Writes every buffer (in foreign-key order) once any of them is full."""
    if not force and all(len(rows) < BATCH for _, rows in buffers.values()):
        return
    for table, (cols, rows) in buffers.items():
        if rows:
            with session_scope() as s:
                append_rows(s, table, cols, rows)
            rows.clear()


def build_cohort(
    patients: int, seed: int = 11, night: date = NIGHT, regions: list[str] | None = None
) -> dict[str, int]:
    """Creates the schema and ``patients`` patients (ids 1..n) in ~patients/2.5 households (in ``regions``,
    default every region)."""
    init_db()
    with session_scope() as s:
        sync_hospitals(s)
    with session_scope() as s:
        hospitals = list(s.execute(select(col(Hospital.id))).scalars())
    rng = random.Random(seed)
    catalogue = load_catalogue()
    diseases = [d for d in catalogue.diseases]
    regions = regions or [r.code for r in load_regions().regions]
    now = _at(night)
    cols = {
        "household": ("id", "ref", "region_code", "poverty_status", "created_at"),
        "patient": ("id", "household_id", "national_id_hash", "national_id_sealed", "name_sealed", "region_code",
                    "poverty_status", "sex", "birth_date", "created_at"),
        "condition": ("id", "patient_id", "icd10", "status", "confirmed_on", "updated_at"),
        "case": ("id", "patient_id", "condition_id", "region_code", "state", "disease_code", "category",
                 "state_reason", "hospital_id", "green_channel", "catalogue_version", "triaged_at",
                 "state_changed_at", "created_at"),
        "treatment_episode": ("id", "case_id", "patient_id", "hospital_id", "icd10", "setting", "admitted_on",
                              "discharged_on", "sessions", "total_cost", "out_of_scope"),
        "settlement": ("episode_id", "case_id", "patient_id", "policy_id", "service_date", "total", "in_scope",
                       "patient_pays", "self_pay_ratio", "flags", "settled_at", "actor"),
        "follow_up": ("case_id", "followed_on", "actor", "outcome", "created_at"),
        "family_doctor_contract": ("patient_id", "doctor_ref", "signed_on", "expires_on"),
        "external_status": ("patient_id", "source", "list_date", "poverty_status"),
    }  # fmt: skip
    buffers: dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]] = {t: (c, []) for t, c in cols.items()}
    counts = dict.fromkeys(cols, 0)

    def add(table: str, row: tuple[Any, ...]) -> None:
        buffers[table][1].append(row)
        counts[table] += 1

    keys = identity_keys()  # identity hashed and sealed as the intake does (~5 µs a patient)
    pid = hid = cid = eid = 0
    contracted: set[int] = set()
    while pid < patients:
        hid += 1
        region = rng.choice(regions)
        hstatus = _pick(rng, STATUS_MIX)
        add("household", (hid, f"H{hid:09d}", region, hstatus, now))
        for _ in range(min(rng.choice([1, 2, 2, 3, 3, 4]), patients - pid)):
            pid += 1
            pstatus = hstatus if rng.random() > 0.05 else _pick(rng, STATUS_MIX)
            born = date(rng.randint(1930, 2012), rng.randint(1, 12), rng.randint(1, 28))
            who = protect(keys, f"X{pid:017d}", f"p{pid}")
            add("patient", (pid, hid, who["national_id_hash"], who["national_id_sealed"], who["name_sealed"], region,
                            pstatus, rng.choice("MF"), born, now))  # fmt: skip
            if rng.random() < 0.3:
                ext = pstatus if rng.random() > 0.1 else _pick(rng, STATUS_MIX)
                add("external_status", (pid, "poverty_office", night - timedelta(days=rng.randint(1, 90)), ext))
            for disease in rng.sample(diseases, 2 if rng.random() < 0.1 else 1):
                cid += 1
                cid_ = cid
                state = _pick(rng, STATE_MIX)
                triaged = night - timedelta(days=rng.randint(5, 400))
                changed = triaged + timedelta(days=rng.randint(0, max(0, (night - triaged).days - 1)))
                special = state not in (CaseState.SCREENED, CaseState.CONFIRMED)
                updated = _at(triaged + timedelta(days=3 if rng.random() < 0.005 else -1))
                add("condition", (cid_, pid, disease.example_icd, "confirmed", triaged, updated))
                add("case", (cid_, pid, cid_, region, state, disease.code if special else None,
                             disease.category.value if special else None, None, rng.choice(hospitals), False,
                             ("2016.1" if rng.random() < 0.01 else catalogue.version) if special else None,
                             _at(triaged) if special else None, _at(changed), _at(triaged)))  # fmt: skip
                if state in TREATED or state == CaseState.UNDER_MANAGEMENT:
                    eid += 1
                    total = Decimal(rng.randint(20_000, 3_000_000)) / 100
                    pays = (total * Decimal(rng.choice([0, 5, 8, 10, 15, 30, 60])) / 100).quantize(FEN)
                    served = changed - timedelta(days=rng.randint(0, 30))
                    admitted = served - timedelta(days=7)
                    add("treatment_episode", (eid, cid_, pid, rng.choice(hospitals), disease.example_icd,
                                              "inpatient", admitted, served, 0, total, Decimal("0.00")))  # fmt: skip
                    if state != CaseState.DISCHARGED:
                        ratio = (pays / total).quantize(RATIO_PLACES)
                        add("settlement", (eid, cid_, pid, "bench", served, total, total, pays,
                                           ratio, "", _at(served), "bench"))  # fmt: skip
                if state in FOLLOWED:
                    for k in range(rng.randint(0, 4)):
                        on = changed + timedelta(days=30 * (k + 1))
                        if on < night:
                            add("follow_up", (cid_, on, "bench", "stable", now))
                    if disease.category.value == "long_term" and pid not in contracted and rng.random() < 0.85:
                        contracted.add(pid)
                        signed = night - timedelta(days=rng.randint(0, 700))
                        add("family_doctor_contract", (pid, f"D{pid % 997}", signed, signed + timedelta(days=365)))
        _flush(buffers)
    _flush(buffers, force=True)
    return counts


def iter_sample(patients: int, k: int, seed: int = 3) -> Iterator[int]:
    rng = random.Random(seed)
    yield from sorted(rng.sample(range(1, patients + 1), min(k, patients)))
