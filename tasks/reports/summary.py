"""Figures of a daily / weekly / monthly summary (日报 / 周调度 / 月总结) from the database. Business dates are
used throughout (screened / confirmed / admitted / discharged on, settlement service date, finding night),
never the wall-clock time a row was written. Settlements stream (``yield_per``); the rest are grouped counts.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import func, select
from sqlmodel import Session, col

from models.care import Hospital, TreatmentEpisode
from models.clinical import Case, Condition, Screening
from models.common import ZERO
from models.findings import Finding
from models.ledger_rows import self_pay_ratio
from models.people import Patient
from models.settlement.policy import LAYER_ORDER
from models.settlement.tables import Settlement, SettlementLine
from models.summary import (
    BINS,
    Period,
    SummaryData,
    cumulative_rates,
    in_target_scope,
    over_target,
    period_window,
    ratio_bin,
    series_ends,
)
from tasks.infra.db import session_scope
from tasks.reports.ledger import ledger_summary


def _activity(session: Session, lo: date, hi: date, region_code: str | None) -> dict[str, int]:
    """Pathway events with a business date in the window: screenings, confirmations, admissions, discharges."""
    by_case = [col(Case.region_code) == region_code] if region_code else []
    by_patient = [col(Patient.region_code) == region_code] if region_code else []

    def count(stmt: Any, day: Any, scope: list[Any]) -> int:
        return int(session.execute(stmt.where(day.between(lo, hi), *scope)).scalar_one())

    n = func.count()
    screenings = select(n).select_from(Screening).join(Patient, col(Patient.id) == col(Screening.patient_id))
    confirmations = select(n).select_from(Case).join(Condition, col(Condition.id) == col(Case.condition_id))
    stays = select(n).select_from(TreatmentEpisode).join(Case, col(Case.id) == col(TreatmentEpisode.case_id))
    return {
        "screened": count(screenings, col(Screening.screened_on), by_patient),
        "confirmed": count(confirmations, col(Condition.confirmed_on), by_case),
        "admitted": count(stays, col(TreatmentEpisode.admitted_on), by_case),
        "discharged": count(stays, col(TreatmentEpisode.discharged_on), by_case),
    }


def _settlements(session: Session, lo: date, hi: date, by_case: list[Any]) -> dict[str, Any]:
    """Streams the window's settlements (yield_per): histogram bins, count above target, totals by layer."""
    in_window = [col(Settlement.service_date).between(lo, hi), *by_case]
    bills = (
        select(col(Settlement.total), col(Settlement.patient_pays), col(Settlement.self_pay_ratio),
               col(TreatmentEpisode.setting), col(Patient.region_code), col(Hospital.region_code))
        .join(Case, col(Case.id) == col(Settlement.case_id))
        .join(TreatmentEpisode, col(TreatmentEpisode.id) == col(Settlement.episode_id))
        .join(Patient, col(Patient.id) == col(Settlement.patient_id))
        .join(Hospital, col(Hospital.id) == col(TreatmentEpisode.hospital_id))
        .where(*in_window)
        .execution_options(yield_per=10_000)
    )  # fmt: skip
    bins, n, over, base, total, pays = [0] * BINS, 0, 0, 0, ZERO, ZERO
    for t, p, ratio, setting, home, where in session.execute(bills).tuples():
        n, total, pays = n + 1, total + t, pays + p
        bins[ratio_bin(ratio)] += 1
        over += over_target(str(setting), home, where, ratio)
        base += in_target_scope(str(setting), home, where)
    paid = dict.fromkeys((layer.value for layer in LAYER_ORDER), ZERO)
    lines = (
        select(col(SettlementLine.layer), col(SettlementLine.paid))
        .join(Settlement, col(Settlement.id) == col(SettlementLine.settlement_id))
        .join(Case, col(Case.id) == col(Settlement.case_id))
        .where(*in_window)
        .execution_options(yield_per=10_000)
    )
    for layer, amount in session.execute(lines).tuples():
        paid[str(layer)] += amount
    return {
        "settlements": n,
        "paid": {k: str(v) for k, v in paid.items()},
        "total": str(total),
        "patient_pays": str(pays),
        "self_pay_ratio": str(self_pay_ratio(pays, total) or ""),
        "over_target": over,
        "target_bills": base,
        "self_pay_bins": bins,
    }


def _rates(session: Session, ends: list[date], by_case: list[Any]) -> dict[str, list[float | None]]:
    special = [col(Case.category).is_not(None), col(Case.state) != "closed", *by_case]
    confirmed = session.execute(
        select(col(Case.category), col(Condition.confirmed_on), func.count())
        .join(Condition, col(Condition.id) == col(Case.condition_id))
        .where(*special)
        .group_by(col(Case.category), col(Condition.confirmed_on))
    ).tuples()
    first = (  # each case's first discharge, from the scope's cases (their index), not every stay's
        select(col(Case.category).label("category"), func.min(col(TreatmentEpisode.discharged_on)).label("on"))
        .join(TreatmentEpisode, col(TreatmentEpisode.case_id) == col(Case.id))
        .where(col(TreatmentEpisode.discharged_on).is_not(None), *special)
        .group_by(col(Case.id), col(Case.category))
        .subquery()
    )
    treated = session.execute(
        select(first.c.category, first.c.on, func.count()).group_by(first.c.category, first.c.on)
    ).tuples()
    return cumulative_rates([(str(c), d, n) for c, d, n in confirmed], [(str(c), d, n) for c, d, n in treated], ends)


def collect_summary(session: Session, period: Period, on: date, region_code: str | None = None) -> SummaryData:
    lo, hi = period_window(period, on)
    by_case = [col(Case.region_code) == region_code] if region_code else []
    bills = _settlements(session, lo, hi, by_case)
    alarms: dict[str, dict[str, int]] = {}
    by_region = [col(Finding.region_code) == region_code] if region_code else []
    found = (
        select(col(Finding.region_code), col(Finding.kind), func.count())
        .where(col(Finding.night).between(lo, hi), *by_region)
        .group_by(col(Finding.region_code), col(Finding.kind))
    )
    for region, kind, count in session.execute(found).tuples():
        alarms.setdefault(region, {})[str(kind)] = count
    ends = series_ends(period, on)
    return SummaryData(
        period=period,
        start=lo,
        end=hi,
        region_code=region_code,
        activity={**_activity(session, lo, hi, region_code), "settled": bills["settlements"]},
        rate_ends=ends,
        rates=_rates(session, ends, by_case),
        alarms=alarms,
        ledger=ledger_summary(session, region_code),
        **bills,
    )


@task(cache_policy=NO_CACHE)
def gather_summary(period: Period, on: date, region_code: str | None) -> SummaryData:
    with session_scope() as s:
        return collect_summary(s, period, on, region_code)
