"""季通报 (quarterly bulletin) and 年考核 (annual assessment), the pure part: periods, one county's figures and
its rates, the ranking across a scope's counties, and the Chinese markdown a supervisor reads.

Definitions (one everywhere): a *special case* is an open case with a category whose diagnosis was confirmed
by the period's end; *treated* means discharged at least once by then (治疗率 = treated ÷ special cases);
*contract rate* = people screened by the end with a family-doctor contract in force on the end day; *follow-up
rate* = maintenance and long-term cases followed up within the period; *self-pay within target* counts
in-county inpatient settlements (the hospital in the patient's county) with a self-pay ratio ≤ 10%
(``models.summary.TARGET``), out-of-county bills are not held to it; *四个一致* = people whose latest poverty
list by the end agrees with the system.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from models.enums import CATEGORY_LABELS, Category
from models.findings import FindingKind
from models.ledger_rows import Cell, self_pay_ratio

BulletinKind = Literal["quarterly", "annual"]
TITLES: dict[str, str] = {"quarterly": "季通报", "annual": "年考核"}
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


class BadPeriod(ValueError):
    """A period that is not 2017Q3 (quarterly) or 2017 (annual)."""


def _kind_label(kind: str) -> str:
    return FindingKind(kind).label if kind in set(FindingKind) else kind


def period_bounds(kind: BulletinKind, period: str) -> tuple[date, date]:
    """First and last day of ``2017Q3`` (quarterly) or ``2017`` (annual)."""
    m = (_QUARTER if kind == "quarterly" else _YEAR).fullmatch(period.strip().upper())
    if m is None:
        raise BadPeriod(f"period: {'YYYYQn, e.g. 2017Q3' if kind == 'quarterly' else 'YYYY, e.g. 2017'}")
    year = int(m.group(1))
    if kind == "annual":
        return date(year, 1, 1), date(year, 12, 31)
    first = date(year, 3 * int(m.group(2)) - 2, 1)
    nxt = date(year + 1, 1, 1) if first.month == 10 else date(year, first.month + 3, 1)
    return first, nxt - timedelta(days=1)


def previous_period(kind: BulletinKind, today: date) -> str:
    """The period just ended (what the schedule on the 1st of January/April/July/October reports)."""
    if kind == "annual":
        return str(today.year - 1)
    q = (today.month - 1) // 3  # quarters before this one in the year
    return f"{today.year - 1}Q4" if q == 0 else f"{today.year}Q{q}"


def rate(part: int, whole: int) -> Decimal | None:
    """part ÷ whole in %, one place (None without a base)."""
    return (Decimal(100) * part / whole).quantize(Decimal("0.1")) if whole else None


class CountyFigures(BaseModel):
    """One county's counts for the period (amounts as Decimal yuan); rates are derived, never stored."""

    region_code: str
    name: str
    special_cases: int = 0
    treated: int = 0
    by_category: dict[str, int] = {}
    contract_patients: int = 0  # the ledger's patients (``tasks.reports.contract_rate``)
    contracted: int = 0
    followed_cases: int = 0
    followed: int = 0
    in_county_bills: int = 0
    in_county_within_target: int = 0
    in_county_total: Decimal = Decimal("0.00")
    in_county_patient_pays: Decimal = Decimal("0.00")
    out_of_county_bills: int = 0
    compared_people: int = 0
    agreeing_people: int = 0
    alarms: dict[str, int] = {}

    @property
    def treatment_rate(self) -> Decimal | None:
        return rate(self.treated, self.special_cases)

    @property
    def contract_rate(self) -> Decimal | None:
        return rate(self.contracted, self.contract_patients)

    @property
    def follow_up_rate(self) -> Decimal | None:
        return rate(self.followed, self.followed_cases)

    @property
    def within_target_rate(self) -> Decimal | None:
        return rate(self.in_county_within_target, self.in_county_bills)

    @property
    def self_pay_share(self) -> Decimal | None:
        ratio = self_pay_ratio(self.in_county_patient_pays, self.in_county_total)
        return None if ratio is None else (ratio * 100).quantize(Decimal("0.1"))

    @property
    def consistency_rate(self) -> Decimal | None:
        return rate(self.agreeing_people, self.compared_people)


def ranked(counties: list[CountyFigures]) -> list[CountyFigures]:
    """Best first: treatment rate, then in-county bills within target, then contract rate (no base: last)."""

    def key(c: CountyFigures) -> tuple[Decimal, Decimal, Decimal, str]:
        low = Decimal(-1)
        return (
            -(c.treatment_rate if c.treatment_rate is not None else low),
            -(c.within_target_rate if c.within_target_rate is not None else low),
            -(c.contract_rate if c.contract_rate is not None else low),
            c.region_code,
        )

    return sorted(counties, key=key)


class BulletinData(BaseModel):
    kind: BulletinKind
    period: str
    start: date
    end: date
    scope: str  # region prefix ('' = every region)
    counties: list[CountyFigures]  # ranked
    files: list[str] = []


COLUMNS: list[tuple[str, str]] = [
    ("排名", "rank"),
    ("地区编码", "region_code"),
    ("地区", "name"),
    ("大病患者数", "special_cases"),
    ("已救治", "treated"),
    ("救治率%", "treatment_rate"),
    ("签约率%", "contract_rate"),
    ("随访率%", "follow_up_rate"),
    ("县域内住院结算", "in_county_bills"),
    ("自付≤10%占比%", "within_target_rate"),
    ("县域内自付比例%", "self_pay_share"),
    ("县外结算", "out_of_county_bills"),
    ("四个一致率%", "consistency_rate"),
    ("预警数", "alarms_total"),
]


def table_rows(data: BulletinData) -> list[list[Cell]]:
    """One row per county, ranked, in ``COLUMNS`` order (the XLSX sheet and the markdown table)."""
    rows: list[list[Cell]] = []
    for i, c in enumerate(data.counties, start=1):
        values: dict[str, Cell] = {"rank": i, "alarms_total": sum(c.alarms.values())}
        rows.append([values[f] if f in values else getattr(c, f) for _, f in COLUMNS])
    return rows


def _cell(v: object) -> str:
    return "—" if v is None else str(v)


def bulletin_markdown(data: BulletinData) -> str:
    title = f"# {TITLES[data.kind]} {data.period}（{data.start} 至 {data.end}）"
    scope = (
        f"范围：{data.scope or '全部地区'}，{len(data.counties)} 个县（区）；按救治率、县域内自付≤10%占比、签约率排名。"
    )
    head = "| " + " | ".join(t for t, _ in COLUMNS) + " |"
    rule = "|" + "---|" * len(COLUMNS)
    body = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in table_rows(data)]
    cats = ["", "## 分类救治（病例数）", ""]
    for c in data.counties:
        parts = [f"{CATEGORY_LABELS[Category(k)]} {n}" for k, n in sorted(c.by_category.items())]
        cats.append(f"- {c.name}（{c.region_code}）：{'，'.join(parts) or '无'}")
    alarms = ["", "## 预警（本期）", ""]
    for c in data.counties:
        parts = [f"{_kind_label(k)} {n}" for k, n in sorted(c.alarms.items())]
        alarms.append(f"- {c.name}（{c.region_code}）：{'，'.join(parts) or '无'}")
    return "\n".join([title, "", scope, "", head, rule, *body, *cats, *alarms, ""])
