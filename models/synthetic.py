"""Seedable synthetic county (pure): people with valid ID numbers, suspected conditions, bills.

The mix follows the seeds' 乌兰察布 figures: one-time cure 9,217 / maintenance 5,429 / long-term
management 21,014; a small share of codes outside the catalogue and of suspicions later ruled out.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from models import national_id
from models.enums import Category, PovertyStatus
from models.settlement.amounts import BillAmounts

CATEGORY_WEIGHTS: dict[Category, int] = {
    Category.ONE_TIME_CURE: 9217,
    Category.MAINTENANCE: 5429,
    Category.LONG_TERM: 21014,
}
#: Share of screened conditions that are outside the special-disease catalogue (real bills: femur
#: fracture, pancreatitis) and of suspicions that the hospital does not confirm.
OUTSIDE_CATALOGUE = ("S72.0", "K85.9", "J18.9")
OUTSIDE_SHARE = 0.03
RULED_OUT_PER_MILLE = 50
SECOND_CONDITION_SHARE = 0.10
POVERTY_WEIGHTS: dict[PovertyStatus, int] = {
    PovertyStatus.REGISTERED_POOR: 70,
    PovertyStatus.MINIMUM_LIVING: 10,
    PovertyStatus.DESTITUTE: 5,
    PovertyStatus.EDGE: 7,
    PovertyStatus.MONITORED: 5,
    PovertyStatus.GENERAL: 3,
}
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉力志永福德生海云峰成"


@dataclass(frozen=True, slots=True)
class DiseaseChoice:
    category: Category
    icd10: str
    min_age: int = 0
    max_age: int = 100


@dataclass(frozen=True, slots=True)
class SyntheticRow:
    household_ref: str
    national_id: str
    name: str
    region_code: str
    poverty_status: PovertyStatus
    screened_on: date
    icd10: str


CSV_HEADER = "household_ref,national_id,name,region_code,poverty_status,screened_on,icd10"


def to_csv_line(row: SyntheticRow) -> str:
    return (
        f"{row.household_ref},{row.national_id},{row.name},{row.region_code},"
        f"{row.poverty_status.value},{row.screened_on.isoformat()},{row.icd10}"
    )


def county_rows(
    patients: int, seed: int, region_code: str, start: date, choices: Sequence[DiseaseChoice]
) -> Iterator[SyntheticRow]:
    """Rows for ``patients`` people (about 10% with a second condition), deterministic for a seed."""
    rng = random.Random(seed)
    by_cat = {c: [d for d in choices if d.category == c] for c in CATEGORY_WEIGHTS}
    cats = [c for c in CATEGORY_WEIGHTS if by_cat[c]]
    weights = [CATEGORY_WEIGHTS[c] for c in cats]
    statuses, status_w = list(POVERTY_WEIGHTS), list(POVERTY_WEIGHTS.values())
    used: set[str] = set()
    household = 0
    left_in_household = 0
    for _ in range(patients):
        if left_in_household == 0:
            household += 1
            left_in_household = rng.choice((1, 1, 1, 2, 2, 3))
            status = rng.choices(statuses, status_w)[0]
        left_in_household -= 1
        n_conditions = 2 if rng.random() < SECOND_CONDITION_SHARE else 1
        picks = [_pick(rng, by_cat, cats, weights) for _ in range(n_conditions)]
        min_age = max(p.min_age for p in picks if p)
        max_age = min(p.max_age for p in picks if p)
        if min_age > max_age:
            picks, min_age, max_age = picks[:1], picks[0].min_age, picks[0].max_age
        age = rng.randint(min_age, max_age)
        born = start - timedelta(days=age * 365 + rng.randint(1, 364))
        nid = national_id.make(region_code, born, rng.randint(0, 999))
        while nid in used:
            nid = national_id.make(region_code, born, (int(nid[14:17]) + 1) % 1000)
        used.add(nid)
        name = rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.randint(1, 2)))
        screened_on = start + timedelta(days=rng.randint(0, 30))
        for pick in picks:
            code = pick.icd10 if pick is not None else rng.choice(OUTSIDE_CATALOGUE)
            yield SyntheticRow(
                f"{region_code}-H{seed}-{household:07d}", nid, name, region_code, status, screened_on, code
            )


def _pick(
    rng: random.Random, by_cat: dict[Category, list[DiseaseChoice]], cats: list[Category], weights: list[int]
) -> DiseaseChoice:
    if rng.random() < OUTSIDE_SHARE:
        return DiseaseChoice(Category.ONE_TIME_CURE, rng.choice(OUTSIDE_CATALOGUE), 0, 100)
    return rng.choice(by_cat[rng.choices(cats, weights)[0]])


def _unit(seed: int, case_id: int, salt: int) -> float:
    """A deterministic number in [0, 1) per (seed, case, purpose) — independent of chunking."""
    return random.Random(seed * 1_000_003 + case_id * 7919 + salt).random()


def is_confirmed(seed: int, case_id: int) -> bool:
    """Whether the hospital confirms this suspicion (about 95% do)."""
    return _unit(seed, case_id, 1) * 1000 >= RULED_OUT_PER_MILLE


def is_urgent(seed: int, case_id: int) -> bool:
    return _unit(seed, case_id, 2) < 0.05


#: (min stay days, max stay days, min cost, max cost, sessions) per category; yuan.
_BILL_SHAPE: dict[str, tuple[int, int, int, int, int]] = {
    Category.ONE_TIME_CURE.value: (3, 15, 6_000, 45_000, 0),
    Category.MAINTENANCE.value: (5, 25, 4_000, 60_000, 12),
    Category.LONG_TERM.value: (3, 12, 1_500, 12_000, 0),
}


def synthetic_bill(seed: int, case_id: int, category: str | None, admitted_on: date) -> tuple[date, BillAmounts]:
    """(discharged_on, bill) for a demo discharge, in whole fen."""
    lo_d, hi_d, lo_c, hi_c, sessions = _BILL_SHAPE.get(category or "", _BILL_SHAPE[Category.LONG_TERM.value])
    u = _unit(seed, case_id, 3)
    stay = lo_d + int(u * (hi_d - lo_d))
    total_fen = lo_c * 100 + int(_unit(seed, case_id, 4) * (hi_c - lo_c) * 100)
    oos_fen = total_fen * int(_unit(seed, case_id, 5) * 500) // 10_000  # up to 5% out of scope
    sessions = sessions if category == Category.MAINTENANCE.value and u < 0.5 else 0
    return admitted_on + timedelta(days=stay), BillAmounts.typed(
        Decimal(total_fen) / 100, Decimal(oos_fen) / 100, sessions
    )
