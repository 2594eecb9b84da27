"""`dabing policy check/diff` text: a policy read in Chinese, and proposals compared rule by rule."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from config.policies import load_policy_file
from models.settlement.policy import Policy
from models.settlement.policy_text import describe, diff

POLICIES = Path(__file__).resolve().parents[3] / "config" / "data" / "policies"


def _policy(name: str) -> Policy:
    return load_policy_file(POLICIES / f"{name}.yaml")


def _edited(name: str, edit: Any) -> Policy:
    data = yaml.safe_load((POLICIES / f"{name}.yaml").read_text(encoding="utf-8"))
    edit(data)
    return Policy.model_validate(data)


def _raise_basic(data: dict[str, Any]) -> None:
    rule = data["layers"][0]["rules"][-1]
    rule["ratio_by_level"] = {k: str(Decimal(v) + Decimal("0.05")) for k, v in rule["ratio_by_level"].items()}


def _drop_supplementary(data: dict[str, Any]) -> None:
    data["layers"] = [lp for lp in data["layers"] if lp["layer"] != "supplementary"]


def _cap(data: dict[str, Any]) -> None:
    data["layers"][1]["annual_cap"] = "400000"


@pytest.mark.parametrize(
    ("name", "edit", "expected"),
    [
        ("xinping-2017", lambda d: None, []),  # the policy in force against itself: nothing changes
        (
            "hezhang-2016b",
            _raise_basic,
            ["修改 【基本医保】规则 普通人群住院 [ratio]:比例 "
             "乡镇卫生院 85%、一级医院 85%、二级医院 75%、三级医院 65% → "
             "乡镇卫生院 90%、一级医院 90%、二级医院 80%、三级医院 70%"],
        ),  # +5 points on the general rule: one rule changed, named by its clause
        ("hezhang-2016b", _cap, ["修改 【大病保险】:年度封顶 300000元 → 400000元"]),  # a layer's cap
    ],
)  # fmt: skip
def test_diff_names_each_changed_rule(name: str, edit: Any, expected: list[str]) -> None:
    assert diff(_policy(name), _edited(name, edit)) == expected


def test_removing_a_layer_lists_the_layer_and_each_of_its_rules() -> None:
    lines = diff(_policy("xinping-2017"), _edited("xinping-2017", _drop_supplementary))
    assert lines[0] == "删除 【补充保障】"
    assert all(line.startswith("删除 【补充保障】") for line in lines)
    assert any("住院分娩" in line and "一次性定额 2200元" in line for line in lines)


def test_describe_reads_every_rule_in_chinese() -> None:
    policy = _policy("hezhang-2016b")
    text = describe(policy)
    n_rules = sum(len(lp.rules) + len(lp.bonuses) for lp in policy.layers)
    assert sum(1 for line in text if line.startswith("  ")) == n_rules
    assert any("异地加点 县外 +10个百分点" in line for line in text)
    assert any("人群 优抚对象、重度残疾人、重性精神病患者" in line for line in text)
    assert "【大病保险】 年度封顶 300000元" in text
