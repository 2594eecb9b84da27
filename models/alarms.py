"""Alarm lifecycle (预警 → 核实 → 处置 → 销号) of the nightly findings: statuses, the coordinator's actions,
the append-only audit of every step, and the pure rule saying which step is allowed from which status.

A finding row (``models.findings.Finding``) *is* the alarm: it opens once per (kind, subject) and stays
open while its condition holds (``cleared_on`` empty). Coordinators move its ``status``; the nightly run
clears it when the condition ends (自动销号) and escalates it to the prefecture when it stays unhandled.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlmodel import Field, SQLModel

from models.common import enum_field, utcnow
from models.errors import BadInput


class AlarmStatus(StrEnum):
    OPEN = "open"  # 预警
    ACKNOWLEDGED = "acknowledged"  # 核实
    ASSIGNED = "assigned"  # 处置中
    HANDLED = "handled"  # 已处置
    DISMISSED = "dismissed"  # 已排除
    RESOLVED = "resolved"  # 条件消失，自动销号

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    AlarmStatus.OPEN: "预警",
    AlarmStatus.ACKNOWLEDGED: "已核实",
    AlarmStatus.ASSIGNED: "处置中",
    AlarmStatus.HANDLED: "已处置",
    AlarmStatus.DISMISSED: "已排除",
    AlarmStatus.RESOLVED: "已销号（条件消失）",
}

#: Statuses a coordinator still has to act on (the "unhandled" that escalates).
PENDING = frozenset({AlarmStatus.OPEN, AlarmStatus.ACKNOWLEDGED, AlarmStatus.ASSIGNED})


class AlarmAction(StrEnum):
    """What was done about an alarm (处置措施), a fixed list."""

    ASSISTANCE_GRANTED = "assistance_granted"
    ADDED_TO_MONITORING = "added_to_monitoring"
    DATA_CORRECTED = "data_corrected"
    FOLLOW_UP_DONE = "follow_up_done"
    CONTRACT_SIGNED = "contract_signed"
    REFERRED_FOR_TREATMENT = "referred_for_treatment"
    CASE_RETRIAGED = "case_retriaged"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS = {
    AlarmAction.ASSISTANCE_GRANTED: "已给予救助",
    AlarmAction.ADDED_TO_MONITORING: "已纳入防返贫监测",
    AlarmAction.DATA_CORRECTED: "已更正数据",
    AlarmAction.FOLLOW_UP_DONE: "已完成随访",
    AlarmAction.CONTRACT_SIGNED: "已签约家庭医生",
    AlarmAction.REFERRED_FOR_TREATMENT: "已转诊救治",
    AlarmAction.CASE_RETRIAGED: "已重新分类处置",
}


class AlarmStep(StrEnum):
    """One audited step of an alarm's life."""

    ACKNOWLEDGE = "acknowledge"  # 核实 (with a note)
    ASSIGN = "assign"
    HANDLE = "handle"  # 处置 (with an action)
    DISMISS = "dismiss"  # 排除 (with a reason)
    RESOLVE = "resolve"  # the nightly run: the condition ended
    ESCALATE = "escalate"  # the nightly run: unhandled past the limit, raised to the prefecture

    @property
    def label(self) -> str:
        return STEP_LABELS[self]


STEP_LABELS = {
    AlarmStep.ACKNOWLEDGE: "核实",
    AlarmStep.ASSIGN: "分派",
    AlarmStep.HANDLE: "处置",
    AlarmStep.DISMISS: "排除",
    AlarmStep.RESOLVE: "自动销号",
    AlarmStep.ESCALATE: "升级至市级",
}

#: Coordinator step → (statuses it may start from, status it leads to).
MOVES: dict[AlarmStep, tuple[frozenset[AlarmStatus], AlarmStatus]] = {
    AlarmStep.ACKNOWLEDGE: (frozenset({AlarmStatus.OPEN}), AlarmStatus.ACKNOWLEDGED),
    AlarmStep.ASSIGN: (PENDING, AlarmStatus.ASSIGNED),
    AlarmStep.HANDLE: (PENDING, AlarmStatus.HANDLED),
    AlarmStep.DISMISS: (PENDING, AlarmStatus.DISMISSED),
}


class AlarmStepRefused(BadInput):
    """A step not allowed from the alarm's status (nothing written)."""

    def __init__(self, status: AlarmStatus, step: AlarmStep) -> None:
        super().__init__("step", f"alarm is {status.value} ({status.label}): cannot {step.value} ({step.label})")


def next_status(status: AlarmStatus, step: AlarmStep) -> AlarmStatus:
    """The status a coordinator's step leads to; raises AlarmStepRefused when not allowed from ``status``."""
    if step not in MOVES:
        raise BadInput("step", f"{step.value} is the nightly run's step, not a coordinator's")
    allowed, target = MOVES[step]
    if status not in allowed:
        raise AlarmStepRefused(status, step)
    return target


def escalate_before(night: date, days: int) -> date:
    """Alarms opened before this date and still unhandled on ``night`` escalate."""
    return night - timedelta(days=days)


class AlarmEvent(SQLModel, table=True):
    """Audit of an alarm's life: appended, never updated. Opening is the finding row itself."""

    __tablename__ = "alarm_event"

    id: int | None = Field(default=None, primary_key=True)
    finding_id: int = Field(foreign_key="finding.id", index=True)
    step: AlarmStep = enum_field(AlarmStep)
    actor: str = Field(max_length=60)
    note: str = Field(default="", max_length=200)
    action: AlarmAction | None = enum_field(AlarmAction, default=None, nullable=True)
    assignee: str | None = Field(default=None, max_length=60)
    night: date | None = None
    at: datetime = Field(default_factory=utcnow)
