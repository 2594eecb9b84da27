"""The nightly test world shared by the fault tests: the cohort, a run through the task functions, and
everything a night leaves behind, compared with a clean run on a second database."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from bench.cohort import NIGHT, build_cohort
from config.settings import get_settings
from models.clinical import Case, CaseTransition, Condition
from models.findings import Finding, NightlyChunk, NightlyRun, RegionSnapshot
from tasks.infra.db import _engine_for, get_engine, session_scope
from tasks.nightly import run as nightly

PATIENTS, CHUNK = 400, 120


def build() -> None:
    """The benchmark cohort, plus ~15 treated cases whose diagnosis was corrected to hypertension after
    triage, spread over the chunks: the run re-triages them and moves them (audited), so kills can land
    between a move and its chunk's commit."""
    build_cohort(PATIENTS, night=NIGHT)
    with session_scope() as s:
        has_htn = select(col(Case.patient_id)).where(col(Case.disease_code) == "hypertension")
        rows = s.execute(
            select(col(Case.condition_id))
            .where(col(Case.state) == "under_maintenance", col(Case.patient_id).not_in(has_htn))
            .order_by(col(Case.id))
        ).scalars()
        picked = list(rows)[::5][:15]
        corrected = datetime.combine(NIGHT - timedelta(days=1), time(9), tzinfo=UTC)
        s.execute(update(Condition).where(col(Condition.id).in_(picked)).values(icd10="I10", updated_at=corrected))


def run_night() -> int:
    """What flows/nightly.py does, through the same task functions (each opens its own session)."""
    from tasks.pathway.retriage import retriage_catalogue
    from tasks.pathway.waiting import refer_waiting_list

    run_id, finished, _ = nightly.start_run.fn(NIGHT, None, None)
    if not finished:
        retriage_catalogue.fn(NIGHT, None, "nightly")
        for stage in nightly.STAGES:
            for bounds in nightly.plan_chunks.fn(run_id, stage, CHUNK):
                nightly.assess_chunk.fn(run_id, stage, bounds, "nightly")
        refer_waiting_list.fn(NIGHT, "nightly", None)
        nightly.finish_run.fn(run_id)
    return run_id


def outcome() -> dict[str, Any]:
    """Everything a night leaves behind, without ids and clock times."""
    with session_scope() as s:
        findings = s.execute(
            select(Finding.night, Finding.kind, Finding.subject, Finding.reason, Finding.region_code,
                   Finding.patient_id, Finding.household_id, Finding.case_id, Finding.amount)
        ).all()  # fmt: skip
        snapshots = s.execute(
            select(RegionSnapshot.region_code, RegionSnapshot.state, RegionSnapshot.category, RegionSnapshot.cases)
        ).all()
        audit = s.execute(
            select(CaseTransition.case_id, CaseTransition.from_state, CaseTransition.to_state,
                   CaseTransition.actor, CaseTransition.reason)
        ).all()  # fmt: skip
        cases = s.execute(select(Case.id, Case.state, Case.disease_code, Case.category, Case.catalogue_version)).all()
        runs = s.execute(select(NightlyRun.night, NightlyRun.scope, NightlyRun.status)).all()
        chunks = s.execute(select(NightlyChunk.stage, NightlyChunk.first_id, NightlyChunk.last_id)).all()
    return {
        "findings": sorted(map(tuple, findings), key=repr),  # a list: a doubled finding would show
        "snapshots": sorted(map(tuple, snapshots), key=repr),
        "audit": sorted(map(tuple, audit), key=repr),
        "cases": sorted(map(tuple, cases)),
        "runs": [tuple(r) for r in runs],
        "chunks": sorted(map(tuple, chunks)),
    }


_clean: dict[str, Any] = {}


def clean_outcome(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The same cohort on a second (SQLite) database, one run, no faults; computed once."""
    if not _clean:
        configured = get_settings().database_url
        url = f"sqlite:///{tmp_path / 'clean.db'}"
        monkeypatch.setenv("DABING_DATABASE_URL", url)
        get_settings.cache_clear()
        build()
        run_night()
        _clean.update(outcome())
        get_engine(url).dispose()
        _engine_for.cache_clear()
        monkeypatch.setenv("DABING_DATABASE_URL", configured)
        get_settings.cache_clear()
    return _clean
