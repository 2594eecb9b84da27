"""A stored settlement's per-layer statement in Chinese: each line's layer, its rule's Chinese text (looked up in
the policy the settlement used), the ratio and deductible applied, and what the layer paid. (The full
``models.settlement.label.label_zh`` needs the bill's basis, which is not stored; these are the stored values.)"""

from __future__ import annotations

from functools import lru_cache

from config.policies import load_policies
from models.enums import HospitalLevel
from models.settlement.label import LAYER_ZH, LEVEL_ZH, pct
from models.settlement.tables import SettlementLine
from web.labels import yuan


@lru_cache(maxsize=16)
def _rule_texts(policy_id: str) -> dict[str, str]:
    texts: dict[str, str] = {}
    for policy in load_policies().policies:
        if policy.id != policy_id:
            continue
        for layer in policy.layers:
            for rule in layer.rules:
                if rule.zh:
                    texts[rule.name] = texts[f"{layer.layer.value}.{rule.name}"] = rule.zh
    return texts


def line_zh(policy_id: str, line: SettlementLine) -> tuple[str, str, str]:
    """(layer, the rule in Chinese with its ratio and deductible, paid)."""
    rule = _rule_texts(policy_id).get(line.rule) or _rule_texts(policy_id).get(line.rule.partition(".")[2])
    level = line.rule.rpartition(".")[2]
    fallback = f"{LEVEL_ZH[HospitalLevel(level)]}报销" if level in set(HospitalLevel) else line.label_zh or line.rule
    if line.rule.endswith("no_rule_matched"):
        fallback = "无适用条款，不予支付"
    parts = [rule or fallback]
    if line.ratio:
        parts.append(f"比例 {pct(line.ratio)}")
    if line.deductible:
        parts.append(f"起付线 {yuan(line.deductible)}")
    parts.append(f"计算基数 {yuan(line.base)}")
    return LAYER_ZH.get(line.layer, str(line.layer)), " · ".join(parts), yuan(line.paid)
