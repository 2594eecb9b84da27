"""Prefect artifacts supervisors look at: internal ids and counts only, never identity."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_table_artifact

from models.schemas import NightlySummary


@task
def publish_nightly_summary(summary: NightlySummary) -> None:
    rows = [
        {
            "region": r.region_code,
            "special_cases": r.special_cases,
            "treated": r.treated,
            "not_yet_treated": r.not_yet_treated,
            "treatment_rate": r.treatment_rate,
            **{f"finding:{k}": n for k, n in sorted(r.alarms.items())},
        }
        for r in summary.regions
    ]
    create_table_artifact(
        key=f"nightly-{summary.scope.replace('*', 'all')}",
        table=rows,
        description=f"Nightly run {summary.run_id} for {summary.night.isoformat()}: "
        + ", ".join(f"{k} {n}" for k, n in summary.findings.items()),
    )
