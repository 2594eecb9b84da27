"""季通报 / 年考核 figures from the database: grouped counts per county of a scope (region-code prefix), by
business dates (confirmed / discharged / followed / signed on, settlement service date, finding night,
list date), never the time a row was written. Definitions: ``models/bulletin.py``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from sqlalchemy import and_, case, func, select, type_coerce
from sqlmodel import Session, col

from config.catalogue import load_regions
from models.access import check_region
from models.bulletin import COLUMNS, BulletinData, BulletinKind, CountyFigures, bulletin_markdown, ranked, table_rows
from models.care import FollowUp, Hospital, TreatmentEpisode
from models.clinical import Case, Condition
from models.common import ZERO, Money
from models.enums import CareSetting, Category
from models.findings import Finding
from models.people import ExternalStatus, Patient
from models.settlement.tables import Settlement
from models.summary import TARGET
from tasks.infra.access import scope_of
from tasks.infra.db import session_scope
from tasks.reports.contract_rate import contracts_by_region, live_special
from tasks.reports.spreadsheets import write_xlsx

Grouped = dict[str, Any]


def _cases(session: Session, end: date, prefix: str, out: dict[str, CountyFigures]) -> None:
    first = (
        select(col(TreatmentEpisode.case_id).label("case_id"), func.min(col(TreatmentEpisode.discharged_on)).label("d"))
        .where(col(TreatmentEpisode.discharged_on) <= end)
        .group_by(col(TreatmentEpisode.case_id))
        .subquery()
    )
    stmt = (
        select(col(Case.region_code), col(Case.category), func.count(), func.count(first.c.d))
        .join(Condition, col(Condition.id) == col(Case.condition_id))
        .outerjoin(first, first.c.case_id == col(Case.id))
        .where(*live_special(end, prefix))
        .group_by(col(Case.region_code), col(Case.category))
    )
    for region, category, n, treated in session.execute(stmt).tuples():
        c = out[region]
        c.special_cases, c.treated = c.special_cases + n, c.treated + treated
        c.by_category[str(category)] = n


FOLLOWED_CATEGORIES = (Category.MAINTENANCE.value, Category.LONG_TERM.value)


def _follow_ups(session: Session, lo: date, hi: date, prefix: str, out: dict[str, CountyFigures]) -> None:
    seen = select(col(FollowUp.case_id)).where(col(FollowUp.followed_on).between(lo, hi)).distinct().subquery()
    stmt = (
        select(col(Case.region_code), func.count(), func.count(seen.c.case_id))
        .join(Condition, col(Condition.id) == col(Case.condition_id))
        .outerjoin(seen, seen.c.case_id == col(Case.id))
        .where(*live_special(hi, prefix), col(Case.category).in_(FOLLOWED_CATEGORIES))
        .group_by(col(Case.region_code))
    )
    for region, n, followed in session.execute(stmt).tuples():
        out[region].followed_cases, out[region].followed = n, followed


def _contracts(session: Session, end: date, prefix: str, out: dict[str, CountyFigures]) -> None:
    """签约率 at the period's end, as the ledger counts it (``tasks.reports.contract_rate``)."""
    for region, (signed, patients) in contracts_by_region(session, end, prefix).items():
        out[region].contract_patients, out[region].contracted = patients, signed


def _settlements(session: Session, lo: date, hi: date, prefix: str, out: dict[str, CountyFigures]) -> None:
    in_county = col(Hospital.region_code) == col(Case.region_code)
    inpatient_here = and_(in_county, col(TreatmentEpisode.setting) == CareSetting.INPATIENT.value)

    def when(cond: Any, value: Any) -> Any:
        return func.sum(case((cond, value), else_=0))

    stmt = (
        select(
            col(Case.region_code),
            when(inpatient_here, 1),
            when(and_(inpatient_here, col(Settlement.self_pay_ratio) <= TARGET), 1),
            type_coerce(when(inpatient_here, col(Settlement.total)), Money()),
            type_coerce(when(inpatient_here, col(Settlement.patient_pays)), Money()),
            when(~in_county, 1),
        )
        .join(Case, col(Case.id) == col(Settlement.case_id))
        .join(TreatmentEpisode, col(TreatmentEpisode.id) == col(Settlement.episode_id))
        .join(Hospital, col(Hospital.id) == col(TreatmentEpisode.hospital_id))
        .where(col(Settlement.service_date).between(lo, hi), col(Case.region_code).startswith(prefix))
        .group_by(col(Case.region_code))
    )
    for region, bills, within, total, pays, outside in session.execute(stmt).tuples():
        c = out[region]
        c.in_county_bills, c.in_county_within_target, c.out_of_county_bills = int(bills), int(within), int(outside)
        c.in_county_total, c.in_county_patient_pays = total or ZERO, pays or ZERO


def _consistency(session: Session, end: date, prefix: str, out: dict[str, CountyFigures]) -> None:
    latest = (
        select(col(ExternalStatus.patient_id), func.max(col(ExternalStatus.list_date)).label("d"))
        .where(col(ExternalStatus.list_date) <= end, col(ExternalStatus.poverty_status).is_not(None))
        .group_by(col(ExternalStatus.patient_id))
        .subquery()
    )
    agrees = func.max(case((col(ExternalStatus.poverty_status) == col(Patient.poverty_status), 1), else_=0))
    per_person = (
        select(col(Patient.region_code).label("region"), agrees.label("ok"))
        .join(latest, latest.c.patient_id == col(Patient.id))
        .join(
            ExternalStatus,
            and_(col(ExternalStatus.patient_id) == col(Patient.id), col(ExternalStatus.list_date) == latest.c.d),
        )
        .where(col(Patient.region_code).startswith(prefix), col(ExternalStatus.poverty_status).is_not(None))
        .group_by(col(Patient.id), col(Patient.region_code))
        .subquery()
    )
    stmt = select(per_person.c.region, func.count(), func.sum(per_person.c.ok)).group_by(per_person.c.region)
    for region, n, ok in session.execute(stmt).tuples():
        out[region].compared_people, out[region].agreeing_people = n, int(ok or 0)


def _alarms(session: Session, lo: date, hi: date, prefix: str, out: dict[str, CountyFigures]) -> None:
    stmt = (
        select(col(Finding.region_code), col(Finding.kind), func.count())
        .where(col(Finding.night).between(lo, hi), col(Finding.region_code).startswith(prefix))
        .group_by(col(Finding.region_code), col(Finding.kind))
    )
    for region, kind, n in session.execute(stmt).tuples():
        out[region].alarms[str(kind)] = n


class _Counties(dict[str, CountyFigures]):
    """County figures by region code, created on first use (a county in the data but not in regions.yaml too)."""

    def __missing__(self, region: str) -> CountyFigures:
        self[region] = CountyFigures(region_code=region, name=region)
        return self[region]


def _counties(prefix: str) -> _Counties:
    return _Counties({r.code: CountyFigures(region_code=r.code, name=r.name)
                      for r in load_regions().regions if r.code.startswith(prefix)})  # fmt: skip


def collect_coverage(session: Session, lo: date, hi: date, prefix: str) -> dict[str, CountyFigures]:
    """Per county of the scope: contract rate on ``hi`` and follow-up rate within ``lo``..``hi`` — only those
    counts filled (the supervisor's dashboard shows them with the bulletin's own definitions)."""
    out = _counties(prefix)
    _coverage(session, lo, hi, prefix, out)
    return dict(out)


def _coverage(session: Session, lo: date, hi: date, prefix: str, out: dict[str, CountyFigures]) -> None:
    _follow_ups(session, lo, hi, prefix, out)
    _contracts(session, hi, prefix, out)


def collect_bulletin(
    session: Session, kind: BulletinKind, period: str, lo: date, hi: date, prefix: str
) -> BulletinData:
    out = _counties(prefix)
    _cases(session, hi, prefix, out)
    _coverage(session, lo, hi, prefix, out)
    _settlements(session, lo, hi, prefix, out)
    _consistency(session, hi, prefix, out)
    _alarms(session, lo, hi, prefix, out)
    return BulletinData(kind=kind, period=period, start=lo, end=hi, scope=prefix, counties=ranked(list(out.values())))


@task(cache_policy=NO_CACHE)
def gather_bulletin(kind: BulletinKind, period: str, lo: date, hi: date, prefix: str) -> BulletinData:
    with session_scope() as s:
        return collect_bulletin(s, kind, period, lo, hi, prefix)


def write_bulletin_files(data: BulletinData, out_dir: str) -> BulletinData:
    """The XLSX (one ranked sheet) and the Chinese markdown beside it; returns the data naming the files."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"{data.kind}-{data.period}-{data.scope or 'all'}"
    md, xlsx = stem.with_suffix(".md"), stem.with_suffix(".xlsx")
    md.write_text(bulletin_markdown(data), encoding="utf-8")
    write_xlsx(xlsx, [(data.period, [t for t, _ in COLUMNS], {}, iter(table_rows(data)))])
    return data.model_copy(update={"files": [str(md), str(xlsx)]})


@task(cache_policy=NO_CACHE)
def publish_bulletin(data: BulletinData, out_dir: str) -> BulletinData:
    """The files, and the same markdown as a Prefect artifact (a supervisor reads it in the UI)."""
    data = write_bulletin_files(data, out_dir)
    key = f"{data.kind}-{data.scope or 'all'}"
    create_markdown_artifact(markdown=bulletin_markdown(data), key=key, description=f"{data.kind} {data.period}")
    return data


def bulletin_scope(actor: str, region_code: str | None) -> str:
    """The region prefix the report covers: the region asked for (within the actor's scope), else the whole of
    the actor's scope — a supervisor's prefecture or province, every region for a system actor."""
    with session_scope() as s:
        scope = scope_of(s, actor)
    if region_code is None:
        return scope.region_prefix
    check_region(scope, region_code, f"region {region_code}")
    return region_code
