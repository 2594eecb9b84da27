"""The Chinese label of each statement line: which rule applied, with the values it applied."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from models.settlement.bill import LayerLine, parse_bill
from models.settlement.engine import settle
from models.settlement.label import label_zh, pct
from models.settlement.policy import PayerLayer
from models.settlement.preview import preview
from tests.models.settlement.test_clauses_hezhang import DIALYSIS_COUNTY
from tests.models.settlement.test_clauses_xinping import XP
from tests.models.settlement.test_engine import POLICIES, bill


def labels(data: dict[str, Any]) -> dict[str, str]:
    return {ln["layer"]: ln["label_zh"] for ln in preview(data, POLICIES)["layers"]}


@pytest.mark.parametrize(
    ("data", "layer", "expected"),
    [
        pytest.param(
            bill(
                hospital_level="level3", hospital_location="out_of_county", patient={"poverty_status": "minimum_living"}
            ),
            "basic_insurance",
            "基本医保 · 普通人群住院 · 三级医院 65% · 起付线 500元",
            id="level ratio and deductible",
        ),
        pytest.param(
            bill(hospital_level="level3", hospital_location="out_of_county", patient={"poverty_status": "destitute"}),
            "basic_insurance",
            "基本医保 · 特困供养人员 县外公立医院住院 · 三级医院 县外 75%(同级 65% + 县外10个百分点) · 起付线 500元",
            id="out-of-county points named",
        ),
        pytest.param(
            bill(patient={"poverty_status": "registered_poor", "groups": ["severe_illness"]}),
            "basic_insurance",
            "基本医保 · 普通人群住院 · 二级医院 80%(同级 75% + 建档立卡重病/重度残疾/受灾/无力承担5个百分点)"
            " · 起付线 200元",
            id="bonus named",
        ),
        pytest.param(
            bill(hospital_level="level3", hospital_location="out_of_province"),
            "basic_insurance",
            "基本医保 · 普通人群住院 · 省外 55% · 起付线 500元",
            id="location ratio",
        ),
        pytest.param(
            bill(total="50000", prior_paid={"critical_illness": {"paid": "0", "deductible": "4000"}}),
            "critical_illness",
            "大病保险 · 政策范围内自付超过5000元 · 50% · 年度起付线 5000元(本次计 1000元)",
            id="annual threshold partly used earlier in the year",
        ),
        pytest.param(
            bill(patient={"poverty_status": "destitute"}, total="39467", out_of_scope="733"),
            "medical_assistance",
            "医疗救助 · 特困供养人员 因病住院 · 100% · 含保外费用",
            id="full assistance including out of scope",
        ),
        pytest.param(bill(), "medical_assistance", "医疗救助 · 无适用条款,不支付", id="no clause applies"),
        pytest.param(
            bill(**XP, patient={"poverty_status": "registered_poor"}),
            "critical_illness",
            "大病保险 · 待基本医保年度封顶后支付",
            id="waits for the basic cap",
        ),
        pytest.param(
            bill(**XP, total="300000", patient={"poverty_status": "registered_poor"}),
            "basic_insurance",
            "基本医保 · 建档立卡贫困人员住院 不设起付标准 · 二级医院 80% · 已达年度封顶 200000元",
            id="annual cap reached",
        ),
        pytest.param(
            bill(
                **XP,
                hospital_level="township",
                treatment_kind="delivery",
                patient={"poverty_status": "registered_poor"},
                out_of_scope="3000",
            ),
            "supplementary",
            "补充保障 · 农村巩固户妇女住院分娩 · 一次性 2200元",
            id="lump sum",
        ),
    ],
)
def test_label(data: dict[str, Any], layer: str, expected: str) -> None:
    assert labels(data)[layer] == expected


def test_per_session_label() -> None:
    b = parse_bill(bill(service_date="2019-05-01", setting="outpatient", sessions=12, treatment_kind="dialysis"))
    line = settle(b, DIALYSIS_COUNTY)[0].layers[0]
    assert line.label_zh == "补充保障 · 县财政透析补助 · 每次 100元 × 12次"


def test_preview_keeps_the_rule_id_beside_the_label() -> None:
    line = preview(bill(), POLICIES)["layers"][0]
    assert (line["rule"], line["label_zh"]) == (
        "basic_insurance.ratio.level2",
        "基本医保 · 普通人群住院 · 二级医院 75% · 起付线 200元",
    )


def test_a_line_read_back_without_its_basis_shows_its_rule_id() -> None:
    z = Decimal("0")
    line = LayerLine(layer=PayerLayer.BASIC_INSURANCE, base=z, deductible=z, ratio=z, paid=z, rule="basic_insurance.x")
    assert label_zh(line) == "基本医保 · basic_insurance.x"
    assert "basis" not in line.model_dump()


@pytest.mark.parametrize(("ratio", "text"), [("0.65", "65%"), ("0.755", "75.5%"), ("1.00", "100%"), ("0", "0%")])
def test_pct(ratio: str, text: str) -> None:
    assert pct(Decimal(ratio)) == text


def test_every_shipped_rule_names_its_clause_in_chinese() -> None:
    missing = [
        f"{policy.id} {lp.layer.value} {r.name}"
        for policy in POLICIES.policies
        for lp in policy.layers
        for r in [*lp.rules, *lp.bonuses]
        if not (r.zh and r.clause)
    ]
    assert missing == []


def test_batch_labels_are_the_labels_of_each_line() -> None:
    """``Labels`` (one label per shape of line, the yearly deductible written per line) gives every line the
    label ``label_zh`` gives it: many bills across levels, locations, statuses, groups and partly used years."""
    import random

    from models.settlement.label import Labels

    rng = random.Random(3)
    batch, seen = Labels(), 0
    for _ in range(400):
        data = bill(
            **rng.choice(
                [
                    {"region": "520527", "service_date": "2016-08-10"},
                    {"region": "520527", "service_date": "2017-02-10"},
                    {"region": "530427", "service_date": "2017-09-01"},
                ]
            ),
            hospital_level=rng.choice(["township", "level1", "level2", "level3"]),
            hospital_location=rng.choice(["in_county", "out_of_county", "out_of_province"]),
            total=str(rng.randint(100, 400_000)),
            patient={
                "poverty_status": rng.choice(["general", "registered_poor", "destitute", "minimum_living"]),
                "age": rng.randint(1, 95),
                "groups": rng.choice([[], ["severe_illness"]]),
            },
            prior_paid={"critical_illness": {"paid": "0", "deductible": str(rng.choice([0, 1000, 4000, 9000]))}},
        )
        statement, _ = settle(
            parse_bill(data), POLICIES.in_force(data["region"], date.fromisoformat(data["service_date"]))
        )
        for line in statement.layers:
            assert batch(line) == label_zh(line)
            seen += 1
    assert seen >= 1200
