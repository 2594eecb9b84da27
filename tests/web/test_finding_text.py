"""Nightly reasons read in Chinese on the console (stored in the system's English words)."""

from __future__ import annotations

import pytest

from web.finding_text import finding_reason


@pytest.mark.parametrize(
    ("stored", "shown", "why"),
    [
        ("follow-up interval exceeded", "超过随访间隔未随访", "overdue follow-up"),
        ("too long in state confirmed", "在“已确诊”状态停留过久", "stuck, with the state's label"),
        ("system says general, external list says registered_poor", "系统为普通居民，外部名单为建档立卡", "四个一致"),
        ("lifted_year_over_half_income: 9354.50 > 4045.00",
         "自付 9,354.50 元，超过限额 4,045.00 元（规则 lifted_year_over_half_income）", "a poverty alarm's amounts"),
        ("something new", "something new", "an unknown reason is shown as stored, never dropped"),
    ],
)  # fmt: skip
def test_finding_reason(stored: str, shown: str, why: str) -> None:
    assert finding_reason(stored) == shown, why
