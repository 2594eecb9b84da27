"""Prefect artifacts supervisors look at: internal ids and counts only, never identity."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from sqlalchemy import select
from sqlmodel import Session, col

from config.catalogue import load_catalogue
from models.care import Hospital, TreatmentEpisode
from models.case_card import CaseCard, markdown
from models.clinical import Case
from models.enums import CaseState, HospitalLevel
from models.schemas import CaseOutcome, NightlySummary
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
        description=("补查 Replay (alarms untouched) " if summary.replay else "")
        + f"Nightly run {summary.run_id} for {summary.night.isoformat()}: "
        + ", ".join(f"{k} {n}" for k, n in summary.findings.items()),
    )


@task(task_run_name="publish-statement-{settlement_id}")
def publish_settlement_statement(settlement_id: int) -> str | None:
    """One table artifact per settlement statement (结算单): layers and amounts, internal ids only."""
    from tasks.infra.db import session_scope

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


def _disease_name(code: str | None) -> str | None:
    disease = load_catalogue().get(code) if code else None
    return disease.name_zh if disease else None


def case_card(session: Session, outcome: CaseOutcome) -> CaseCard:
    """The case as it stands after a step: category, designated hospital, last stay, settlement."""
    case = session.get(Case, outcome.case_id)
    assert case is not None
    hospital = session.get(Hospital, case.hospital_id) if case.hospital_id is not None else None
    stay = (
        session.execute(
            select(TreatmentEpisode)
            .where(col(TreatmentEpisode.case_id) == outcome.case_id, col(TreatmentEpisode.discharged_on).is_not(None))
            .order_by(col(TreatmentEpisode.id).desc())
        )
        .scalars()
        .first()
    )
    settled = session.get(Settlement, outcome.settlement_id) if outcome.settlement_id is not None else None
    return CaseCard(
        case_id=outcome.case_id,
        state=CaseState(case.state),
        changed=outcome.changed,
        reason=outcome.reason,
        disease_code=case.disease_code,
        disease_name=_disease_name(case.disease_code),
        category=case.category,
        hospital=None if hospital is None else (hospital.code, hospital.name, HospitalLevel(hospital.level)),
        discharge=None
        if stay is None or stay.discharged_on is None
        else (stay.id or 0, stay.discharged_on, stay.total_cost, stay.out_of_scope),
        settlement=None if settled is None else (settled.id or 0, settled.total, settled.patient_pays),
    )


@task(task_run_name="publish-case-{outcome.case_id}")
def publish_case_step(step: str, outcome: CaseOutcome) -> str:
    """A short Chinese markdown artifact in the step's run (key ``case-<id>``: its versions are the case's
    history), and the same first line in the run's log. Internal ids, codes and hospital names only."""
    from tasks.infra.db import session_scope

    with session_scope() as s:
        text = markdown(step, case_card(s, outcome))
    head, _, *lines = text.splitlines()
    get_run_logger().info("%s：%s", head.removeprefix("### "), "；".join(ln.removeprefix("- ") for ln in lines))
    return str(create_markdown_artifact(markdown=text, key=f"case-{outcome.case_id}", description=step))
