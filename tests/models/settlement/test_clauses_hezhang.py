"""One row per clause of seed 003, each id quoting the clause: 篇7 (赫章 三张网) and 篇5 (dialysis, a county the
seed does not name). Bills: 10,000 yuan in scope unless a row says otherwise; seed 002 is in test_clauses_xinping."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from models.settlement.bill import parse_bill
from models.settlement.engine import settle
from models.settlement.policy import Policy
from tests.models.settlement.test_engine import bill, paid

POOR = {"poverty_status": "registered_poor", "age": 40}
POOR80 = {"poverty_status": "registered_poor", "age": 82}
DESTITUTE = {"poverty_status": "destitute", "age": 60}
DIBAO = {"poverty_status": "minimum_living", "age": 40}
L3_OUT = {"hospital_level": "level3", "hospital_location": "out_of_county"}
L3_PROV = {"hospital_level": "level3", "hospital_location": "out_of_province"}
OUTPATIENT = {"setting": "outpatient"}
SEVERE = {"poverty_status": "registered_poor", "age": 40, "groups": ["severe_illness"]}

HEZHANG_FIRST_NET = [  # 第一张网: 城乡居民基本医保
    (bill(hospital_level="township"), {"basic_insurance": "8415.00"}, "普通人群在一级(乡镇级)报销85% — above 100"),
    (bill(), {"basic_insurance": "7350.00"}, "二级(县级)报销75% — above 200"),
    (bill(**L3_OUT), {"basic_insurance": "6175.00"}, "三级(市级)65% — general, out of county, no +10"),
    (
        bill(**L3_OUT, patient=DIBAO),
        {"basic_insurance": "6175.00"},
        "三级(市级)65% — 低保 out of county gets no +10 (徐飞: basic ≈ 65% of in scope)",
    ),
    (bill(**L3_PROV), {"basic_insurance": "5225.00"}, "市外公立医疗机构55%补偿比例"),
    (
        bill(patient=DESTITUTE),
        {"basic_insurance": "9800.00"},
        "对特困供养人员…在县内定点医疗机构住院治疗起付线以上政策范围内费用100%报销",
    ),
    (
        bill(patient=POOR80),
        {"basic_insurance": "9800.00"},
        "精准扶贫建档立卡户等群体中80岁以上老人,在县内定点医疗机构住院…100%报销",
    ),
    (
        bill(patient=POOR),
        {"basic_insurance": "7350.00"},
        "建档立卡户…80岁以上老人 — a 40-year-old gets the level ratio",
    ),
    (
        bill(**L3_OUT, patient=DESTITUTE),
        {"basic_insurance": "7125.00"},
        "县外公立医院住院治疗的比照同级医疗机构报销比例提高10个百分点 — 特困 level3 75%",
    ),
    (
        bill(**L3_OUT, patient=POOR80),
        {"basic_insurance": "7125.00"},
        "县外公立医院住院治疗的比照同级医疗机构报销比例提高10个百分点 — 建档立卡80岁以上 75%",
    ),
    (
        bill(**L3_PROV, patient=DESTITUTE),
        {"basic_insurance": "6175.00"},
        "县外公立医院…提高10个百分点 — 市外 55% + 10 = 65% (assumption)",
    ),
    (
        bill(patient=SEVERE),
        {"basic_insurance": "7840.00"},
        "对精准扶贫建档立卡的重病患者…在所有定点医疗机构住院治疗…比照同级医疗机构报销比例提高5%",
    ),
    (
        bill(**L3_OUT, patient=SEVERE),
        {"basic_insurance": "6650.00"},
        "在所有定点医疗机构住院治疗…提高5% — out of county 65% + 5, no +10",
    ),
    (
        bill(patient={"groups": ["severe_illness"]}),
        {"basic_insurance": "7350.00"},
        "对精准扶贫建档立卡的重病患者…提高5% — not for a severely ill general resident",
    ),
    (
        bill(**OUTPATIENT),
        {"basic_insurance": "0.00"},
        "在县内定点医疗机构住院治疗 — the first net names no outpatient rate",
    ),
]

HEZHANG_SECOND_NET = [  # 第二张网: 大病补充保险
    (
        bill(total="50000"),
        {"basic_insurance": "37350.00", "critical_illness": "3825.00"},
        "通过基本医疗保障后,政策范围内自付费用大于5000元的,可再到人寿保险公司进行大病补充理赔",
    ),
    (
        bill(**OUTPATIENT, total="20000"),
        {"basic_insurance": "0.00", "critical_illness": "7500.00"},
        "政策范围内自付费用大于5000元的…大病补充理赔 — the clause names no setting: outpatient too",
    ),
    (
        bill(total="50000", patient=DIBAO),
        {"critical_illness": "4825.00"},
        "从2016年10月起,低保对象…大病补充保险起付标准降低到3000元",
    ),
    (
        bill(total="50000", patient={"groups": ["entitled_veteran"]}),
        {"critical_illness": "4825.00"},
        "从2016年10月起,…重点优抚对象…起付标准降低到3000元",
    ),
    (
        bill(total="50000", service_date="2016-09-30", patient=DIBAO),
        {"critical_illness": "3825.00"},
        "从2016年10月起…降低到3000元 — before October: 5000",
    ),
]

HEZHANG_THIRD_NET = [  # 第三张网: 医疗救助
    (
        bill(total="39467", out_of_scope="733", patient={"poverty_status": "destitute", "age": 76}),
        {"basic_insurance": "38534.00", "medical_assistance": "933.00", "patient": "0.00"},
        "对特困供养人员…其因病住院个人医疗费用…由民政局给予全额救助 — 贺遵贤 to the fen",
    ),
    (
        bill(**OUTPATIENT, patient=DESTITUTE),
        {"critical_illness": "2500.00", "medical_assistance": "0.00", "patient": "7500.00"},
        "对特困供养人员…其因病住院个人医疗费用…全额救助 — not an outpatient bill",
    ),
    (
        bill(**OUTPATIENT, patient={"groups": ["entitled_veteran"]}),
        {"medical_assistance": "0.00"},
        "享受抚恤补助的优抚对象等人群,其因病住院个人医疗费用…全额救助 — not an outpatient bill",
    ),
    (
        bill(total="50000", patient={"groups": ["entitled_veteran"]}),
        {"medical_assistance": "7825.00", "patient": "0.00"},
        "享受抚恤补助的优抚对象等人群,其因病住院…由民政局给予全额救助",
    ),
    (
        bill(total="50000", patient=DIBAO),
        {"basic_insurance": "37350.00", "critical_illness": "4825.00", "medical_assistance": "5477.50"},
        "对城乡低保对象个人医疗费用…政策范围内自付费用由民政局按照70%的比例给予救助",
    ),
    (
        bill(**OUTPATIENT, patient=DIBAO),
        {"critical_illness": "3500.00", "medical_assistance": "4550.00"},
        "对城乡低保对象个人医疗费用…70% — the clause names no setting: outpatient too",
    ),
    (
        bill(total="50000", patient=POOR),
        {"critical_illness": "3825.00", "medical_assistance": "2912.50"},
        "对精准扶贫建档立卡的低收入人员因病住院的…超过3000元的,超过部分按照50%的比例给予救助",
    ),
    (
        bill(**OUTPATIENT, total="50000", patient=POOR),
        {"critical_illness": "22500.00", "medical_assistance": "0.00"},
        "对精准扶贫建档立卡的低收入人员因病住院的…50% — not an outpatient bill",
    ),
]


def rows(table: list[tuple[dict[str, Any], dict[str, str], str]]) -> list[Any]:
    """One pytest row per clause, its id the quoted clause."""
    return [pytest.param(data, expected, id=clause) for data, expected, clause in table]


def assert_pays(data: dict[str, Any], expected: dict[str, str]) -> None:
    got = paid(data)
    assert {k: got.get(k) for k in expected} == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    rows(HEZHANG_FIRST_NET + HEZHANG_SECOND_NET + HEZHANG_THIRD_NET),
)
def test_clause(data: dict[str, Any], expected: dict[str, str]) -> None:
    assert_pays(data, expected)


#: Seed 003 篇5 names no county (its places are in none of the shipped regions): the model is shown
#: expressing the clause with a policy built here, not shipped as a region's data.
DIALYSIS_COUNTY = Policy.model_validate(
    {
        "id": "test-dialysis",
        "region": "000000",
        "name": "篇5 县",
        "source": "seed 003 篇5",
        "effective_from": "2019-01-01",
        "layers": [
            {
                "layer": "supplementary",
                "rules": [
                    {
                        "name": "county_budget_dialysis_100_per_session",
                        "zh": "县财政透析补助",
                        "clause": "县财政为透析患者每次补助100元",
                        "when": {"treatment": ["dialysis"]},
                        "base": "remaining_total",
                        "per_session": "100",
                    }
                ],
            }
        ],
    }
)


@pytest.mark.parametrize(
    ("total", "sessions", "kind", "expected"),
    [
        pytest.param("6000", 12, "dialysis", "1200.00", id="县财政为透析患者每次补助100元 — 12 sessions"),
        pytest.param("1000", 12, "dialysis", "1000.00", id="每次补助100元 — never more than what is left to pay"),
        pytest.param("6000", 12, "general", "0.00", id="为透析患者每次补助 — only for dialysis"),
        pytest.param("6000", 12, "chemotherapy", "0.00", id="为透析患者每次补助 — not for chemotherapy sessions"),
        pytest.param("6000", 0, "dialysis", "0.00", id="每次补助100元 — no session, no subsidy"),
    ],
)
def test_dialysis_per_session(total: str, sessions: int, kind: str, expected: str) -> None:
    b = parse_bill(
        bill(service_date="2019-05-01", setting="outpatient", total=total, sessions=sessions, treatment_kind=kind)
    )
    statement, _ = settle(b, DIALYSIS_COUNTY)
    assert statement.layers[0].paid == Decimal(expected)
    assert statement.patient_pays == b.total - Decimal(expected)
