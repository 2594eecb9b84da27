"""``apply_statement``: the annual payer ledger after one settled bill, one row per case."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from config.policies import load_policies
from models.settlement.bill import PriorUse, parse_bill
from models.settlement.engine import LedgerDelta, settle
from models.settlement.ledger import apply_statement
from models.settlement.policy import PayerLayer

BASIC, CRITICAL, ASSIST = PayerLayer.BASIC_INSURANCE, PayerLayer.CRITICAL_ILLNESS, PayerLayer.MEDICAL_ASSISTANCE


def use(paid: str, deductible: str = "0.00") -> PriorUse:
    return PriorUse(paid=paid, deductible=deductible)


def delta(layer: PayerLayer, paid: str, deductible: str = "0.00") -> LedgerDelta:
    return LedgerDelta(layer, Decimal(paid), Decimal(deductible))


@pytest.mark.parametrize(
    ("before", "deltas", "after"),
    [
        pytest.param({}, [], {}, id="nothing settled: nothing changes"),
        pytest.param(
            {},
            [delta(BASIC, "1200.00", "500.00"), delta(ASSIST, "300.00")],
            {BASIC: use("1200.00", "500.00"), ASSIST: use("300.00")},
            id="first bill of the year: layers start from zero",
        ),
        pytest.param(
            {BASIC: use("1200.00", "500.00")},
            [delta(BASIC, "800.50", "0.00")],
            {BASIC: use("2000.50", "500.00")},
            id="second bill adds to the layer, deductible already used",
        ),
        pytest.param(
            {BASIC: use("1200.00"), CRITICAL: use("40.00", "3000.00")},
            [delta(BASIC, "0.00")],
            {BASIC: use("1200.00"), CRITICAL: use("40.00", "3000.00")},
            id="a layer the bill did not reach keeps its figures",
        ),
        pytest.param(
            {ASSIST: use("99999999.99")},
            [delta(ASSIST, "99999999.99")],
            {ASSIST: use("199999999.98")},
            id="sums may exceed one bill's MAX_AMOUNT",
        ),
    ],
)
def test_apply_statement(
    before: dict[PayerLayer, PriorUse], deltas: list[LedgerDelta], after: dict[PayerLayer, PriorUse]
) -> None:
    kept = dict(before)
    assert apply_statement(before, deltas) == after
    assert before == kept  # pure: the ledger given is left as it was


def test_two_bills_of_a_year_see_each_other_through_the_ledger() -> None:
    """Settling the year's bills one after another through the ledger gives what one bill priced with the
    first one's use as ``prior_paid`` gives (the yearly deductible is taken once)."""
    policies = load_policies()
    doc = {
        "region": "520527",
        "service_date": "2017-02-10",
        "setting": "inpatient",
        "hospital_level": "level2",
        "hospital_location": "in_county",
        "patient": {"poverty_status": "general", "age": 50},
        "total": "20000.00",
    }
    first = parse_bill(doc)
    policy = policies.in_force(first.region, date(2017, 2, 10))
    _, deltas = settle(first, policy)
    ledger = apply_statement({}, deltas)
    second = parse_bill(doc | {"service_date": "2017-05-10"}).model_copy(update={"prior_paid": ledger})
    statement, more = settle(second, policies.in_force(second.region, date(2017, 5, 10)))
    total = apply_statement(ledger, more)
    assert total[BASIC].paid == ledger[BASIC].paid + statement.layers[0].paid
    assert sum((u.paid for u in total.values()), Decimal(0)) == sum(
        (ln.paid for ln in statement.layers), Decimal(0)
    ) + sum((u.paid for u in ledger.values()), Decimal(0))
