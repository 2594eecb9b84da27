"""``Bill.from_record`` (typed database values, no re-parsing) must accept and reject exactly what
validation does, naming the same field, and settle to the same statement."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from config.policies import load_policies
from models.enums import CareSetting, HospitalLevel, HospitalLocation, PovertyStatus
from models.settlement.bill import Bill, BillError, LayerLine, PatientFacts, Statement, parse_bill
from models.settlement.engine import settle


def record(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "region": "520527",
        "service_date": date(2017, 2, 10),
        "setting": CareSetting.INPATIENT,
        "hospital_level": HospitalLevel.LEVEL2,
        "hospital_location": HospitalLocation.IN_COUNTY,
        "patient": PatientFacts(poverty_status=PovertyStatus.DESTITUTE, age=76),
        "total": Decimal("39467.00"),
        "out_of_scope": Decimal("733.00"),
        "sessions": 0,
        "prior_paid": {},
    }
    return base | over


def test_same_statement_as_validated_bill() -> None:
    policy = load_policies().in_force("520527", date(2017, 2, 10))
    fast = Bill.from_record(**record())
    slow = parse_bill({k: v for k, v in record().items() if k != "prior_paid"} | {"patient": record()["patient"]})
    assert settle(fast, policy) == settle(slow, policy)
    assert settle(fast, policy)[0].patient_pays == Decimal("0.00")


@pytest.mark.parametrize(
    ("over", "field"),
    [
        pytest.param({"total": Decimal("-0.01")}, "total", id="negative total"),
        pytest.param({"out_of_scope": Decimal("-5")}, "out_of_scope", id="negative out of scope"),
        pytest.param({"total": Decimal("100.005")}, "total", id="fractions of a fen"),
        pytest.param({"out_of_scope": Decimal("40000")}, "out_of_scope", id="out of scope above total"),
        pytest.param({"sessions": -1}, "sessions", id="negative dialysis sessions"),
        pytest.param({"hospital_level": "level9"}, "hospital_level", id="level not in the enum (bad hospital row)"),
    ],
)
def test_rejects_like_validation(over: dict[str, Any], field: str) -> None:
    with pytest.raises(BillError) as exc:
        Bill.from_record(**record(**over))
    assert exc.value.field == field


def test_engine_output_equals_validated_models() -> None:
    """The engine builds lines and statements without validation (``trusted``): the same as validating them."""
    policy = load_policies().in_force("520527", date(2017, 2, 10))
    statement, _ = settle(Bill.from_record(**record()), policy)
    validated = Statement.model_validate(
        statement.model_dump() | {"layers": [ln.model_dump() for ln in statement.layers]}
    )
    assert validated.model_dump() == statement.model_dump()
    assert statement.layers[0].model_fields_set == set(LayerLine.model_fields)
    assert [ln.model_dump() for ln in validated.layers] == [ln.model_dump() for ln in statement.layers]
