"""A coordinator's step on an alarm (预警处置): 核实 / 分派 / 处置 / 排除, audited. Orchestration only."""

from __future__ import annotations

from typing import Annotated

from prefect import flow

from flows.context import run_context
from flows.params import Actor, NoIdText, form
from models.alarms import AlarmAction, AlarmStatus, AlarmStep
from tasks.alarms.actions import AlarmStepRequest, alarm_step

AlarmId = Annotated[int, form("预警编号 Alarm id", "预警名单中的编号。The alarm's id in the list.")]
Step = Annotated[
    AlarmStep,
    form(
        "操作 Step",
        "acknowledge 核实 / assign 分派 / handle 处置 / dismiss 排除。",
        enum=["acknowledge", "assign", "handle", "dismiss"],
    ),
]
Note = Annotated[NoIdText, form("说明 Note", "核实情况或排除理由（核实、排除必填）。Note or reason.")]
Action = Annotated[
    AlarmAction | None, form("处置措施 Action", "处置时必选：救助、纳入监测、更正数据等。Required to handle.")
]
Assignee = Annotated[str | None, form("责任人 Assignee", "分派给谁（内部编号）。Who handles it (internal id).")]


@flow(name="alarm-step")
def alarm_step_flow(
    finding_id: AlarmId, step: Step, actor: Actor, note: Note = "", action: Action = None, assignee: Assignee = None
) -> AlarmStatus:
    """预警处置：核实、分派、处置（选择措施）或排除（填写理由），每一步留痕。
    Acknowledge, assign, handle (with an action) or dismiss (with a reason) one alarm; audited."""
    with run_context(actor=actor):
        return alarm_step(AlarmStepRequest(finding_id=finding_id, step=step, actor=actor, note=note, action=action,
                                           assignee=assignee))  # fmt: skip
