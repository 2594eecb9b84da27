"""The simulation core: the policy in force reproduces what was settled (ledgers rebuilt per patient and year),
a proposal's differences are tallied per layer, per patient and per household."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import yaml

from config.policies import load_policies
from models.settlement.bill import parse_bill
from models.settlement.engine import settle
from models.settlement.ledger import apply_statement
from models.settlement.policy import PayerLayer, Policy
from models.simulation.core import SimStay, Tally, resettle, simulate

POLICIES = load_policies()


def _bill(total: str, on: str, status: str = "registered_poor", **over: Any) -> dict[str, Any]:
    return {
        "region": "530427", "service_date": on, "setting": "inpatient", "hospital_level": "level2",
        "hospital_location": "in_county", "patient": {"poverty_status": status, "age": 40, "groups": []},
        "total": total, "out_of_scope": "300.00", **over,
    }  # fmt: skip


def _stored(rows: list[tuple[int, dict[str, Any]]]) -> list[SimStay]:
    """Settle the bills the way the settlement does (one ledger per patient and year) and keep the result."""
    years: dict[tuple[int, int], Any] = {}
    out = []
    for i, (patient, data) in enumerate(rows, 1):
        unpriced = parse_bill(data)
        key = (patient, unpriced.service_date.year)
        prior = years.get(key, {})
        st, deltas = settle(
            unpriced.model_copy(update={"prior_paid": prior}), POLICIES.in_force("530427", unpriced.service_date)
        )
        years[key] = apply_statement(prior, deltas)
        paid = {ln.layer: ln.paid for ln in st.layers}
        out.append(SimStay(i, patient, patient * 10, unpriced, paid, st.patient_pays, st.self_pay_ratio))
    return out


STAYS = _stored([
    (1, _bill("20000.00", "2017-03-01")), (1, _bill("90000.00", "2017-06-01")), (1, _bill("5000.00", "2018-01-05")),
    (2, _bill("8000.00", "2017-04-01", status="general")), (3, _bill("150000.00", "2017-05-01")),
    (4, _bill("3000.00", "2017-05-02", treatment_kind="delivery")),  # the 2,200 lump sum (seed 002)
])  # fmt: skip


def _in_force(region: str, on: date) -> Policy:
    return POLICIES.in_force(region, on)


def test_the_policy_in_force_reproduces_every_stored_settlement() -> None:
    for stay, priced in resettle(STAYS, _in_force):
        assert priced.paid == stay.paid and priced.patient_pays == stay.patient_pays, stay.stay_id
    tally = simulate(STAYS, _in_force, lambda s: s.bill.region)["530427"]
    assert tally.today == tally.proposed and tally.stays == 6
    assert tally.changes() == (0, 0, [])


def _without(layer: PayerLayer) -> Policy:
    data = yaml.safe_load(POLICIES.in_force("530427", date(2017, 1, 1)).model_dump_json())
    data["layers"] = [lp for lp in data["layers"] if lp["layer"] != layer.value]
    return Policy.model_validate(data)


def test_removing_a_layer_moves_its_cost_to_the_patients_who_used_it() -> None:
    proposal = _without(PayerLayer.SUPPLEMENTARY)
    tally = simulate(STAYS, lambda r, d: proposal, lambda s: "all")["all"]
    removed = tally.today.layers.get("supplementary", Decimal(0))
    assert removed > 0 and "supplementary" not in tally.proposed.layers
    # nothing else changes when the last layer goes: the patients pay exactly what it paid
    assert tally.proposed.patient_pays - tally.today.patient_pays == removed
    more, less, top = tally.changes()
    assert less == 0 and more == len({s.patient_id for s in STAYS if s.paid.get(PayerLayer.SUPPLEMENTARY, 0) > 0})
    assert top[0][1] == max(now - was for was, now in tally.patients.values())


def test_tallies_of_patient_chunks_merge_to_the_whole() -> None:
    proposal = _without(PayerLayer.SUPPLEMENTARY)
    whole = simulate(STAYS, lambda r, d: proposal, lambda s: "all")["all"]
    merged = Tally()
    for part in (STAYS[:3], STAYS[3:5], STAYS[5:]):  # cut at a patient boundary
        merged.merge(simulate(part, lambda r, d: proposal, lambda s: "all")["all"])
    assert merged == whole


def _hezhang(edit: Any) -> Policy:
    data = yaml.safe_load(POLICIES.in_force("520527", date(2017, 1, 1)).model_dump_json())
    edit(data)
    return Policy.model_validate(data)


def _plus5(data: dict[str, Any]) -> None:
    for rule in data["layers"][0]["rules"]:
        if rule.get("ratio_by_level"):
            rule["ratio_by_level"] = {
                k: str(min(Decimal(v) + Decimal("0.05"), 1)) for k, v in rule["ratio_by_level"].items()
            }


def _no_critical(data: dict[str, Any]) -> None:
    data["layers"] = [lp for lp in data["layers"] if lp["layer"] != "critical_illness"]


HAND = [
    # demo patient 6: 建档立卡, township in county, 3,476.71 (160.97 out of scope). Basic (3,315.74 − 100) × 90%
    # = 2,894.17; the 421.57 in-scope left is under the 3,000 yearly thresholds: pays 3,476.71 − 2,894.17
    ({"status": "registered_poor", "level": "township", "location": "in_county", "total": "3476.71",
      "oos": "160.97"}, _plus5, "582.54"),
    # demo patient 8: 低保, city level-3 (out of county), 17,690.50 (65.45 out of scope). Basic (17,625.05 − 500)
    # × 65% = 11,131.28; without 大病保险 assistance pays 70% of the 6,493.77 left = 4,545.64: pays 2,013.58
    ({"status": "minimum_living", "level": "level3", "location": "out_of_county", "total": "17690.50",
      "oos": "65.45"}, _no_critical, "2013.58"),
]  # fmt: skip


@pytest.mark.parametrize(("bill", "edit", "pays"), HAND)
def test_hand_checked_patients_of_the_demo_county(bill: dict[str, str], edit: Any, pays: str) -> None:
    data = {"region": "520527", "service_date": "2017-05-02", "setting": "inpatient",
            "hospital_level": bill["level"], "hospital_location": bill["location"],
            "patient": {"poverty_status": bill["status"], "age": 40, "groups": []},
            "total": bill["total"], "out_of_scope": bill["oos"]}  # fmt: skip
    stay = SimStay(1, 1, 1, parse_bill(data), {}, Decimal(0), Decimal(0))
    proposal = _hezhang(edit)
    ((_, priced),) = resettle([stay], lambda r, d: proposal)
    assert priced.patient_pays == Decimal(pays)
