"""Property tests: layers + patient == total to the fen, nothing negative, more generous never pays less."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from config.policies import load_policies
from models.enums import CareSetting, HospitalLevel, HospitalLocation, PovertyStatus
from models.settlement.bill import Bill, PatientFacts, PriorUse
from models.settlement.engine import settle
from models.settlement.policy import PayerLayer, Policy

POLICIES = load_policies()
GROUPS = ["severe_illness", "entitled_veteran", "severely_disabled", "mental_illness"]

fen = st.integers(min_value=0, max_value=50_000_000).map(lambda n: Decimal(n) / 100)


@st.composite
def bills(draw: st.DrawFn) -> Bill:
    region, day = draw(
        st.sampled_from([("520527", date(2016, 5, 1)), ("520527", date(2017, 3, 1)), ("530427", date(2017, 8, 1))])
    )
    total = draw(fen)
    oos = draw(st.integers(0, int(total * 100))) / Decimal(100)
    prior = draw(
        st.dictionaries(
            st.sampled_from(list(PayerLayer)),
            st.builds(PriorUse, paid=fen, deductible=st.sampled_from(["0", "1000", "5000"])),
            max_size=2,
        )
    )
    return Bill(
        region=region,
        service_date=day,
        setting=draw(st.sampled_from(list(CareSetting))),
        hospital_level=draw(st.sampled_from(list(HospitalLevel))),
        hospital_location=draw(st.sampled_from(list(HospitalLocation))),
        patient=PatientFacts(
            poverty_status=draw(st.sampled_from(list(PovertyStatus))),
            age=draw(st.integers(0, 100)),
            groups=frozenset(draw(st.lists(st.sampled_from(GROUPS), max_size=2))),
        ),
        total=total,
        out_of_scope=oos,
        sessions=draw(st.integers(0, 20)),
        prior_paid=prior,
    )


@settings(max_examples=400, deadline=None)
@given(bills())
def test_layers_plus_patient_equal_total_and_nothing_negative(bill: Bill) -> None:
    statement, deltas = settle(bill, POLICIES.in_force(bill.region, bill.service_date))
    assert sum((ln.paid for ln in statement.layers), statement.patient_pays) == bill.total
    assert all(ln.paid >= 0 and ln.paid == ln.paid.quantize(Decimal("0.01")) for ln in statement.layers)
    assert statement.patient_pays >= 0
    assert all(d.paid >= 0 and d.deductible >= 0 for d in deltas)


def _more_generous(policy: Policy, points: Decimal) -> Policy:
    """Every ratio raised by ``points`` (capped at 100%) and every deductible halved."""
    data = policy.model_dump()
    for layer in data["layers"]:
        for rule in layer["rules"]:
            if rule["ratio"] is not None:
                rule["ratio"] = min(Decimal(1), rule["ratio"] + points)
            if rule["ratio_by_level"]:
                rule["ratio_by_level"] = {k: min(Decimal(1), v + points) for k, v in rule["ratio_by_level"].items()}
            rule["location_ratio"] = {k: min(Decimal(1), v + points) for k, v in rule["location_ratio"].items()}
            rule["deductible"] = rule["deductible"] / 2
            if rule["deductible_by_level"]:
                rule["deductible_by_level"] = {k: v / 2 for k, v in rule["deductible_by_level"].items()}
    return Policy.model_validate(data)


@settings(max_examples=300, deadline=None)
@given(bills(), st.sampled_from([Decimal("0.01"), Decimal("0.05"), Decimal("0.20")]))
def test_more_generous_policy_never_leaves_the_patient_paying_more(bill: Bill, points: Decimal) -> None:
    policy = POLICIES.in_force(bill.region, bill.service_date)
    base, _ = settle(bill, policy)
    generous, _ = settle(bill, _more_generous(policy, points))
    assert generous.patient_pays <= base.patient_pays
