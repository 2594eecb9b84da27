"""防止返贫 alarms of the default rules are decided in SQL (one INSERT … SELECT per chunk): on a seeded cohort
they must be exactly the alarms the pure rule ``models.nightly.poverty_alarms`` gives for the same households,
amounts and reasons included, on SQLite (money in fen) and PostgreSQL (NUMERIC)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import col

from bench.cohort import build_cohort
from config.nightly import load_nightly_rules
from models.enums import PovertyStatus
from models.findings import Finding, FindingKind
from models.nightly import HouseholdYear, alarm_tests, poverty_alarms
from models.people import Household, Patient
from models.settlement.tables import Settlement
from tasks.infra.db import session_scope
from tasks.nightly import run as nightly

NIGHT = date(2017, 12, 1)


def _expected() -> set[tuple[str, str, Decimal]]:
    """The pure rule over every household's settlements of the year, aggregated here in Python."""
    rules = load_nightly_rules().poverty_alarm
    with session_scope() as s:
        rows = s.execute(
            select(col(Household.id), col(Household.region_code), col(Household.poverty_status),
                   col(Patient.poverty_status), col(Settlement.patient_pays))
            .join(Patient, col(Patient.household_id) == col(Household.id))
            .join(Settlement, col(Settlement.patient_id) == col(Patient.id))
            .where(col(Settlement.service_date).between(date(NIGHT.year, 1, 1), NIGHT))
        ).all()  # fmt: skip
    total: dict[int, Decimal] = defaultdict(Decimal)
    largest: dict[int, dict[str, Decimal | None]] = defaultdict(lambda: {r.name: None for r in rules.one_stay})
    about: dict[int, tuple[str, PovertyStatus]] = {}
    for hid, region, status, member_status, pays in rows:
        about[hid] = (region, PovertyStatus(status))
        total[hid] += pays
        for r in rules.one_stay:
            top = largest[hid][r.name]
            if PovertyStatus(member_status) in r.statuses and (top is None or pays > top):
                largest[hid][r.name] = pays
    years = [HouseholdYear(h, about[h][0], about[h][1], total[h], largest[h]) for h in about]
    return {(a.subject, a.reason, a.amount) for a in poverty_alarms(years, rules, NIGHT.year)}


def test_set_based_poverty_alarms_are_the_pure_rule_s(db_url: str) -> None:
    build_cohort(900, night=NIGHT)
    with session_scope() as s:
        run_id = nightly.open_run(s, NIGHT, None, None).id or 0
        chunks = nightly.pending_chunks(s, run_id, "households", 100, None)
    for lo, hi in chunks:
        with session_scope() as s:
            nightly.assess(s, run_id, "households", lo, hi, "nightly")
    with session_scope() as s:
        got = {
            (subject, reason, amount)
            for subject, reason, amount in s.execute(
                select(col(Finding.subject), col(Finding.reason), col(Finding.amount)).where(
                    col(Finding.kind) == FindingKind.POVERTY_ALARM.value
                )
            )
        }
    expected = _expected()
    rules = {subject.rsplit("/", 1)[1] for subject, _, _ in expected}
    assert len(rules) == 4, f"the cohort must trip every default rule, tripped {sorted(rules)}"
    assert got == expected


def test_a_year_rule_applies_only_where_last_year_s_income_is_configured() -> None:
    rules = load_nightly_rules().poverty_alarm
    tests = {t.name: t for t in alarm_tests(rules, ["52", "13"], 2017)}
    assert tests["resident_year_over_income"].limits == {"52": Decimal("8090.00")}, "贵州 2016 income, 100%"
    assert tests["lifted_year_over_half_income"].limits == {"52": Decimal("4045.00")}, "50% of it"
    assert tests["monitored_stay_over_6000"].limits == {"": Decimal("6000.00")}, "a stay threshold is national"
    assert not alarm_tests(rules.model_copy(update={"one_stay": []}), ["13"], 2017), "no income in 13: no test"
