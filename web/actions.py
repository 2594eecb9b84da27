"""A patient page's actions: each one starts the same Prefect deployment the CLI's flow is served as, through
the Prefect API (``run_deployment``, the run named after the case), with the signed-in user as actor and a
signed actor assertion as a run tag (``models.actor_assertion``). Adding an action is one ``ACTIONS`` entry:
its name, deployment, form fields (and the case states it is offered in)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from config.settings import get_settings
from models.actor_assertion import derive_key, sign
from models.common import local_today
from models.enums import CaseState, FollowUpOutcome, ReferralDirection
from models.settlement.bill import BillError, parse_money
from web.labels import CHOICES

MAX_INT = 2_147_483_647


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    label: str
    kind: str  # date | money | int | bool | choice | text
    default: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    required: bool = True


@dataclass(frozen=True, slots=True)
class Action:
    key: str
    label: str
    deployment: str  # "<flow name>/<deployment name>" (runtime/deployments.py)
    fields: tuple[Field, ...]
    states: frozenset[CaseState] = frozenset()  # offered for cases in these states (empty: always)

    def offered(self, state: str) -> bool:
        return not self.states or state in self.states


def _day(name: str, label: str) -> Field:
    return Field(name, label, "date")


S = CaseState
ACTIONS: tuple[Action, ...] = (
    Action("confirm", "确诊并分类", "confirm-diagnosis/confirm",
           (_day("confirmed_on", "确诊日期"), Field("icd10", "确诊诊断编码 ICD-10（可选）", "text", required=False)),
           frozenset({S.SCREENED, S.CONFIRMED})),
    Action("refer", "转诊", "refer-case/refer",
           (_day("referred_on", "转诊日期"), Field("urgent", "绿色通道（急诊）", "bool", "false"),
            Field("direction", "转诊方向", "choice", ReferralDirection.INITIAL.value, tuple(CHOICES["direction"]))),
           frozenset({S.TRIAGED, S.REFERRED, S.IN_TREATMENT, S.UNDER_MAINTENANCE, S.UNDER_MANAGEMENT})),
    Action("admit", "入院", "admit-case/admit", (_day("admitted_on", "入院日期"),), frozenset({S.REFERRED})),
    Action("discharge", "出院", "discharge-case/discharge",
           (_day("discharged_on", "出院日期"), Field("total_cost", "医疗总费用（元）", "money"),
            Field("out_of_scope", "目录外费用（元）", "money", "0"), Field("sessions", "治疗次数", "int", "0")),
           frozenset({S.IN_TREATMENT})),
    Action("follow-up", "随访", "record-follow-up/follow-up",
           (_day("followed_on", "随访日期"),
            Field("outcome", "随访结果", "choice", FollowUpOutcome.STABLE.value, tuple(CHOICES["outcome"]))),
           frozenset({S.SETTLED, S.CURED, S.UNDER_MAINTENANCE, S.UNDER_MANAGEMENT, S.DISCHARGED})),
)  # fmt: skip
BY_KEY = {a.key: a for a in ACTIONS}


class BadField(ValueError):
    def __init__(self, f: Field, why: str) -> None:
        super().__init__(f"{f.label}：{why}")


def _value(f: Field, raw: str) -> Any:
    raw = raw.strip()
    if not raw:
        if f.required and f.kind != "bool":
            raise BadField(f, "必填")
        raw = f.default
    if f.kind == "date":
        try:
            return date.fromisoformat(raw).isoformat()
        except ValueError:
            raise BadField(f, "日期格式应为 YYYY-MM-DD") from None
    if f.kind == "money":
        try:
            return str(parse_money(raw, f.name))
        except BillError:
            raise BadField(f, "金额应为元，最多两位小数，如 38734.00") from None
    if f.kind == "int":
        if not raw.isdigit() or int(raw) > MAX_INT:
            raise BadField(f, "应为不小于0的整数")
        return int(raw)
    if f.kind == "bool":
        return raw in ("true", "on", "1")
    if f.kind == "choice" and raw not in {v for v, _ in f.choices}:
        raise BadField(f, "请从列表中选择")
    if len(raw) > 16:
        raise BadField(f, "过长")
    return raw.upper() if f.name == "icd10" else raw


def parameters(action: Action, case_id: int, form: dict[str, str], actor: str) -> dict[str, Any]:
    """The run's parameters: the case, the typed fields (validated), the signed-in user as actor."""
    values = {f.name: _value(f, form.get(f.name, "")) for f in action.fields}
    return {"case_id": case_id, **values, "actor": actor}


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
    """Starts the deployment run; returns its id."""
    tags = ["console", assertion_tag(params["actor"], action.deployment, params)]
    return await runner.start(action.deployment, params, f"{action.key}-case-{params['case_id']}", tags)
