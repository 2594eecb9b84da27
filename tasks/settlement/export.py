"""Stored settlements exported in the layout of national interface 2207 (JSON lines or CSV).

Each settlement in effect (its stay's latest generation, not reversed) of the year becomes one record: our
statement as read back from ``settlement`` / ``settlement_line`` plus the extra columns the policy needs, with
``prior_<layer>_paid`` / ``prior_<layer>_deductible`` — what the patient's annual ledger held before it (every
earlier row of the year in id order, reversals included). ``dabing check-recorded`` on the export therefore
settles each record again under the policy and finds no discrepancy unless the stored rows were tampered with.
Reversed settlements and reversal rows are not exported (2207 records a settlement, not its 冲销).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from models.access import readable_region
from models.care import Hospital, TreatmentEpisode
from models.common import age_on
from models.enums import TreatmentKind
from models.errors import BadInput
from models.people import Patient
from models.referral import location_of
from models.settlement.bill import Bill, LayerLine, PatientFacts, PriorUse, Statement, trusted
from models.settlement.ledger import apply_statement
from models.settlement.nhsa2207_render import csv_columns, dumps, render_2207, to_csv_row
from models.settlement.policy import PayerLayer
from models.settlement.stored import LineRow, ledger_deltas
from models.settlement.tables import Settlement, SettlementLine
from tasks.infra.access import scope_of
from tasks.infra.db import session_scope
from tasks.infra.retry import RETRY
from tasks.pathway.patient_facts import Facts, status_and_groups_on


class ExportResult(NamedTuple):
    path: str
    records: int


def _lines(session: Session, ids: list[int]) -> dict[int, list[LineRow]]:
    out: dict[int, list[LineRow]] = {}
    if not ids:
        return out
    for r in session.execute(
        select(SettlementLine).where(col(SettlementLine.settlement_id).in_(ids)).order_by(col(SettlementLine.layer))
    ).scalars():
        out.setdefault(r.settlement_id, []).append(
            LineRow(PayerLayer(r.layer), r.base, r.deductible, r.ratio, r.paid, r.rule, r.label_zh, r.ledger_deductible)
        )
    return out


def _heads(session: Session, year: int, region: str | None) -> list[Any]:
    reversal = aliased(Settlement)
    stmt: Any = (
        select(
            Settlement,
            col(reversal.id).label("reversed_by"),
            col(Patient.region_code),
            col(Patient.poverty_status),
            col(Patient.birth_date),
            col(TreatmentEpisode.setting),
            col(TreatmentEpisode.sessions),
            col(TreatmentEpisode.treatment_kind),
            col(Hospital.level),
            col(Hospital.region_code).label("hospital_region"),
            col(Hospital.code).label("hospital_code"),
        )
        .join(Patient, col(Patient.id) == col(Settlement.patient_id))
        .join(TreatmentEpisode, col(TreatmentEpisode.id) == col(Settlement.episode_id))
        .join(Hospital, col(Hospital.id) == col(TreatmentEpisode.hospital_id))
        .outerjoin(reversal, col(reversal.reverses_id) == col(Settlement.id))
        .where(col(Settlement.service_date).between(date(year, 1, 1), date(year, 12, 31)))
        .order_by(col(Settlement.id))
    )
    if region is not None:
        stmt = stmt.where(col(Patient.region_code) == region)
    return list(session.execute(stmt).all())


def _record(row: Any, lines: list[LineRow], prior: dict[PayerLayer, PriorUse], facts: Facts) -> dict[str, Any]:
    s: Settlement = row.Settlement
    layers = [
        trusted(
            LayerLine,
            {
                "layer": ln.layer,
                "base": ln.base,
                "deductible": ln.deductible,
                "ratio": ln.ratio,
                "paid": ln.paid,
                "rule": ln.rule,
                "basis": None,
            },
        )
        for ln in lines
    ]
    statement = Statement.model_construct(
        policy_id=s.policy_id,
        total=s.total,
        in_scope=s.in_scope,
        layers=layers,
        patient_pays=s.patient_pays,
        self_pay_ratio=s.self_pay_ratio,
        flags=[],
    )
    bill = Bill.from_record(
        region=row.region_code,
        service_date=s.service_date,
        setting=row.setting,
        hospital_level=row.level,
        hospital_location=location_of(row.region_code, row.hospital_region),
        patient=PatientFacts.model_construct(
            poverty_status=facts[0], age=age_on(row.birth_date, s.service_date), groups=facts[1]
        ),
        total=s.total,
        out_of_scope=s.total - s.in_scope,
        sessions=row.sessions,
        treatment_kind=TreatmentKind(row.treatment_kind),
        prior_paid=prior,
    )
    return render_2207(statement, bill, f"S{s.id}", row.hospital_code)


def export_records(session: Session, year: int, region: str | None) -> Iterator[dict[str, Any]]:
    """The year's settlements in effect as 2207 records, in settlement id order."""
    heads = _heads(session, year, region)
    lines = _lines(session, [r.Settlement.id for r in heads])
    facts = status_and_groups_on(session, [(r.Settlement.patient_id, r.Settlement.service_date) for r in heads])
    ledgers: dict[int, dict[PayerLayer, PriorUse]] = {}
    for row in heads:
        s: Settlement = row.Settlement
        mine = lines.get(s.id or 0, [])
        prior = ledgers.get(s.patient_id, {})
        if s.reverses_id is None and row.reversed_by is None:
            yield _record(row, mine, prior, facts[(s.patient_id, s.service_date)])
        ledgers[s.patient_id] = apply_statement(prior, ledger_deltas(mine))


def write_export(session: Session, year: int, region: str | None, path: Path) -> int:
    """Write the records as JSON lines (``.jsonl``/``.json``) or CSV (``.csv``); returns how many."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".json"):
        raise BadInput("to", "file name must end in .jsonl or .csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    n = 0
    try:
        with partial.open("w", encoding="utf-8", newline="") as fh:
            if suffix == ".csv":
                writer = csv.DictWriter(fh, fieldnames=csv_columns(), extrasaction="ignore")
                writer.writeheader()
                for record in export_records(session, year, region):
                    writer.writerow(to_csv_row(record))
                    n += 1
            else:
                for record in export_records(session, year, region):
                    fh.write(dumps(record) + "\n")
                    n += 1
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(path)
    return n


@task(task_run_name="export-settlements-{year}", cache_policy=NO_CACHE, **RETRY)
def export_settlements(year: int, region: str | None, path: str, actor: str) -> ExportResult:
    """Export the year's settlements of the region the actor may read (``readable_region``)."""
    with session_scope() as s:
        scope = readable_region(scope_of(s, actor), region)
        return ExportResult(path, write_export(s, year, scope, Path(path)))
