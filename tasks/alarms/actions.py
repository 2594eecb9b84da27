"""A coordinator's steps on an alarm (核实 / 分派 / 处置 / 排除) and the alarm list of an actor's scope.
Every step is one audited ``alarm_event`` row written with the status change, in one transaction."""

from __future__ import annotations

from datetime import date

from prefect import task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel
from sqlalchemy import select
from sqlmodel import Session, col

from models.access import check_region
from models.alarms import PENDING, AlarmAction, AlarmEvent, AlarmStatus, AlarmStep, next_status
from models.errors import BadInput, NotFound
from models.findings import Finding, FindingKind
from tasks.infra.access import check_person, scope_of
from tasks.infra.db import session_scope
from tasks.infra.retry import RETRY_ON_CONFLICT


class AlarmStepRequest(BaseModel):
    finding_id: int
    step: AlarmStep
    actor: str
    note: str = ""
    action: AlarmAction | None = None
    assignee: str | None = None


class AlarmRow(BaseModel):
    id: int
    kind: FindingKind
    subject: str
    region_code: str
    reason: str
    status: AlarmStatus
    opened_on: date
    escalated_on: date | None
    assignee: str | None


def _require(req: AlarmStepRequest) -> None:
    """One line naming the missing field; nothing written."""
    if req.step == AlarmStep.HANDLE and req.action is None:
        raise BadInput("action", "handle needs the action taken (处置措施)")
    if req.step in (AlarmStep.ACKNOWLEDGE, AlarmStep.DISMISS) and not req.note.strip():
        what = "核实情况" if req.step == AlarmStep.ACKNOWLEDGE else "排除理由"
        raise BadInput("note", f"{req.step.value} needs a note ({what})")
    if req.step == AlarmStep.ASSIGN and not (req.assignee or "").strip():
        raise BadInput("assignee", "assign needs who handles it")


def apply_step(session: Session, req: AlarmStepRequest) -> AlarmStatus:
    _require(req)
    scope = scope_of(session, req.actor)
    row = session.execute(
        select(Finding).where(col(Finding.id) == req.finding_id).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("alarm", req.finding_id)
    check_region(scope, row.region_code, f"alarm {req.finding_id}")
    status = next_status(AlarmStatus(row.status), req.step)
    row.status = status
    if req.step == AlarmStep.ASSIGN:
        row.assignee = req.assignee
    session.add(row)
    session.add(
        AlarmEvent(finding_id=req.finding_id, step=req.step, actor=req.actor, note=req.note[:200],
                   action=req.action, assignee=req.assignee)
    )  # fmt: skip
    return status


def list_alarms(
    session: Session,
    actor: str,
    region_code: str | None = None,
    pending_only: bool = True,
    escalated_only: bool | None = None,
    kind: FindingKind | None = None,
    limit: int = 50,
) -> list[AlarmRow]:
    """The actor's alarms still open (condition holds), newest first. A prefecture or province scope sees the
    escalated ones by default (``escalated_only`` None)."""
    scope = scope_of(session, actor)
    where = [col(Finding.cleared_on).is_(None), col(Finding.region_code).startswith(scope.region_prefix)]
    if region_code:
        check_region(scope, region_code, f"region {region_code}")
        where.append(col(Finding.region_code) == region_code)
    if pending_only:
        where.append(col(Finding.status).in_([s.value for s in PENDING]))
    if escalated_only is None:
        escalated_only = 0 < len(scope.region_prefix) < 6
    if escalated_only:
        where.append(col(Finding.escalated_on).is_not(None))
    if kind:
        where.append(col(Finding.kind) == kind.value)
    rows = session.execute(select(Finding).where(*where).order_by(col(Finding.id).desc()).limit(limit)).scalars()
    return [
        AlarmRow(id=r.id or 0, kind=r.kind, subject=r.subject, region_code=r.region_code, reason=r.reason,
                 status=r.status, opened_on=r.night, escalated_on=r.escalated_on, assignee=r.assignee)
        for r in rows
    ]  # fmt: skip


@task(cache_policy=NO_CACHE, task_run_name="alarm-{req.step}-{req.finding_id}", **RETRY_ON_CONFLICT)
def alarm_step(req: AlarmStepRequest) -> AlarmStatus:
    check_person(req.actor)
    with session_scope() as s:
        return apply_step(s, req)
