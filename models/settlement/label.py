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
    parts = [rule.zh] if rule.zh else []
    if rule.has_ratio:
        parts.append(_ratio_text(basis, rule, line.ratio))
        if rule.base == Base.REMAINING_TOTAL:
            parts.append("含保外费用")
    nominal = (rule.deductible_by_level or {}).get(basis.bill.hospital_level, rule.deductible)
    if nominal > 0:
        if rule.deductible_per == Per.YEAR:
            used = "" if line.deductible == nominal else f"(本次计 {yuan(line.deductible)})"
            parts.append(f"年度起付线 {yuan(nominal)}{used}")
        else:
            parts.append(f"起付线 {yuan(nominal)}")
    if rule.per_session:
        parts.append(f"每次 {yuan(rule.per_session)} × {basis.bill.sessions}次")
    if rule.lump_sum:
        parts.append(f"一次性 {yuan(rule.lump_sum)}")
    if basis.capped and basis.layer.annual_cap is not None:
        parts.append(f"已达年度封顶 {yuan(basis.layer.annual_cap)}")
    return parts


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
