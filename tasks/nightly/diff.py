"""The alarm diff of one chunk: tonight's condition set (``nightly_found``) against the alarms still open
(``finding.cleared_on`` empty). New conditions open an alarm, conditions that ended clear theirs (自动销号,
audited), conditions that hold write nothing — the night's writes are proportional to the changes. Then,
once per run, alarms unhandled past the limit escalate to the prefecture (audited)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Integer, String, and_, case, exists, func, insert, literal, select, tuple_
from sqlmodel import Session

from models.alarms import PENDING, AlarmEvent, AlarmStatus, AlarmStep
from models.findings import ONE_OFF, Finding, FindingKind
from tasks.nightly.found import COUNTED, found

_F: Any = Finding.__table__  # type: ignore[attr-defined]
_E: Any = AlarmEvent.__table__  # type: ignore[attr-defined]

OPEN_COLUMNS = (
    "run_id", "night", "kind", "subject", "reason", "region_code", "patient_id", "household_id", "case_id",
    "amount", "subject_id", "rule", "status", "created_at",
)  # fmt: skip


def open_new(
    session: Session,
    run_id: int,
    night: date,
    now: datetime,
    kinds: Iterable[FindingKind] | None = None,
    id_range: tuple[int, int] | None = None,
) -> int:
    """Opens an alarm for every condition without an open one; returns how many opened. ``kinds`` and
    ``id_range``: every condition found is of these kinds and about a subject id in this range (a chunk's) —
    said to the planner, so PostgreSQL reads the chunk's open alarms, not every open alarm of the province."""
    bounds: list[Any] = []
    if kinds is not None:
        bounds.append(_F.c.kind.in_([k.value for k in kinds]))
    if id_range is not None:
        bounds.append(_F.c.subject_id.between(*id_range))
    active = exists().where(
        _F.c.cleared_on.is_(None),
        *bounds,
        _F.c.kind == found.c.kind,
        _F.c.subject_id == found.c.subject_id,
        _F.c.subject == found.c.subject,
    )
    first = func.min
    rows = (
        select(
            literal(run_id, Integer), literal(night, Date), found.c.kind, found.c.subject, first(found.c.reason),
            first(found.c.region_code), first(found.c.patient_id), first(found.c.household_id),
            first(found.c.case_id), first(found.c.amount), found.c.subject_id, first(found.c.rule),
            literal(AlarmStatus.OPEN.value, String), literal(now, DateTime),
        )
        .where(~active)
        .group_by(found.c.kind, found.c.subject_id, found.c.subject)
    )  # fmt: skip
    result: Any = session.execute(insert(_F).from_select(OPEN_COLUMNS, rows), execution_options=COUNTED)
    return int(result.rowcount or 0)


def clear_ended(
    session: Session,
    night: date,
    now: datetime,
    actor: str,
    kinds: Iterable[FindingKind],
    id_range: tuple[int, int],
    region_code: str | None,
    rules: list[tuple[str, str]] | None = None,
) -> int:
    """Clears the open alarms of ``kinds`` about subjects in ``id_range`` whose condition was not found
    tonight: pending ones become resolved, handled/dismissed ones keep their status. ``rules``: only poverty
    alarms of these (region, rule) pairs were checked tonight."""
    lasting = [k.value for k in kinds if k not in ONE_OFF]
    if not lasting:
        return 0
    found_now = exists().where(
        found.c.kind == _F.c.kind, found.c.subject_id == _F.c.subject_id, found.c.subject == _F.c.subject
    )
    where: list[Any] = [
        _F.c.cleared_on.is_(None),
        _F.c.kind.in_(lasting),
        _F.c.subject_id.between(*id_range),
        ~found_now,
    ]
    if region_code:
        where.append(_F.c.region_code == region_code)
    if rules is not None:
        if not rules:
            return 0
        where.append(tuple_(_F.c.region_code, _F.c.rule).in_(rules))
    return _step(session, where, AlarmStep.RESOLVE, night, now, actor, "condition ended / 条件消失",
                 {"cleared_on": night,
                  "status": case((_F.c.status.in_([s.value for s in PENDING]), AlarmStatus.RESOLVED.value),
                                 else_=_F.c.status)})  # fmt: skip


def escalate(
    session: Session, night: date, now: datetime, actor: str, opened_before: date, region_code: str | None
) -> int:
    """Alarms still pending that opened before ``opened_before`` and were not escalated yet."""
    where: list[Any] = [
        _F.c.cleared_on.is_(None),
        _F.c.status.in_([s.value for s in PENDING]),
        _F.c.escalated_on.is_(None),
        _F.c.night < opened_before,
    ]
    if region_code:
        where.append(_F.c.region_code == region_code)
    return _step(session, where, AlarmStep.ESCALATE, night, now, actor, "unhandled past the limit / 逾期未处置",
                 {"escalated_on": night})  # fmt: skip


def _step(
    session: Session,
    where: list[Any],
    step: AlarmStep,
    night: date,
    now: datetime,
    actor: str,
    note: str,
    values: dict[str, Any],
) -> int:
    """One audited set-based step: an ``alarm_event`` row per alarm, then the alarm rows updated."""
    events = select(
        _F.c.id, literal(step.value, String), literal(actor, String), literal(note, String),
        literal(night, Date), literal(now, DateTime),
    ).where(and_(*where))  # fmt: skip
    result: Any = session.execute(
        insert(_E).from_select(("finding_id", "step", "actor", "note", "night", "at"), events),
        execution_options=COUNTED,
    )
    n = int(result.rowcount or 0)
    if n:
        session.execute(_F.update().where(and_(*where)).values(**values))
    return n
