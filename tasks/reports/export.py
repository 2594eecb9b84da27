"""Ledger exports a county office files (救治台账 + 预警名单) as XLSX and CSV (the FHIR Bundle: ``fhir_export``).

Rows stream: cases are read in keyset pages (``case.id > last ORDER BY id LIMIT page``) with their episode and
settlement aggregates fetched per page, findings with ``yield_per``; writers consume the rows one at a time
(openpyxl write-only mode), so memory stays flat however many patients a county holds.

Period filter (``date_from``/``date_to``, inclusive): on the **screening date** by default — a case belongs to
the period in which it entered the pathway, so re-running a finished period gives the same rows; with
``period_on="discharged"`` a case is listed when any of its stays was discharged in the period. The alarm list
covers the nights in the period (without a period: the latest night with findings in scope).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from itertools import chain
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from prefect import task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import exists, func, select
from sqlmodel import Session, col

from config.catalogue import load_catalogue
from config.logging import get_logger
from config.settings import get_settings
from models.care import Hospital, TreatmentEpisode
from models.clinical import Case, Condition, Screening
from models.common import ZERO
from models.findings import Finding, FindingKind
from models.ledger_rows import (
    ALARM_COLUMNS,
    LEDGER_COLUMNS,
    AlarmRow,
    Cell,
    Lang,
    LedgerRow,
    LedgerTotals,
    headers,
    number_formats,
)
from models.people import Patient
from models.settlement.policy import PayerLayer
from models.settlement.tables import Settlement, SettlementLine
from tasks.infra.bulkwrite import id_in
from tasks.infra.db import session_scope
from tasks.reports.spreadsheets import Sheet, write_csv, write_xlsx

log = get_logger(__name__)
Format = Literal["xlsx", "csv"]


class LedgerFilter(BaseModel):
    model_config = ConfigDict(frozen=True)

    region_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    date_from: date | None = None
    date_to: date | None = None
    period_on: Literal["screened", "discharged"] = "screened"
    alarm_kinds: tuple[FindingKind, ...] = ()

    def slug(self) -> str:
        parts = [self.region_code or "all", *(d.isoformat() for d in (self.date_from, self.date_to) if d)]
        on_discharge = self.period_on == "discharged" and (self.date_from or self.date_to)
        return "-".join([*parts, "discharged"] if on_discharge else parts)


class ExportResult(BaseModel):
    """What an export wrote (paths, counts, totals): no identity."""

    files: list[str]
    ledger_rows: int
    alarm_rows: int
    totals: dict[str, str]


def _local_date(at: datetime | None, tz: ZoneInfo) -> date | None:
    if at is None:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(tz).date()


def _between(column: Any, lo: date | None, hi: date | None) -> list[Any]:
    return [c for c in ((column >= lo) if lo else None, (column <= hi) if hi else None) if c is not None]


def _case_page(session: Session, flt: LedgerFilter, after: int, page: int) -> list[Any]:
    stmt = (
        select(
            col(Case.id),
            col(Case.patient_id),
            col(Patient.household_id),
            col(Case.region_code),
            col(Case.disease_code),
            col(Case.category),
            col(Hospital.code),
            col(Hospital.name),
            col(Case.state),
            col(Screening.screened_on),
            col(Condition.confirmed_on),
            col(Case.triaged_at),
        )
        .join(Patient, col(Patient.id) == col(Case.patient_id))
        .join(Condition, col(Condition.id) == col(Case.condition_id))
        .outerjoin(Screening, col(Screening.id) == col(Condition.screening_id))
        .outerjoin(Hospital, col(Hospital.id) == col(Case.hospital_id))
        .where(col(Case.id) > after, col(Case.disease_code).is_not(None))
        .order_by(col(Case.id))
        .limit(page)
    )
    if flt.region_code:
        stmt = stmt.where(col(Case.region_code) == flt.region_code)
    if flt.period_on == "screened":
        stmt = stmt.where(*_between(col(Screening.screened_on), flt.date_from, flt.date_to))
    elif flt.date_from or flt.date_to:
        stays = select(col(TreatmentEpisode.id)).where(
            col(TreatmentEpisode.case_id) == col(Case.id),
            *_between(col(TreatmentEpisode.discharged_on), flt.date_from, flt.date_to),
        )
        stmt = stmt.where(exists(stays))
    return list(session.execute(stmt).tuples())


def _page_amounts(session: Session, ids: list[int]) -> tuple[dict[int, tuple[Any, Any]], dict[int, list[Any]]]:
    """Per case of the page: (first admission, last discharge) and [total, patient pays, last settled, paid]."""
    stays = {
        cid: (first, last)
        for cid, first, last in session.execute(
            select(
                col(TreatmentEpisode.case_id),
                func.min(col(TreatmentEpisode.admitted_on)),
                func.max(col(TreatmentEpisode.discharged_on)),
            )
            .where(id_in(session, col(TreatmentEpisode.case_id), ids))
            .group_by(col(TreatmentEpisode.case_id))
        ).tuples()
    }
    money: dict[int, list[Any]] = {}
    bills = select(
        col(Settlement.case_id), col(Settlement.total), col(Settlement.patient_pays), col(Settlement.settled_at)
    )
    for cid, total, pays, at in session.execute(bills.where(id_in(session, col(Settlement.case_id), ids))).tuples():
        acc = money.setdefault(cid, [ZERO, ZERO, at, {}])
        acc[0], acc[1], acc[2] = acc[0] + total, acc[1] + pays, max(acc[2], at)
    lines = select(col(Settlement.case_id), col(SettlementLine.layer), col(SettlementLine.paid)).join(
        Settlement, col(Settlement.id) == col(SettlementLine.settlement_id)
    )
    for cid, layer, paid in session.execute(lines.where(id_in(session, col(Settlement.case_id), ids))).tuples():
        paid_by = money[cid][3]
        paid_by[PayerLayer(layer)] = paid_by.get(PayerLayer(layer), ZERO) + paid
    return stays, money


def iter_ledger_rows(session: Session, flt: LedgerFilter, page: int = 2000) -> Iterator[LedgerRow]:
    """Every special-disease case in scope, in case-id order; amounts add up all the case's settlements."""
    names = {d.code: d.name_zh for d in load_catalogue().diseases}
    tz = ZoneInfo(get_settings().timezone)
    after = 0
    while cases := _case_page(session, flt, after, page):
        after = cases[-1][0]
        stays, money = _page_amounts(session, [c[0] for c in cases])
        for cid, pid, hid, region, disease, cat, h_code, h_name, state, screened, confirmed, triaged in cases:
            first, last = stays.get(cid, (None, None))
            total, pays, settled_at, paid = money.get(cid, (None, None, None, {}))
            yield LedgerRow(
                case_id=cid,
                patient_id=pid,
                household_id=hid,
                region_code=region,
                disease_code=disease,
                disease_name=names.get(disease or ""),
                category=cat,
                hospital_code=h_code,
                hospital_name=h_name,
                state=str(state),
                screened_on=screened,
                confirmed_on=confirmed,
                triaged_on=_local_date(triaged, tz),
                admitted_on=first,
                discharged_on=last,
                settled_on=_local_date(settled_at, tz),
                paid=paid,
                total=total,
                patient_pays=pays,
            )


def iter_alarm_rows(session: Session, flt: LedgerFilter, batch: int = 5000) -> Iterator[AlarmRow]:
    stmt = select(Finding).order_by(col(Finding.id)).execution_options(yield_per=batch)
    scope = [col(Finding.region_code) == flt.region_code] if flt.region_code else []
    if flt.alarm_kinds:
        scope.append(col(Finding.kind).in_(flt.alarm_kinds))
    if flt.date_from or flt.date_to:
        scope += _between(col(Finding.night), flt.date_from, flt.date_to)
    else:
        latest = session.execute(select(func.max(col(Finding.night))).where(*scope)).scalar()
        scope.append(col(Finding.night) == latest)
    for f in session.execute(stmt.where(*scope)).scalars():
        yield AlarmRow(f.id or 0, f.night, str(f.kind), f.region_code, f.patient_id, f.household_id, f.case_id,
                       f.amount, f.reason, f.run_id)  # fmt: skip


def _ledger_cells(rows: Iterable[LedgerRow], totals: LedgerTotals) -> Iterator[list[Cell]]:
    for row in rows:
        totals.add(row)
        yield row.cells()


def _footer(totals: LedgerTotals, lang: Lang) -> Iterator[list[Cell]]:
    yield totals.cells(lang)  # runs after the ledger rows were consumed, so the totals are complete


def export_files(
    flt: LedgerFilter, out_dir: Path, formats: Sequence[Format] = ("xlsx", "csv"), lang: Lang = "zh", page: int = 2000
) -> ExportResult:
    """One streaming pass over the database per format. XLSX: sheets 台账 (with a 合计 line) and 预警;
    CSV: ledger and alarms files (no total line, so the files stay machine-readable)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[str] = []
    totals, alarms = LedgerTotals(), 0
    for fmt in dict.fromkeys(formats):
        totals = LedgerTotals()
        with session_scope() as s:
            ledger = _ledger_cells(iter_ledger_rows(s, flt, page), totals)
            found = (a.cells() for a in iter_alarm_rows(s, flt))
            if fmt == "xlsx":
                files.append(str(out_dir / f"ledger-{flt.slug()}.xlsx"))
                first, second = ("台账", "预警") if lang == "zh" else ("ledger", "alarms")
                ledger_sheet = chain(ledger, _footer(totals, lang))
                sheets: list[Sheet] = [
                    (first, headers(LEDGER_COLUMNS, lang), number_formats(LEDGER_COLUMNS), ledger_sheet),
                    (second, headers(ALARM_COLUMNS, lang), number_formats(ALARM_COLUMNS), found),
                ]
                _, alarms = write_xlsx(Path(files[-1]), sheets)
            else:
                files += [str(out_dir / f"{kind}-{flt.slug()}.csv") for kind in ("ledger", "alarms")]
                write_csv(Path(files[-2]), headers(LEDGER_COLUMNS, lang), ledger)
                alarms = write_csv(Path(files[-1]), headers(ALARM_COLUMNS, lang), found)
        log.info("ledger_exported", format=fmt, rows=totals.rows, alarms=alarms, scope=flt.slug())
    return ExportResult(files=files, ledger_rows=totals.rows, alarm_rows=alarms, totals=totals.as_strings())


@task(cache_policy=NO_CACHE)
def export_ledger_files(
    flt: LedgerFilter, out_dir: str, formats: list[Format], lang: Lang, page: int = 2000
) -> ExportResult:
    return export_files(flt, Path(out_dir), formats, lang, page)
