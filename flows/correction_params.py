"""Run-form fields of the correction and contract deployments (Chinese title and description, as in
``flows.params``). A reason is audit text: 1 to 200 characters, never an ID-shaped number (the server refuses
the run before storing it)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field

from flows.params import NoIdText, form
from models.enums import CLOSE_REASON_LABELS, GROUP_LABELS, CloseReason, PatientGroup, PovertyStatus

STATUS_LABELS = {
    PovertyStatus.REGISTERED_POOR: "建档立卡",
    PovertyStatus.MINIMUM_LIVING: "低保",
    PovertyStatus.DESTITUTE: "特困/五保",
    PovertyStatus.EDGE: "边缘户",
    PovertyStatus.MONITORED: "监测户",
    PovertyStatus.GENERAL: "普通居民",
}


def _choices(labels: dict[PovertyStatus, str] | dict[PatientGroup, str] | dict[CloseReason, str]) -> str:
    return "，".join(f"{k.value}={v}" for k, v in labels.items())


Reason = Annotated[
    NoIdText,
    Field(min_length=1, max_length=200),
    form("更正原因 Reason", "为什么更正（记入审计，不要写身份证号或姓名）。Why: kept in the audit with the actor."),
]
EffectiveFrom = Annotated[
    date, form("生效日期 (YYYY-MM-DD)", "从这一天起生效（之前的住院仍按原来的属性结算）。Effective from, YYYY-MM-DD.")
]
Status = Annotated[
    PovertyStatus, form("贫困属性 Poverty status", _choices(STATUS_LABELS) + "。Poverty status from that day.")
]
OptGroups = Annotated[
    list[PatientGroup] | None,
    form("特殊人群 Groups", _choices(GROUP_LABELS) + "。Special groups (可多选 several).", uniqueItems=True),
]
Why = Annotated[CloseReason, form("结案原因 Close reason", _choices(CLOSE_REASON_LABELS) + "。Why the case closes.")]
ClosedOn = Annotated[
    date | None,
    form(
        "结案日期（可选） Closed on",
        "结案之日（如死亡、迁出之日），留空为今天。Closed on (YYYY-MM-DD), default today.",
    ),
]
CorrectedOn = Annotated[
    date, form("更正日期 (YYYY-MM-DD)", "按这一天的病种目录重新分类。Date the catalogue is read on, YYYY-MM-DD.")
]
CorrectIcd10 = Annotated[
    str,
    Field(max_length=16, pattern=r"^[A-Za-z][0-9]{2}(\.[0-9A-Za-z]{1,4})?$"),
    form("正确的诊断编码 ICD-10", "更正后的 ICD-10 编码，如 I12.0；病例随之重新分类。Corrected ICD-10 code."),
]
Team = Annotated[
    NoIdText,
    Field(min_length=1, max_length=40),
    form("家庭医生团队 Team", "签约的家庭医生团队编号或名称，如 城关镇-1团队。Family-doctor team."),
]
Text40 = Annotated[NoIdText, Field(min_length=1, max_length=40)]
OptTeam = Annotated[
    Text40 | None,
    form("家庭医生团队（可选） Team", "续约时更换团队才填写；留空沿用原团队。New team (optional)."),
]
Institution = Annotated[
    Text40 | None,
    form(
        "签约机构编码（可选） Institution",
        "签约的基层医疗机构编码（hospitals.yaml），须在患者所在县。Institution code.",
    ),
]
SignedFrom = Annotated[date, form("签约日期 (YYYY-MM-DD)", "合同从这一天开始。Contract start, YYYY-MM-DD.")]
RenewFrom = Annotated[
    date | None,
    form("续约开始日期（可选） (YYYY-MM-DD)", "留空则从原合同到期的次日开始。Start; default the day after expiry."),
]
EndedOn = Annotated[date, form("解约日期 (YYYY-MM-DD)", "合同在这一天终止。Day the contract ends, YYYY-MM-DD.")]
Years = Annotated[int, Field(ge=1, le=10), form("签约年限 Years", "合同期限（年），通常 1 年。Term in years.")]
