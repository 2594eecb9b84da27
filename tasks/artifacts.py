"""Prefect artifacts supervisors look at: internal ids and counts only, never identity."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_table_artifact
from sqlalchemy import select
from sqlmodel import col

from models.schemas import NightlySummary
from models.settlement.policy import PayerLayer
from models.settlement.tables import Settlement, SettlementLine


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


@task(task_run_name="publish-statement-{settlement_id}")
def publish_settlement_statement(settlement_id: int) -> str | None:
    """One table artifact per settlement statement (结算单): layers and amounts, internal ids only."""
    from tasks.db import session_scope

    with session_scope() as s:
        head = s.get(Settlement, settlement_id)
        if head is None:
            return None
        lines = (
            s.execute(select(SettlementLine).where(col(SettlementLine.settlement_id) == settlement_id)).scalars().all()
        )
        rows = [
            {"layer": str(ln.layer), "base": str(ln.base), "deductible": str(ln.deductible),
             "ratio": str(ln.ratio), "paid": str(ln.paid), "rule": ln.rule}
            for ln in sorted(lines, key=lambda ln: list(PayerLayer).index(PayerLayer(ln.layer)))
        ]  # fmt: skip
        rows.append({"layer": "patient_pays", "paid": str(head.patient_pays), "ratio": str(head.self_pay_ratio)})
        description = (
            f"Settlement {head.id} of case {head.case_id} (episode {head.episode_id}, patient {head.patient_id}), "
            f"policy {head.policy_id}, service date {head.service_date.isoformat()}: total {head.total}, "
            f"in scope {head.in_scope}, patient pays {head.patient_pays}."
        )
        key = f"settlement-case-{head.case_id}"
    return str(create_table_artifact(key=key, table=rows, description=description))
