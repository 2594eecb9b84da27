"""The dashboard's queries rewritten for province scale (bench/bench_console.py) give the figures of the plain
per-row reading: treatment rates count a case once, at its first discharge; the contract rate counts the ledger's
patients with a term in force (an end taking effect on its date); summaries are reused for ``fresh_s`` only."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from unittest.mock import patch

from sqlalchemy import func, select
from sqlmodel import Session, col

from bench.cohort import NIGHT, build_cohort
from models.care import FamilyDoctorContract, TreatmentEpisode
from models.clinical import Case, Condition
from models.contracts import ContractEventKind, current_term
from models.enums import CaseState
from models.summary import cumulative_rates, series_ends
from tasks.infra.bulkwrite import append_rows
from tasks.infra.db import get_engine, session_scope
from tasks.pathway.contracts import terms_of
from tasks.reports import summary_cache
from tasks.reports.contract_rate import contracted_patients
from tasks.reports.summary import _rates

REGIONS = ["520527", "530427"]


def _more_history(s: Session) -> None:
    """A second, earlier stay for some treated cases, an open stay for others, an end for some contracts."""
    stays = list(s.execute(select(TreatmentEpisode).where(col(TreatmentEpisode.discharged_on).is_not(None))))
    every = s.execute(select(func.max(col(TreatmentEpisode.id)))).scalar_one()
    cols = ("id", "case_id", "patient_id", "hospital_id", "icd10", "setting", "admitted_on", "discharged_on",
            "sessions", "total_cost", "out_of_scope")  # fmt: skip
    rows = []
    last = int(every)  # the cohort wrote its ids itself (no sequence moved on PostgreSQL)
    for k, (e,) in enumerate(stays[:40]):
        on = e.discharged_on - timedelta(days=45) if k % 2 else None
        money = (D("1.00"), D("0.00"))
        rows.append((last + 1 + k, e.case_id, e.patient_id, e.hospital_id, e.icd10, "inpatient", on or NIGHT, on, 0,
                     *money))  # fmt: skip
    append_rows(s, "treatment_episode", cols, rows)
    terms = list(s.execute(select(FamilyDoctorContract)).scalars())[:30]
    ends = [(t.id, t.patient_id, ContractEventKind.ENDED.value, t.signed_on + timedelta(days=10 * k), "t", "r",
             datetime.now(UTC)) for k, t in enumerate(terms)]  # fmt: skip
    append_rows(
        s, "contract_event", ("contract_id", "patient_id", "kind", "on", "actor", "reason", "recorded_at"), ends
    )


def _plain_rates(s: Session, region: str, ends: list[date]) -> dict[str, list[float | None]]:
    first: dict[int, date] = {}
    for cid, on in s.execute(select(col(TreatmentEpisode.case_id), col(TreatmentEpisode.discharged_on))).tuples():
        if on is not None and cid is not None:
            first[cid] = min(on, first.get(cid, on))
    confirmed: Counter[tuple[str, date | None]] = Counter()
    treated: Counter[tuple[str, date]] = Counter()
    for case, cond in s.execute(select(Case, Condition).join(Condition)).tuples():
        if case.region_code != region or case.category is None or case.state == CaseState.CLOSED:
            continue
        confirmed[(str(case.category), cond.confirmed_on)] += 1
        if case.id in first:
            treated[(str(case.category), first[case.id])] += 1
    return cumulative_rates([(*k, n) for k, n in confirmed.items()], [(*k, n) for k, n in treated.items()], ends)


def _plain_contracts(s: Session, region: str, on: date) -> tuple[int, int]:
    live = {c.patient_id for c, cond in s.execute(select(Case, Condition).join(Condition)).tuples()
            if c.region_code == region and c.category is not None and c.state != CaseState.CLOSED
            and (cond.confirmed_on or on) <= on}  # fmt: skip
    terms = terms_of(s, sorted(live))
    return sum(1 for p in live if current_term(terms.get(p, []), on) is not None), len(live)


def test_rates_and_contract_rate_match_the_per_row_reading(db_url: str) -> None:
    build_cohort(600, regions=REGIONS)
    with session_scope() as s:
        _more_history(s)
    ends = series_ends("monthly", NIGHT)
    with session_scope() as s:
        for region in REGIONS:
            rates = _rates(s, ends, [col(Case.region_code) == region])
            assert rates == _plain_rates(s, region, ends) and any(r for v in rates.values() for r in v if r)
            for on in (NIGHT, NIGHT - timedelta(days=200), NIGHT + timedelta(days=300)):
                signed, patients = contracted_patients(s, region, on)
                assert (signed, patients) == _plain_contracts(s, region, on)
        assert contracted_patients(s, REGIONS[0], NIGHT)[0] > 0


def test_dashboard_summaries_are_reused_then_refreshed_in_the_background(db_url: str) -> None:
    build_cohort(50, regions=REGIONS)
    summary_cache.forget()
    with session_scope() as s:
        first, at = summary_cache.recent_summary(s, "monthly", NIGHT, REGIONS[0])
        again, at2 = summary_cache.recent_summary(s, "monthly", NIGHT, REGIONS[0])
        assert again is first and at2 == at, "fresh: served as is"
        other, _ = summary_cache.recent_summary(s, "monthly", NIGHT, REGIONS[1])
        assert other is not first and other.region_code == REGIONS[1]
        stale, at3 = summary_cache.recent_summary(s, "monthly", NIGHT, REGIONS[0], fresh_s=0)
        assert stale is first and at3 == at, "stale: served at once"
        deadline = time.time() + 30
        while summary_cache.refreshing() and time.time() < deadline:
            time.sleep(0.05)
        renewed, at4 = summary_cache.recent_summary(s, "monthly", NIGHT, REGIONS[0])
        assert renewed is not first and renewed == first and at4 > at, "computed again in the background"
        old, at5 = summary_cache.recent_summary(s, "monthly", NIGHT, REGIONS[0], fresh_s=0, stale_s=0)
        assert old is not renewed and at5 > at4, "too old: computed before answering"
    summary_cache.forget()


def test_warming_fills_the_cache_in_the_background(db_url: str) -> None:
    build_cohort(50, regions=REGIONS)
    summary_cache.forget()
    with session_scope() as s:
        scopes = ((date(2017, 10, 1), REGIONS[0][:4]),)
        summary_cache.warm_later(get_engine(), "monthly", NIGHT, REGIONS, scopes).join(timeout=60)
        computed_again = AssertionError("computed again")
        with (
            patch.object(summary_cache, "collect_summary", side_effect=computed_again),
            patch.object(summary_cache.bulletin, "collect_coverage", side_effect=computed_again),
            patch.object(summary_cache.open_alarms, "count_open", side_effect=computed_again),
        ):
            for region in REGIONS:
                data, _ = summary_cache.recent_summary(s, "monthly", NIGHT, region)
                assert data.region_code == region
            assert REGIONS[0] in summary_cache.recent_coverage(s, date(2017, 10, 1), NIGHT, REGIONS[0][:4])
            summary_cache.recent_alarms(s, REGIONS[0][:4], NIGHT)
    summary_cache.forget()
