"""The simulation's Prefect artifacts: the Chinese report as markdown and the overall figures as a table."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from tasks.simulation.run import SimulationOutcome


@task
def publish_simulation(outcome: SimulationOutcome) -> None:
    key = f"simulation-{outcome.fingerprint[:12]}"
    create_markdown_artifact(key=key, markdown=outcome.report.read_text(encoding="utf-8"), description="政策测算报告")
    rows = [
        {"方案": name, "项目": item, "现行 → 测算": value}
        for name, figures in outcome.overall.items()
        for item, value in figures.items()
    ]
    create_table_artifact(
        key=f"{key}-table", table=rows, description=f"政策测算 {outcome.stays} 笔结算,指纹 {outcome.fingerprint[:16]}"
    )
