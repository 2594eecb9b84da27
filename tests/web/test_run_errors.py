"""A failed run's message becomes one line led by Chinese (known errors), never a traceback."""

from __future__ import annotations

import pytest

from web.prefect_runner import one_line


@pytest.mark.parametrize(
    ("reason", "message", "expected"),
    [
        ("a refused actor", "Flow run encountered an exception: AccessDenied: access denied: actor x may not act",
         "无权操作：access denied: actor x may not act"),
        ("a run without the console's signature", "Flow run encountered an exception: AssertionRefused: access denied",
         "无权操作（未经控制台签名）：access denied"),
        ("a traceback: only its last line", "Traceback (most recent call last):\n  File x\nIllegalTransition: a → b",
         "当前状态不允许此操作：a → b"),
        ("a correction the data does not allow", "CorrectionRefused: case 7: no contract in force on 2018-09-01",
         "不能更正：case 7: no contract in force on 2018-09-01"),
        ("an alarm step from the wrong status",
         "AlarmStepRefused: alarm is handled (已处置): cannot acknowledge (核实)",
         "当前预警状态不允许此步骤：alarm is handled (已处置): cannot acknowledge (核实)"),
        ("nothing said", None, "未知错误"),
    ],
)  # fmt: skip
def test_one_line(reason: str, message: str | None, expected: str) -> None:
    assert one_line(message) == expected
