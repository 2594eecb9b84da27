"""The console's actions: each one starts the same Prefect deployment the CLI's flow is served as, through the
Prefect API (``run_deployment``, the run named after its subject), with the signed-in user as actor and a
signed actor assertion as a run tag (``models.actor_assertion``). Adding an action is one ``ACTIONS`` entry:
its subject (case, patient, referral or alarm), deployment, form fields, fixed parameters and the states it is
offered in. Typed notes never go into a run: ``web.action_input`` keeps them in ``console_note``."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from config.actors import load_actors
from config.settings import get_settings
from models.actor_assertion import derive_key, sign
from models.alarms import ACTION_LABELS, PENDING, AlarmStatus
from models.common import local_today
from models.enums import CLOSE_REASON_LABELS, GROUP_LABELS, ActorRole, CaseState, FollowUpOutcome, ReferralStatus
from models.referral_history import DECLINE_LABELS, DeclineReason
from web.labels import CHOICES, POVERTY

Choices = tuple[tuple[str, str], ...]


class Subject(StrEnum):
    """What an action acts on; the URL's folder and the run parameter that names it."""

    CASE = "cases"
    PATIENT = "patients"
    REFERRAL = "referrals"
    ALARM = "alarms"

    @property
    def parameter(self) -> str:
        return {"cases": "case_id", "patients": "patient_id", "referrals": "referral_id", "alarms": "finding_id"}[
            self.value
        ]


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    label: str
    kind: str  # date | money | int | bool | choice | groups | hospital | text | note
    default: str = ""
    choices: Choices = ()
    required: bool = True


@dataclass(frozen=True, slots=True)
class Action:
    key: str
    label: str
    deployment: str  # "<flow name>/<deployment name>" (runtime/deployments.py)
    fields: tuple[Field, ...]
    states: frozenset[str] = frozenset()  # offered for subjects in these states (empty: always)
    subject: Subject = Subject.CASE
    fixed: dict[str, str] = field(default_factory=dict)  # parameters the form does not ask

    def offered(self, state: str) -> bool:
        return not self.states or state in self.states


def _day(name: str, label: str, required: bool = True) -> Field:
    return Field(name, label, "date", required=required)


def _labels(labels: dict[Any, str]) -> Choices:
    return tuple((k.value, v) for k, v in labels.items())


def _note(label: str = "原因（记入审计，仅保存在本系统）", required: bool = True, name: str = "reason") -> Field:
    return Field(name, label, "note", required=required)


def _persons() -> Choices:
    return tuple((a.id, a.display) for a in load_actors() if a.role != ActorRole.SYSTEM)


S = CaseState
OPEN_CASE = frozenset(s.value for s in CaseState if s not in (S.CLOSED,))
CASE_ACTIONS: tuple[Action, ...] = (
    Action("confirm", "确诊并分类", "confirm-diagnosis/confirm",
           (_day("confirmed_on", "确诊日期"), Field("icd10", "确诊诊断编码 ICD-10（可选）", "text", required=False)),
           frozenset({S.SCREENED, S.CONFIRMED})),
    Action("refer", "转诊", "refer-case/refer",
           (_day("referred_on", "转诊日期"), Field("urgent", "绿色通道（急诊）", "bool", "false"),
            Field("direction", "转诊方向", "choice", "initial", tuple(CHOICES["direction"])),
            Field("hospital", "定点医院（留空则按推荐）", "hospital", required=False)),
           frozenset({S.TRIAGED, S.REFERRED, S.IN_TREATMENT, S.UNDER_MAINTENANCE, S.UNDER_MANAGEMENT})),
    Action("admit", "入院", "admit-case/admit", (_day("admitted_on", "入院日期"),),
           frozenset({S.REFERRED, S.UNDER_MAINTENANCE, S.UNDER_MANAGEMENT})),
    Action("discharge", "出院", "discharge-case/discharge",
           (_day("discharged_on", "出院日期"), Field("total_cost", "医疗总费用（元）", "money"),
            Field("out_of_scope", "目录外费用（元）", "money", "0"), Field("sessions", "治疗次数", "int", "0")),
           frozenset({S.IN_TREATMENT})),
    Action("follow-up", "随访", "record-follow-up/follow-up",
           (_day("followed_on", "随访日期"),
            Field("outcome", "随访结果", "choice", FollowUpOutcome.STABLE.value, tuple(CHOICES["outcome"]))),
           frozenset({S.SETTLED, S.CURED, S.UNDER_MAINTENANCE, S.UNDER_MANAGEMENT, S.DISCHARGED})),
    Action("relapse", "复发", "relapse-case/relapse", (_day("relapsed_on", "复发日期"),), frozenset({S.CURED})),
    Action("diagnosis", "更正诊断", "correct-diagnosis/diagnosis",
           (Field("icd10", "正确的诊断编码 ICD-10", "text"), _day("corrected_on", "更正日期"), _note()), OPEN_CASE),
    Action("close", "结案", "close-case/close",
           (Field("why", "结案原因", "choice", "", _labels(CLOSE_REASON_LABELS)),
            _day("closed_on", "结案日期（留空为今天）", required=False), _note()), OPEN_CASE),
    Action("undo", "撤销上一步", "undo-step/undo", (_note(),)),
)  # fmt: skip
PATIENT_ACTIONS: tuple[Action, ...] = (
    Action("status", "更正贫困属性", "correct-poverty-status/status",
           (Field("poverty_status", "贫困属性", "choice", "", tuple(POVERTY.items())),
            _day("effective_from", "生效日期"), _note()), subject=Subject.PATIENT),
    Action("groups", "特殊人群", "change-patient-groups/groups",
           (Field("add", "加入", "groups", choices=_labels(GROUP_LABELS), required=False),
            Field("remove", "退出", "groups", choices=_labels(GROUP_LABELS), required=False),
            _day("effective_from", "生效日期"), _note()), subject=Subject.PATIENT),
    Action("sign", "家庭医生签约", "sign-contract/sign",
           (Field("team", "家庭医生团队", "text"), _day("signed_from", "签约日期"),
            Field("years", "签约年限（年）", "int", "1"),
            Field("institution", "签约机构编码（可选）", "text", required=False), _note()), subject=Subject.PATIENT),
    Action("renew", "续约", "renew-contract/renew",
           (_day("renew_from", "续约开始日期（留空则接续原合同）", required=False),
            Field("team", "更换团队（可选）", "text", required=False), Field("years", "签约年限（年）", "int", "1"),
            _note()), subject=Subject.PATIENT),
    Action("end", "解约", "end-contract/end", (_day("ended_on", "解约日期"), _note()), subject=Subject.PATIENT),
)  # fmt: skip
REFERRAL_ACTIONS: tuple[Action, ...] = (
    Action("accept", "医院接收", "accept-referral/accept", (_day("accepted_on", "接收日期"),),
           frozenset({ReferralStatus.PENDING.value}), Subject.REFERRAL),
    Action("decline", "医院拒收", "decline-referral/decline",
           (_day("declined_on", "拒收日期"),
            Field("reason", "拒收原因", "choice", DeclineReason.NO_BED.value, _labels(DECLINE_LABELS))),
           frozenset({ReferralStatus.PENDING.value, ReferralStatus.ACCEPTED.value}), Subject.REFERRAL),
)  # fmt: skip
PENDING_ALARM = frozenset(s.value for s in PENDING)
ALARM_ACTIONS: tuple[Action, ...] = (
    Action("acknowledge", "核实", "alarm-step/alarm", (_note("核实情况", True, "note"),),
           frozenset({AlarmStatus.OPEN.value}), Subject.ALARM, {"step": "acknowledge"}),
    Action("assign", "分派", "alarm-step/alarm", (Field("assignee", "责任人", "choice", "", _persons()),),
           PENDING_ALARM, Subject.ALARM, {"step": "assign"}),
    Action("handle", "处置", "alarm-step/alarm",
           (Field("action", "处置措施", "choice", "", _labels(ACTION_LABELS)),
            _note("处置说明（可选）", False, "note")),
           PENDING_ALARM, Subject.ALARM, {"step": "handle"}),
    Action("dismiss", "排除", "alarm-step/alarm", (_note("排除理由", True, "note"),), PENDING_ALARM, Subject.ALARM,
           {"step": "dismiss"}),
)  # fmt: skip
ACTIONS = CASE_ACTIONS + PATIENT_ACTIONS + REFERRAL_ACTIONS + ALARM_ACTIONS
BY_KEY = {(a.subject, a.key): a for a in ACTIONS}


def today() -> str:
    return local_today(get_settings().timezone).isoformat()


@dataclass(frozen=True, slots=True)
class RunState:
    done: bool
    ok: bool
    message: str  # one Chinese line


class Runner(Protocol):
    async def start(self, deployment: str, parameters: dict[str, Any], name: str, tags: list[str]) -> str: ...

    async def state(self, run_id: str) -> tuple[RunState, dict[str, Any]]: ...


def assertion_tag(actor: str, deployment: str, params: dict[str, Any]) -> str:
    key = derive_key(get_settings().identity_key.get_secret_value(), b"actor-assertion")
    return sign(key, actor, deployment, params, time.time())


async def start(runner: Runner, action: Action, params: dict[str, Any]) -> str:
    """Starts the deployment run; returns its id. The run is named after its subject: ``close-cases-31``."""
    subject_id = params[action.subject.parameter]
    tags = ["console", assertion_tag(params["actor"], action.deployment, params)]
    name = f"{action.key}-{action.subject.value.removesuffix('s')}-{subject_id}"
    return await runner.start(action.deployment, params, name, tags)
