"""Rows of the exported ledgers (pure): the special-treatment ledger (救治台账, one row per case) and the
alarm list (预警名单, one row per nightly finding), their zh/en column headers and cell formatting.

Only internal ids leave the system here: no national ID number and no name is a column, by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from models.common import RATIO_PLACES, ZERO
from models.settlement.policy import LAYER_ORDER, PayerLayer

Lang = Literal["zh", "en"]
Cell = str | int | Decimal | date | None

#: (key, Chinese header, English header), in column order.
LEDGER_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("case_id", "病例编号", "case_id"),
    ("patient_id", "患者编号", "patient_id"),
    ("household_id", "家庭编号", "household_id"),
    ("region_code", "行政区划代码", "region_code"),
    ("disease_code", "病种代码", "disease_code"),
    ("disease_name", "病种名称", "disease_name_zh"),
    ("category", "救治类别", "category"),
    ("hospital_code", "定点医院代码", "hospital_code"),
    ("hospital_name", "定点医院名称", "hospital_name"),
    ("state", "救治状态", "state"),
    ("screened_on", "筛查日期", "screened_on"),
    ("confirmed_on", "确诊日期", "confirmed_on"),
    ("triaged_on", "分类日期", "triaged_on"),
    ("admitted_on", "首次入院日期", "first_admitted_on"),
    ("discharged_on", "最近出院日期", "last_discharged_on"),
    ("settled_on", "最近结算日期", "last_settled_on"),
    (PayerLayer.BASIC_INSURANCE.value, "基本医保支付", "basic_insurance_paid"),
    (PayerLayer.CRITICAL_ILLNESS.value, "大病保险支付", "critical_illness_paid"),
    (PayerLayer.MEDICAL_ASSISTANCE.value, "医疗救助支付", "medical_assistance_paid"),
    (PayerLayer.SUPPLEMENTARY.value, "补充保险及兜底支付", "supplementary_paid"),
    ("total", "医疗总费用", "total_cost"),
    ("patient_pays", "个人自付", "patient_pays"),
    ("self_pay_ratio", "自付比例", "self_pay_ratio"),
)

ALARM_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("finding_id", "预警编号", "finding_id"),
    ("night", "预警日期", "night"),
    ("kind", "预警类型", "kind"),
    ("region_code", "行政区划代码", "region_code"),
    ("patient_id", "患者编号", "patient_id"),
    ("household_id", "家庭编号", "household_id"),
    ("case_id", "病例编号", "case_id"),
    ("amount", "金额", "amount"),
    ("reason", "原因", "reason"),
    ("run_id", "批次", "run_id"),
)

#: Money columns of the ledger (shown with two decimals); the rest are ids, codes, dates or the ratio.
MONEY_KEYS = frozenset({*(layer.value for layer in LAYER_ORDER), "total", "patient_pays", "amount"})
TOTAL_LABEL: dict[Lang, str] = {"zh": "合计", "en": "total"}


def number_formats(columns: tuple[tuple[str, str, str], ...]) -> dict[int, str]:
    """Spreadsheet number formats by column index: money with two places, dates as ISO days, the ratio in %."""
    fmts: dict[int, str] = {}
    for i, (key, _, _) in enumerate(columns):
        if key in MONEY_KEYS:
            fmts[i] = "#,##0.00"
        elif key.endswith("_on") or key == "night":
            fmts[i] = "yyyy-mm-dd"
        elif key == "self_pay_ratio":
            fmts[i] = "0.00%"
    return fmts


def headers(columns: tuple[tuple[str, str, str], ...], lang: Lang) -> list[str]:
    return [zh if lang == "zh" else en for _, zh, en in columns]


def self_pay_ratio(patient_pays: Decimal, total: Decimal) -> Decimal | None:
    """Patient pays ÷ total, four places half up (as the settlement statement); None without a bill."""
    if total <= 0:
        return None
    return (patient_pays / total).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One case (patient × special disease). Amounts add up every settlement of the case."""

    case_id: int
    patient_id: int
    household_id: int
    region_code: str
    disease_code: str | None
    disease_name: str | None
    category: str | None
    hospital_code: str | None
    hospital_name: str | None
    state: str
    screened_on: date | None = None
    confirmed_on: date | None = None
    triaged_on: date | None = None
    admitted_on: date | None = None
    discharged_on: date | None = None
    settled_on: date | None = None
    paid: dict[PayerLayer, Decimal] = field(default_factory=dict)
    total: Decimal | None = None
    patient_pays: Decimal | None = None

    @property
    def ratio(self) -> Decimal | None:
        if self.total is None or self.patient_pays is None:
            return None
        return self_pay_ratio(self.patient_pays, self.total)

    def cells(self) -> list[Cell]:
        """Typed cells in LEDGER_COLUMNS order; a layer that paid nothing (or is absent) is 0.00 once settled."""
        settled = self.total is not None
        layers: list[Cell] = [self.paid.get(layer, ZERO) if settled else None for layer in LAYER_ORDER]
        return [
            self.case_id,
            self.patient_id,
            self.household_id,
            self.region_code,
            self.disease_code,
            self.disease_name,
            self.category,
            self.hospital_code,
            self.hospital_name,
            self.state,
            self.screened_on,
            self.confirmed_on,
            self.triaged_on,
            self.admitted_on,
            self.discharged_on,
            self.settled_on,
            *layers,
            self.total,
            self.patient_pays,
            self.ratio,
        ]


@dataclass(frozen=True, slots=True)
class AlarmRow:
    finding_id: int
    night: date
    kind: str
    region_code: str
    patient_id: int | None
    household_id: int | None
    case_id: int | None
    amount: Decimal | None
    reason: str
    run_id: int

    def cells(self) -> list[Cell]:
        return [
            self.finding_id,
            self.night,
            self.kind,
            self.region_code,
            self.patient_id,
            self.household_id,
            self.case_id,
            self.amount,
            self.reason,
            self.run_id,
        ]


def text_cell(value: Cell) -> str:
    """CSV text: ISO dates, Decimals as stored (money has two places, ratios four), empty for None."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass(slots=True)
class LedgerTotals:
    """Running totals of the exported ledger rows (the 合计 line and the export result)."""

    rows: int = 0
    settled_cases: int = 0
    paid: dict[PayerLayer, Decimal] = field(default_factory=lambda: dict.fromkeys(LAYER_ORDER, ZERO))
    total: Decimal = ZERO
    patient_pays: Decimal = ZERO

    def add(self, row: LedgerRow) -> None:
        self.rows += 1
        if row.total is None:
            return
        self.settled_cases += 1
        for layer, amount in row.paid.items():
            self.paid[layer] += amount
        self.total += row.total
        self.patient_pays += row.patient_pays or ZERO

    @property
    def ratio(self) -> Decimal | None:
        return self_pay_ratio(self.patient_pays, self.total)

    def cells(self, lang: Lang) -> list[Cell]:
        """The 合计 line, aligned with LEDGER_COLUMNS: label, number of cases, then the money columns."""
        blanks: list[Cell] = [None] * 14
        return [
            TOTAL_LABEL[lang],
            self.rows,
            *blanks,
            *(self.paid[layer] for layer in LAYER_ORDER),
            self.total,
            self.patient_pays,
            self.ratio,
        ]

    def as_strings(self) -> dict[str, str]:
        return {
            **{layer.value: str(self.paid[layer]) for layer in LAYER_ORDER},
            "total": str(self.total),
            "patient_pays": str(self.patient_pays),
            "self_pay_ratio": str(self.ratio or ""),
        }
