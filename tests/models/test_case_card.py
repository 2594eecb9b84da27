"""The Chinese step note a coordinator reads in a run (models/case_card.py): names, not bare codes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from models.case_card import CaseCard, markdown
from models.enums import CaseState, HospitalLevel


@pytest.mark.parametrize(
    ("card", "line"),
    [
        (  # the catalogue's Chinese name first, the code after it
            CaseCard(
                1, CaseState.TRIAGED, True, disease_code="hypertension", disease_name="高血压", category="long_term"
            ),
            "- 分类救治：需要长期治疗和健康管理 (long_term)，病种 高血压 (hypertension)",
        ),
        (  # a code the catalogue no longer knows: the code alone
            CaseCard(1, CaseState.TRIAGED, True, disease_code="retired", category="long_term"),
            "- 分类救治：需要长期治疗和健康管理 (long_term)，病种 retired",
        ),
        (
            CaseCard(2, CaseState.REFERRED, True, hospital=("520527-PH", "赫章县人民医院", HospitalLevel.LEVEL2)),
            "- 定点医院：赫章县人民医院（二级，编码 520527-PH）",
        ),
        (  # reimbursed = total − patient pays, both to the fen
            CaseCard(3, CaseState.SETTLED, True, settlement=(7, Decimal("38734.00"), Decimal("6125.57"))),
            "- 一站式结算：结算单 7，总费用 38734.00 元，各级报销 32608.43 元，个人自付 6125.57 元",
        ),
        (
            CaseCard(
                4, CaseState.DISCHARGED, True, discharge=(1, date(2017, 4, 28), Decimal("10.00"), Decimal("0.00"))
            ),
            "- 出院：2017-04-28，医疗总费用 10.00 元，目录外 0.00 元（住院 1）",
        ),
    ],
)
def test_the_step_note_names_things_in_chinese(card: CaseCard, line: str) -> None:
    assert line in markdown("确诊并分类", card).splitlines()
