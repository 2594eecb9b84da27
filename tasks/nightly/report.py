"""End of a nightly run: the per-region snapshot of the ledger and the run's summary: alarms open tonight (the
conditions that hold) by kind and region, and the night's changes — opened, resolved, escalated."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, String, case, func, literal, select
from sqlmodel import Session, col

from models.alarms import AlarmEvent, AlarmStep
from models.clinical import Case
from models.findings import Finding, FindingKind, NightlyRun, RegionSnapshot, RunStatus
from models.ledger import summarise_ledger_rows
from models.schemas import NightlySummary
from tasks.nightly.replay import replay_counts
from tasks.nightly.rewind import moved_since, state_on


def snapshot(session: Session, run_id: int) -> None:
    """Per-region counts by state and category, stored with the run (replaced if taken again): the states now,
    or for a replayed night the states then (``tasks/nightly/rewind.py``)."""
    run = session.get(NightlyRun, run_id)
    assert run is not None
    region_code = None if run.scope == "*" else run.scope
    table: Any = RegionSnapshot.__table__  # type: ignore[attr-defined]
    session.execute(table.delete().where(table.c.run_id == run_id))
    where = [col(Case.region_code) == region_code] if region_code else []
    category = func.coalesce(col(Case.category), literal("", String))
    if run.replay:  # 补查: the state each case had on that night (none yet: not counted)
        then = case(
            (col(Case.state_changed_at) >= moved_since(run.night), state_on(col(Case.id), run.night)),
            else_=col(Case.state),
        )
        rows = select(col(Case.region_code), then.label("st"), category.label("cat")).where(*where).subquery()
        stmt = (
            select(literal(run_id, Integer), rows.c.region_code, rows.c.st, rows.c.cat, func.count())
            .where(rows.c.st.is_not(None))
            .group_by(rows.c.region_code, rows.c.st, rows.c.cat)
        )
    else:
        stmt = (
            select(literal(run_id, Integer), col(Case.region_code), col(Case.state), category, func.count())
            .where(*where)
            .group_by(col(Case.region_code), col(Case.state), col(Case.category))
        )
    session.execute(table.insert().from_select(["run_id", "region_code", "state", "category", "cases"], stmt))


def summary(session: Session, run_id: int) -> NightlySummary:
    run = session.get(NightlyRun, run_id)
    assert run is not None
    snaps = (
        session.execute(
            select(
                col(RegionSnapshot.region_code),
                col(RegionSnapshot.state),
                col(RegionSnapshot.category),
                col(RegionSnapshot.cases),
            ).where(col(RegionSnapshot.run_id) == run_id)
        )
        .tuples()
        .all()
    )
    scope = [col(Finding.region_code) == run.scope] if run.scope != "*" else []
    if run.replay:  # 补查: what the night found; it opened, cleared and escalated nothing
        return _summary(run, run_id, snaps, replay_counts(session, run_id), {}, [])
    kinds = (
        session.execute(
            select(col(Finding.region_code), col(Finding.kind), func.count())
            .where(col(Finding.cleared_on).is_(None), *scope)
            .group_by(col(Finding.region_code), col(Finding.kind))
        )
        .tuples()
        .all()
    )
    opened = {
        str(k): n
        for k, n in session.execute(
            select(col(Finding.kind), func.count()).where(col(Finding.run_id) == run_id).group_by(col(Finding.kind))
        ).tuples()
    }
    steps = (
        session.execute(
            select(col(AlarmEvent.step), col(Finding.kind), func.count())
            .join(Finding, col(Finding.id) == col(AlarmEvent.finding_id))
            .where(col(AlarmEvent.night) == run.night, col(AlarmEvent.actor) == "nightly", *scope)
            .group_by(col(AlarmEvent.step), col(Finding.kind))
        )
        .tuples()
        .all()
    )
    return _summary(run, run_id, snaps, kinds, opened, steps)


def _summary(
    run: NightlyRun,
    run_id: int,
    snaps: Sequence[tuple[str, str, str, int]],
    kinds: Sequence[tuple[str, str, int]],
    opened: dict[str, int],
    steps: Sequence[tuple[str, str, int]],
) -> NightlySummary:
    regions = sorted({r[0] for r in snaps} | {k[0] for k in kinds})
    return NightlySummary(
        run_id=run_id,
        night=run.night,
        scope=run.scope,
        status=RunStatus(run.status),
        replay=run.replay,
        findings={k.value: sum(n for _, kind, n in kinds if kind == k) for k in FindingKind},
        opened={k.value: opened.get(k.value, 0) for k in FindingKind},
        resolved={
            k.value: sum(n for st, kind, n in steps if kind == k and st == AlarmStep.RESOLVE) for k in FindingKind
        },
        escalated=sum(n for st, _, n in steps if st == AlarmStep.ESCALATE),
        regions=[
            summarise_ledger_rows([(s, c, n) for rg, s, c, n in snaps if rg == region], region).model_copy(
                update={"alarms": {str(kind): n for rg, kind, n in kinds if rg == region}}
            )
            for region in regions
        ],
    )
