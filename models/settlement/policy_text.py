"""A policy file read aloud in Chinese, and two policies compared rule by rule (pure; `dabing policy`).

Rules are matched by (layer, name, 适用人群 zh): the same clause keeps its name when a proposal changes its
numbers, so a changed ratio shows as one changed rule, not a removal and an addition.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from models.enums import (
    GROUP_LABELS,
    TREATMENT_KIND_LABELS,
    CareSetting,
    HospitalLevel,
    HospitalLocation,
    PatientGroup,
    PovertyStatus,
)
from models.settlement.label import LAYER_ZH, LEVEL_ZH, LOCATION_ZH, pct, yuan
from models.settlement.policy import Base, Bonus, LayerPolicy, Match, Per, Policy, Rule

SETTING_ZH = {CareSetting.INPATIENT: "住院", CareSetting.OUTPATIENT: "门诊"}
STATUS_ZH = {
    PovertyStatus.REGISTERED_POOR: "建档立卡",
    PovertyStatus.MINIMUM_LIVING: "低保",
    PovertyStatus.DESTITUTE: "特困",
    PovertyStatus.EDGE: "边缘户",
    PovertyStatus.MONITORED: "监测户",
    PovertyStatus.GENERAL: "普通居民",
}
BASE_ZH = {
    Base.IN_SCOPE: "政策范围内费用",
    Base.REMAINING_IN_SCOPE: "前序报销后剩余的政策范围内费用",
    Base.REMAINING_TOTAL: "剩余全部费用(含保外)",
}
RuleKey = tuple[str, str, str]


def _join(values: Iterable[str]) -> str:
    return "、".join(values)


def when_zh(m: Match) -> str:
    """The conditions of a rule in Chinese; 所有 when it has none."""
    parts: list[str] = []
    if m.setting:
        parts.append(_join(SETTING_ZH[s] for s in m.setting))
    if m.level:
        parts.append(_join(LEVEL_ZH[lv] for lv in m.level))
    if m.location:
        parts.append(_join(LOCATION_ZH[loc] for loc in m.location))
    if m.poverty_status:
        parts.append(_join(STATUS_ZH[s] for s in m.poverty_status))
    if m.groups_any:
        parts.append("人群 " + _join(_group(g) for g in m.groups_any))
    if m.min_age is not None:
        parts.append(f"{m.min_age}岁以上")
    if m.treatment:
        parts.append("诊疗 " + _join(TREATMENT_KIND_LABELS[t] for t in m.treatment))
    return " · ".join(parts) or "所有"


def _points(v: Decimal) -> str:
    """0.10 → 10个百分点."""
    return pct(v).removesuffix("%") + "个百分点"


def _group(name: str) -> str:
    return GROUP_LABELS[PatientGroup(name)] if name in PatientGroup._value2member_map_ else name


def _by_level(values: dict[HospitalLevel, Decimal], fmt: str) -> str:
    shown = (f"{LEVEL_ZH[lv]} {pct(v) if fmt == 'pct' else yuan(v)}" for lv, v in values.items())
    return _join(shown)


def _by_location(values: dict[HospitalLocation, Decimal], points: bool) -> str:
    return _join(f"{LOCATION_ZH[k]} {'+' + _points(v) if points else pct(v)}" for k, v in values.items())


def rule_terms(r: Rule) -> dict[str, str]:
    """Each term of a rule that has a value, as (Chinese name → Chinese value): what a diff compares."""
    terms = {"条件": when_zh(r.when), "基数": BASE_ZH[r.base]}
    if r.ratio is not None:
        terms["比例"] = pct(r.ratio)
    if r.ratio_by_level is not None:
        terms["比例"] = _by_level(r.ratio_by_level, "pct")
    if r.location_points:
        terms["异地加点"] = _by_location(r.location_points, points=True)
    if r.location_ratio:
        terms["异地比例"] = _by_location(r.location_ratio, points=False)
    per = "年度" if r.deductible_per == Per.YEAR else "每次"
    if r.deductible_by_level is not None:
        terms["起付线"] = f"{per} " + _by_level(r.deductible_by_level, "yuan")
    elif r.deductible:
        terms["起付线"] = f"{per} {yuan(r.deductible)}"
    if r.per_session:
        terms["每次定额"] = yuan(r.per_session)
    if r.lump_sum:
        terms["一次性定额"] = yuan(r.lump_sum)
    if not r.bonuses_apply:
        terms["加点"] = "不适用"
    return terms


def bonus_terms(b: Bonus) -> dict[str, str]:
    return {"条件": when_zh(b.when), "加点": "+" + _points(b.points)}


def layer_terms(lp: LayerPolicy) -> dict[str, str]:
    terms: dict[str, str] = {}
    if lp.annual_cap is not None:
        terms["年度封顶"] = yuan(lp.annual_cap)
    if lp.after_cap_of is not None:
        terms["支付前提"] = f"{LAYER_ZH[lp.after_cap_of]}年度封顶后"
    return terms


def _terms_text(terms: dict[str, str]) -> str:
    return ";".join(f"{k} {v}" for k, v in terms.items())


def describe(policy: Policy) -> list[str]:
    """`dabing policy check`: every layer and rule of a valid policy, one line each, in payer order."""
    end = policy.effective_to.isoformat() if policy.effective_to else "今"
    lines = [f"{policy.name}({policy.id},区划 {policy.region},{policy.effective_from.isoformat()} 至{end})"]
    lines.append(f"来源:{policy.source}")
    for lp in policy.layers:
        head = _terms_text(layer_terms(lp))
        lines.append(f"【{LAYER_ZH[lp.layer]}】" + (f" {head}" if head else ""))
        for i, r in enumerate(lp.rules, 1):
            lines.append(f"  {i}. {r.zh or r.name} [{r.name}]:{_terms_text(rule_terms(r))}")
        for b in lp.bonuses:
            lines.append(f"  加点 {b.zh or b.name} [{b.name}]:{_terms_text(bonus_terms(b))}")
    lines += [f"假设:{a}" for a in policy.assumptions]
    return lines


def _entries(policy: Policy) -> dict[RuleKey, dict[str, str]]:
    """Every comparable entry of a policy by key: layers, rules and bonuses."""
    out: dict[RuleKey, dict[str, str]] = {}
    for lp in policy.layers:
        out[(lp.layer.value, "", "")] = layer_terms(lp)
        for r in lp.rules:
            key = (lp.layer.value, r.name, r.zh)
            out[key if key not in out else (lp.layer.value, r.name, r.zh + f"#{len(out)}")] = rule_terms(r)
        for b in lp.bonuses:
            out[(lp.layer.value, "bonus:" + b.name, b.zh)] = bonus_terms(b)
    return out


def _title(key: RuleKey) -> str:
    layer, name, zh = key
    head = LAYER_ZH[next(lp for lp in LAYER_ZH if lp.value == layer)]
    if not name:
        return f"【{head}】"
    kind = "加点" if name.startswith("bonus:") else "规则"
    return f"【{head}】{kind} {zh.split('#')[0] or name} [{name.removeprefix('bonus:')}]"


def diff(a: Policy, b: Policy) -> list[str]:
    """`dabing policy diff A B`: what B changes in A — layers and rules added or removed, terms changed.
    An empty list means the two policies settle every bill the same way."""
    ea, eb = _entries(a), _entries(b)
    lines: list[str] = []
    for key in [*ea, *(k for k in eb if k not in ea)]:
        if key not in eb:
            lines.append(f"删除 {_title(key)}" + (f":{_terms_text(ea[key])}" if key[1] else ""))
        elif key not in ea:
            lines.append(f"新增 {_title(key)}" + (f":{_terms_text(eb[key])}" if key[1] else ""))
        else:
            old, new = ea[key], eb[key]
            changed = [
                f"{t} {old.get(t, '无')} → {new.get(t, '无')}"
                for t in dict.fromkeys([*old, *new])
                if old.get(t) != new.get(t)
            ]
            if changed:
                lines.append(f"修改 {_title(key)}:" + ";".join(changed))
    return lines
