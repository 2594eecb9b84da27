"""The Chinese label of a statement line: which rule applied, with the values it applied (pure).

``基本医保 · 三级医院 65% · 起付线 500元`` — written from the rule, its layer and the bill the line was
computed from (``LayerLine.basis``), beside the stable rule id, only when a statement is shown.
"""

from __future__ import annotations

from decimal import Decimal

from models.common import ZERO
from models.enums import HospitalLevel, HospitalLocation
from models.settlement.bill import Basis, LayerLine
from models.settlement.engine import matches
from models.settlement.policy import Base, PayerLayer, Per, Rule

LAYER_ZH = {
    PayerLayer.BASIC_INSURANCE: "基本医保",
    PayerLayer.CRITICAL_ILLNESS: "大病保险",
    PayerLayer.MEDICAL_ASSISTANCE: "医疗救助",
    PayerLayer.SUPPLEMENTARY: "补充保障",
}
LEVEL_ZH = {
    HospitalLevel.TOWNSHIP: "乡镇卫生院",
    HospitalLevel.LEVEL1: "一级医院",
    HospitalLevel.LEVEL2: "二级医院",
    HospitalLevel.LEVEL3: "三级医院",
}
LOCATION_ZH = {
    HospitalLocation.IN_COUNTY: "县内",
    HospitalLocation.OUT_OF_COUNTY: "县外",
    HospitalLocation.OUT_OF_PROVINCE: "省外",
}
SEP = " · "


def _num(value: Decimal) -> str:
    return f"{value.normalize():f}"


def pct(ratio: Decimal) -> str:
    """0.65 → 65%, 0.755 → 75.5%."""
    return _num(ratio * 100) + "%"


def yuan(amount: Decimal) -> str:
    return _num(amount) + "元"


def _ratio_text(basis: Basis, rule: Rule, applied: Decimal) -> str:
    bill = basis.bill
    loc, level = bill.hospital_location, bill.hospital_level
    adds: list[str] = []
    if loc in rule.location_ratio:
        head, start = LOCATION_ZH[loc], rule.location_ratio[loc]
    elif rule.ratio_by_level is not None:
        head, start = LEVEL_ZH[level], rule.ratio_by_level.get(level, ZERO)
        if loc in rule.location_points:
            head += " " + LOCATION_ZH[loc]
            adds.append(f"{LOCATION_ZH[loc]}{_num(rule.location_points[loc] * 100)}个百分点")
    else:
        head, start = "", rule.ratio or ZERO
    if rule.bonuses_apply and start < 1:
        adds += [
            f"{b.zh or b.name}{_num(b.points * 100)}个百分点" for b in basis.layer.bonuses if matches(b.when, bill)
        ]
    text = f"{head} {pct(applied)}".strip()
    return text + (f"(同级 {pct(start)} + " + " + ".join(adds) + ")" if adds else "")


def _rule_parts(line: LayerLine, basis: Basis, rule: Rule) -> list[str]:
    before, nominal, after = _parts_around_year(line, basis, rule)
    return [*before, _year_deductible(nominal, line.deductible), *after] if nominal is not None else before + after


def _year_deductible(nominal: Decimal, used: Decimal) -> str:
    return f"年度起付线 {yuan(nominal)}" + ("" if used == nominal else f"(本次计 {yuan(used)})")


def _parts_around_year(line: LayerLine, basis: Basis, rule: Rule) -> tuple[list[str], Decimal | None, list[str]]:
    """The label's parts before and after the yearly deductible's, and that deductible's nominal amount (None:
    no yearly deductible): the one part that shows the line's own amount (本次计 …)."""
    parts = [rule.zh] if rule.zh else []
    if rule.has_ratio:
        parts.append(_ratio_text(basis, rule, line.ratio))
        if rule.base == Base.REMAINING_TOTAL:
            parts.append("含保外费用")
    nominal = (rule.deductible_by_level or {}).get(basis.bill.hospital_level, rule.deductible)
    year: Decimal | None = None
    if nominal > 0:
        if rule.deductible_per == Per.YEAR:
            year = nominal
        else:
            parts.append(f"起付线 {yuan(nominal)}")
    after = []
    if rule.per_session:
        after.append(f"每次 {yuan(rule.per_session)} × {basis.bill.sessions}次")
    if rule.lump_sum:
        after.append(f"一次性 {yuan(rule.lump_sum)}")
    if basis.capped and basis.layer.annual_cap is not None:
        after.append(f"已达年度封顶 {yuan(basis.layer.annual_cap)}")
    return parts, year, after


def label_zh(line: LayerLine) -> str:
    """The line's rule in Chinese; a line without its basis (read back from storage) shows its rule id."""
    head = LAYER_ZH[line.layer]
    basis = line.basis
    if basis is None:
        return head + SEP + line.rule
    if basis.rule is None:
        return head + SEP + "无适用条款,不支付"
    if basis.waits_for is not None:
        return head + SEP + f"待{LAYER_ZH[basis.waits_for]}年度封顶后支付"
    return SEP.join([head, *_rule_parts(line, basis, basis.rule)])


class Labels:
    """``label_zh`` for a batch of lines, each distinct shape worked out once (a batch of 21,000 bills has ~63,000
    lines but a few hundred shapes; ~9 µs a line otherwise). The key holds everything ``_parts_around_year``
    reads — the rule and layer (by identity: the memo keeps them alive, so an id is not reused while cached), the
    applied ratio, the hospital's level and location, and only where the rule reads them: the sessions, whether
    the cap was reached, the bill's signature for the layer's bonuses. The yearly deductible's part, the one
    that shows the line's own amount, is written per line."""

    __slots__ = ("_memo",)

    def __init__(self) -> None:
        self._memo: dict[tuple[object, ...], tuple[str, Decimal | None, str, Basis]] = {}

    def __call__(self, line: LayerLine) -> str:
        basis = line.basis
        if basis is None or basis.rule is None or basis.waits_for is not None:
            return label_zh(line)
        rule, bill = basis.rule, basis.bill
        if rule.bonuses_apply and basis.layer.bonuses:
            p = bill.patient
            signature: object = (bill.setting, bill.treatment_kind, p.poverty_status, p.age, p.groups)
        else:
            signature = None
        key = (id(rule), id(basis.layer), line.ratio, bill.hospital_level, bill.hospital_location,
               bill.sessions if rule.per_session else None, basis.capped, signature)  # fmt: skip
        hit = self._memo.get(key)
        if hit is None:
            before, nominal, after = _parts_around_year(line, basis, rule)
            head = SEP.join([LAYER_ZH[line.layer], *before])
            hit = self._memo[key] = (head, nominal, "".join(SEP + a for a in after), basis)
        head, nominal, tail, _ = hit
        return head + tail if nominal is None else head + SEP + _year_deductible(nominal, line.deductible) + tail
