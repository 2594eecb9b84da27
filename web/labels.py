"""What a coordinator reads: region and hospital names, Chinese state/category labels, dates, 元, percentages.
Registered as Jinja filters (``web.app``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from config.catalogue import load_catalogue, load_hospitals, load_regions
from config.settings import get_settings
from models.alarms import STATUS_LABELS as ALARM_STATUS_LABELS
from models.case_card import REASON_LABELS
from models.common import FEN
from models.enums import (
    CATEGORY_LABELS,
    CLOSE_REASON_LABELS,
    FOLLOW_UP_LABELS,
    STATE_LABELS,
    CaseState,
    Category,
    FollowUpOutcome,
    ReferralDirection,
    ReferralStatus,
)
from models.findings import KIND_LABELS
from models.referral_history import DECLINE_LABELS
from web.row_errors import row_error

REFERRAL_STATUS = {
    ReferralStatus.PENDING: "待接收",
    ReferralStatus.ACCEPTED: "已接收",
    ReferralStatus.DECLINED: "已拒收",
    ReferralStatus.ADMITTED: "已入院",
    ReferralStatus.CANCELLED: "已撤销",
}
DIRECTION = {ReferralDirection.INITIAL: "首次转诊", ReferralDirection.UP: "上转", ReferralDirection.DOWN: "下转"}
FINDING = KIND_LABELS
METHODS = {"health_check": "健康体检", "five_step": "五步筛查法"}
POVERTY = {
    "registered_poor": "建档立卡",
    "minimum_living": "低保",
    "destitute": "特困",
    "edge": "边缘户",
    "monitored": "监测户",
    "general": "普通居民",
}


@lru_cache(maxsize=1)
def _regions() -> dict[str, str]:
    return {r.code: r.name for r in load_regions().regions}


def region_name(code: str | None) -> str:
    if not code:
        return "全部地区"
    return _regions().get(code, code)


def scope_name(prefix: str) -> str:
    """A 2/4/6-digit scope prefix as a name (贵州省 scope 52 shows its counties' common province)."""
    if len(prefix) == 6:
        return region_name(prefix)
    names = [n for c, n in _regions().items() if c.startswith(prefix)]
    return f"{prefix} 下 {len(names)} 个县区" if names else prefix


@lru_cache(maxsize=1)
def _hospitals() -> dict[str, str]:
    return {h.code: h.name for h in load_hospitals()}


def hospital_name(code: str | None) -> str:
    return "—" if not code else _hospitals().get(code, code)


def disease(code: str | None) -> str:
    """病种 name of a catalogue disease code (``hypertension`` → 高血压)."""
    found = load_catalogue().get(code) if code else None
    return found.name_zh if found else (code or "—")


def _label(table: dict[Any, str], value: Any) -> str:
    if value is None or value == "":
        return "—"
    for key, text in table.items():
        if str(key) == str(value):
            return text
    return str(value)


def state(value: Any) -> str:
    return _label(STATE_LABELS, value)


def category(value: Any) -> str:
    return _label(CATEGORY_LABELS, value)


def outcome(value: Any) -> str:
    return _label(FOLLOW_UP_LABELS, value)


def ymd(value: date | datetime | None) -> str:
    """YYYY-MM-DD; a timestamp in the county's time zone with its minutes."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        zone = ZoneInfo(get_settings().timezone)
        aware = value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))
        return aware.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def yuan(value: Decimal | str | None) -> str:
    if value is None or value == "":
        return "—"
    return f"{Decimal(value).quantize(FEN):,.2f} 元"


def percent(value: Decimal | float | str | None, places: int = 1) -> str:
    """A ratio (0..1) as a percentage."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(str(value)) * 100:.{places}f}%"


def referral_status(value: Any) -> str:
    return _label(REFERRAL_STATUS, value)


def direction(value: Any) -> str:
    return _label(DIRECTION, value)


def finding(value: Any) -> str:
    return _label(FINDING, value)


def poverty(value: Any) -> str:
    return _label(POVERTY, value)


#: Why a case moved or a referral changed, as the steps record it (English) → what a coordinator reads.
REASONS = {
    "screening intake": "筛查导入",
    "diagnosis confirmed": "确诊",
    "suspicion ruled out": "排除疑似",
    "triaged by catalogue": "按病种目录分类",
    "duplicate of an open case of the same disease": "同一病种已有未结病例",
    "admitted": "入院",
    "discharged": "出院",
    "one-stop settlement": "一站式结算",
    "outcome after settlement": "结算后转归",
    "relapse": "复发",
    "referral declined; waiting": "转诊被拒收，等待其他医院",
    "status at registration": "登记时的状态",
    "duplicate": "重复建档",
    "already done": "此前已完成",
    "superseded": "协调员改转其他医院",
    **{f"{d.value} referral": text for d, text in DIRECTION.items()},
}


def reason(value: str | None) -> str:
    """A recorded reason in Chinese; a coordinator's own words (corrections) and anything unknown as they are."""
    if not value:
        return "—"
    if value.startswith("admitted again ("):
        return f"再次入院（原状态：{state(value.removeprefix('admitted again (').rstrip(')'))}）"
    return REASONS.get(value, value)


#: Why a case stands where it is (``Case.state_reason``): held by triage or referral, or closed.
STATE_REASONS = {**REASON_LABELS, **{k.value: v for k, v in CLOSE_REASON_LABELS.items()}}


def state_reason(value: Any) -> str:
    """``Case.state_reason`` in Chinese; anything unknown as it is."""
    text = str(value or "")
    return STATE_REASONS.get(text, text)


def decline(value: Any) -> str:
    return _label(DECLINE_LABELS, value)


def alarm_status(value: Any) -> str:
    return _label(ALARM_STATUS_LABELS, value)


FILTERS: dict[str, Callable[..., str]] = {
    "region": region_name,
    "disease": disease,
    "hospital": hospital_name,
    "state": state,
    "category": category,
    "outcome": outcome,
    "ymd": ymd,
    "yuan": yuan,
    "percent": percent,
    "referral_status": referral_status,
    "direction": direction,
    "finding": finding,
    "poverty": poverty,
    "decline": decline,
    "alarm_status": alarm_status,
    "row_error": row_error,
    "reason": reason,
    "state_reason": state_reason,
}
CHOICES = {
    "state": [(s.value, STATE_LABELS[s]) for s in CaseState],
    "category": [(c.value, CATEGORY_LABELS[c]) for c in Category],
    "outcome": [(o.value, FOLLOW_UP_LABELS[o]) for o in FollowUpOutcome],
    "direction": [(d.value, DIRECTION[d]) for d in ReferralDirection],
}
