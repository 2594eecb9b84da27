"""One row per clause of seed 002 (新平县建兴乡健康扶贫 2017, 二(五)3 and 二(六)), each id quoting the clause.
Bills: 10,000 yuan in scope at a level-2 hospital in county unless a row says otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from tests.models.settlement.test_clauses_hezhang import L3_PROV, OUTPATIENT, POOR, assert_pays, rows
from tests.models.settlement.test_engine import bill

XP: dict[str, Any] = {"region": "530427", "service_date": "2017-06-01"}  # 新平 2017

XINPING = [  # seed 002 (五)3 and (六)
    (
        bill(**XP, **OUTPATIENT, hospital_level="township", total="80", patient=POOR),
        {"basic_insurance": "80.00", "patient": "0.00"},
        "建档立卡贫困人员在县域内基层卫生医疗机构发生的一般诊疗费,由基本医疗保险基金全额支付",
    ),
    (
        bill(**XP, **OUTPATIENT, hospital_level="township", total="80"),
        {"basic_insurance": "0.00", "patient": "80.00"},
        "建档立卡贫困人员…一般诊疗费…全额支付 — not a general resident",
    ),
    (
        bill(**XP, **OUTPATIENT, total="80", patient=POOR),
        {"basic_insurance": "0.00"},
        "在县域内基层卫生医疗机构发生的一般诊疗费 — not at a level-2 hospital",
    ),
    (
        bill(**XP, hospital_level="township", patient=POOR),
        {"basic_insurance": "10000.00"},
        "建档立卡贫困人员住院,不设起付标准。合规医疗费用:在乡镇卫生院全额报销",
    ),
    (
        bill(**XP, hospital_level="level1", patient=POOR),
        {"basic_insurance": "8500.00"},
        "在其他一级定点医疗机构支付比例为85%",
    ),
    (
        bill(**XP, hospital_level="level1"),
        {"basic_insurance": "8330.00"},
        "在其他一级定点医疗机构支付比例为85% — general, not raised: 85% above 200 (assumed deductible)",
    ),
    (
        bill(**XP, hospital_level="township"),
        {"basic_insurance": "8415.00"},
        "在乡镇卫生院全额报销 — for the poor; general township 85% above 100 (assumption)",
    ),
    (
        bill(**XP, patient=POOR),
        {"basic_insurance": "8000.00"},
        "在二级定点医疗机构支付比例在现行基础上提高10个百分点为80%",
    ),
    (
        bill(**XP),
        {"basic_insurance": "6720.00"},
        "二级…在现行基础上提高10个百分点为80% — general: 70% above 400",
    ),
    (
        bill(**XP, hospital_level="level3", patient=POOR),
        {"basic_insurance": "7000.00"},
        "在三级定点医疗机构支付比例在现行基础上提高15个百分点为70%",
    ),
    (
        bill(**XP, hospital_level="level3"),
        {"basic_insurance": "5060.00"},
        "三级…在现行基础上提高15个百分点为70% — general: 55% above 800",
    ),
    (
        bill(**XP, **L3_PROV, patient=POOR),
        {"basic_insurance": "7000.00"},
        "在省外定点医疗机构支付比例在现行基础上提高20个百分点为70%",
    ),
    (
        bill(**XP, **L3_PROV),
        {"basic_insurance": "4600.00"},
        "省外…在现行基础上提高20个百分点为70% — general: 50% above 800",
    ),
    (
        bill(**XP, total="300000", hospital_level="township", patient=POOR),
        {"basic_insurance": "200000.00", "critical_illness": "100000.00", "patient": "0.00"},
        "基本医疗保险支付累计达到最高支付限额后,直接进入大病保险。在乡镇卫生院合规医疗费用全额支付",
    ),
    (
        bill(**XP, total="300000", patient=POOR),
        {"basic_insurance": "200000.00", "critical_illness": "85000.00", "patient": "15000.00"},
        "在其他定点医疗机构支付比例85%",
    ),
    (
        bill(**XP, total="600000", hospital_level="township", patient=POOR),
        {"basic_insurance": "200000.00", "critical_illness": "300000.00", "patient": "100000.00"},
        "年度最高支付限额提高50%30万元",
    ),
    (
        bill(**XP, total="300000", hospital_level="township"),
        {"basic_insurance": "200000.00", "critical_illness": "0.00"},
        "建档立卡贫困人员…直接进入大病保险 — the seed gives no general critical-illness rate (assumption)",
    ),
    (
        bill(
            **XP,
            hospital_level="township",
            total="3000",
            out_of_scope="2500",
            treatment_kind="delivery",
            patient=POOR,
        ),
        {"basic_insurance": "500.00", "supplementary": "2200.00", "patient": "300.00"},
        "对农村巩固户妇女住院分娩给予一次性包干2200元补助",
    ),
    (
        bill(
            **XP,
            hospital_level="township",
            total="1500",
            out_of_scope="1000",
            treatment_kind="delivery",
            patient=POOR,
        ),
        {"basic_insurance": "500.00", "supplementary": "1000.00", "patient": "0.00"},
        "一次性包干2200元补助 — never more than what is left to pay",
    ),
    (
        bill(**XP, hospital_level="township", total="3000", out_of_scope="2500", patient=POOR),
        {"supplementary": "0.00", "patient": "2500.00"},
        "妇女住院分娩给予一次性包干2200元补助 — only for a delivery",
    ),
    (
        bill(**XP, hospital_level="township", total="3000", out_of_scope="2500", treatment_kind="delivery"),
        {"supplementary": "0.00"},
        "对农村巩固户妇女住院分娩 — 巩固户 read as registered-poor households (assumption)",
    ),
]


@pytest.mark.parametrize(("data", "expected"), rows(XINPING))
def test_clause(data: dict[str, Any], expected: dict[str, str]) -> None:
    assert_pays(data, expected)
