"""补查: a night asked after a later night already ran (its scope, or every region) is a replay.

The alarms are a timeline that moves forward: a past night's condition set applied to them would clear the
alarms whose condition began after it — alarms coordinators acknowledged or assigned — and the next night would
open them again as new ones, without that history. A replay judges the night exactly as a night lived through
(``tasks/nightly/checks.py``, business dates, the state each case had then) and only counts what it found, per
chunk, region and kind (``nightly_count``: a resumed replay does not count a chunk twice). It opens, clears and
escalates no alarm, re-triages nothing and refers nobody from the waiting list on the past date."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Integer, String, func, insert, literal, or_, select
from sqlmodel import Session, col

from models.findings import FindingKind, NightlyCount, NightlyRun
from tasks.nightly.found import found

_C: Any = NightlyCount.__table__  # type: ignore[attr-defined]


def is_replay(session: Session, night: date, scope: str) -> bool:
    """A later night already ran over these patients: a run of a later night in this scope or of every region
    (for every region: a later run of any scope)."""
    overlapping = [] if scope == "*" else [or_(col(NightlyRun.scope) == scope, col(NightlyRun.scope) == "*")]
    later = select(col(NightlyRun.id)).where(col(NightlyRun.night) > night, *overlapping).limit(1)
    return session.execute(later).first() is not None


def count_found(session: Session, run_id: int, stage: str, first_id: int) -> int:
    """The chunk's conditions (one per kind and subject) by region and kind; returns how many."""
    subjects = (
        select(func.coalesce(found.c.region_code, "").label("region_code"), found.c.kind, found.c.subject_id,
               found.c.subject)
        .group_by(found.c.region_code, found.c.kind, found.c.subject_id, found.c.subject)
        .subquery()
    )  # fmt: skip
    rows = select(
        literal(run_id, Integer), literal(stage, String), literal(first_id, Integer),
        subjects.c.region_code, subjects.c.kind, func.count(),
    ).group_by(subjects.c.region_code, subjects.c.kind)  # fmt: skip
    session.execute(insert(_C).from_select(("run_id", "stage", "first_id", "region_code", "kind", "conditions"), rows))
    total = select(func.coalesce(func.sum(_C.c.conditions), 0)).where(
        _C.c.run_id == run_id, _C.c.stage == stage, _C.c.first_id == first_id
    )
    return int(session.execute(total).scalar_one())


def replay_counts(session: Session, run_id: int) -> list[tuple[str, str, int]]:
    """(region, kind, conditions) of a replayed night, as the summary reads open alarms of a night lived."""
    rows = session.execute(
        select(_C.c.region_code, _C.c.kind, func.sum(_C.c.conditions))
        .where(_C.c.run_id == run_id, _C.c.kind.in_([k.value for k in FindingKind]))
        .group_by(_C.c.region_code, _C.c.kind)
    ).tuples()
    return [(str(region), str(kind), int(n)) for region, kind, n in rows]
