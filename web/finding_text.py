"""A nightly finding's reason (stored in English, the system's own words) as a coordinator reads it."""

from __future__ import annotations

import re
from collections.abc import Callable

from web import labels

_EXACT = {
    "follow-up interval exceeded": "超过随访间隔未随访",
    "no family-doctor contract": "未签约家庭医生",
    "family-doctor contract expired": "家庭医生签约已过期",
    "family-doctor contract expires soon": "家庭医生签约即将到期",
}
_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^not treated after triage; waiting in (\w+)\s*(.*)$"),
     lambda m: f"分类后未救治：停留在“{labels.state(m[1])}”" + (f"（{m[2]}）" if m[2] else "")),
    (re.compile(r"^too long in state (\w+)$"), lambda m: f"在“{labels.state(m[1])}”状态停留过久"),
    (re.compile(r"^system says (\w+), external list says (\w+)$"),
     lambda m: f"系统为{labels.poverty(m[1])}，外部名单为{labels.poverty(m[2])}"),
    (re.compile(r"^no longer a special disease"), lambda m: "按现行目录不再属于专项病种，请协调员处理"),
    (re.compile(r"^re-triaged (\S+) -> (\S+): the patient has a case of it already$"),
     lambda m: f"应重新分类为 {m[2]}，但患者已有该病种病例，请协调员处理"),
    (re.compile(r"^re-triaged (\S+) -> (\S+)"), lambda m: f"按现行目录重新分类：{m[1]} → {m[2]}"),
    (re.compile(r"^(\w+): ([0-9.]+) > ([0-9.]+)$"),
     lambda m: f"自付 {labels.yuan(m[2])}，超过限额 {labels.yuan(m[3])}（规则 {m[1]}）"),
]  # fmt: skip


def finding_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if text in _EXACT:
        return _EXACT[text]
    for pattern, render in _PATTERNS:
        if found := pattern.match(text):
            return render(found)
    return text
