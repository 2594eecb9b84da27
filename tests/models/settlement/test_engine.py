"""Settlement rules, one row per rule with its reason; the two real bills; invalid bills."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from config.policies import load_policies
from models.settlement.bill import BillError, parse_bill
from models.settlement.engine import settle
from models.settlement.preview import preview
from models.settlement.recorded import DiscrepancyKind, check_recorded

POLICIES = load_policies()


def bill(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "region": "520527",
        "service_date": "2017-02-10",
        "setting": "inpatient",
        "hospital_level": "level2",
        "hospital_location": "in_county",
        "patient": {"poverty_status": "general", "age": 50, "groups": []},
        "total": "10000.00",
        "out_of_scope": "0",
    }
    patient = over.pop("patient", {})
    base.update(over)
    base["patient"] = {**base["patient"], **patient}
    return base


def paid(data: dict[str, Any]) -> dict[str, str]:
    out = preview(data, POLICIES)
    return {ln["layer"]: ln["paid"] for ln in out["layers"]} | {"patient": out["patient_pays"]}


def test_he_zunxian_bill_reproduced_exactly() -> None:
    out = preview(bill(total="39467", out_of_scope="733", patient={"poverty_status": "destitute", "age": 76}), POLICIES)
    layers = {ln["layer"]: ln for ln in out["layers"]}
    assert layers["basic_insurance"]["paid"] == "38534.00"
    assert layers["medical_assistance"]["paid"] == "933.00"
    assert layers["critical_illness"]["paid"] == "0.00"
    assert (out["patient_pays"], out["self_pay_ratio"], out["flags"]) == ("0.00", "0.0000", [])


def test_xu_fei_printed_figures_do_not_add_up() -> None:
    findings = check_recorded(
        {
            "total": "114634.48",
            "out_of_scope": "2987.41",
            "in_scope": "111646.67",
            "patient_paid": "9291.62",
            "paid": {"basic_insurance": "72769.86", "critical_illness": "20573.00", "medical_assistance": "15000"},
            "self_pay_ratio": "0.0811",
        }
    )
    by_kind = {f.kind: f for f in findings}
    assert by_kind[DiscrepancyKind.LAYERS_DO_NOT_ADD_UP].difference == Decimal("12000.00")
    assert "off by 3000.00" in by_kind[DiscrepancyKind.LAYERS_DO_NOT_ADD_UP].detail
    assert by_kind[DiscrepancyKind.SCOPE_DOES_NOT_ADD_UP].difference == Decimal("0.40")
    assert DiscrepancyKind.RATIO_MISPRINTED not in by_kind  # 9291.62 / 114634.48 = 8.11% as printed


def test_the_old_recorded_names_still_import() -> None:
    """Code written before the rename (``Finding``/``FindingKind``) keeps working; the nightly run's
    ``models.findings.Finding`` is a different thing (a stored alarm)."""
    from models.findings import Finding as NightlyFinding
    from models.settlement.recorded import Discrepancy, Finding, FindingKind

    assert Finding is Discrepancy and FindingKind is DiscrepancyKind
    assert NightlyFinding is not Discrepancy


def test_a_consistent_record_has_no_findings() -> None:
    assert (
        check_recorded(
            {
                "total": "39467",
                "out_of_scope": "733",
                "in_scope": "38734",
                "patient_paid": "0",
                "paid": {"basic_insurance": "38534", "medical_assistance": "933"},
            }
        )
        == []
    )


RULES = [
    pytest.param(
        bill(),
        {"basic_insurance": "7350.00", "critical_illness": "0.00", "medical_assistance": "0.00", "patient": "2650.00"},
        id="hezhang general level2: 75% above 200 deductible",
    ),
    pytest.param(
        bill(hospital_level="township"),
        {"basic_insurance": "8415.00", "patient": "1585.00"},
        id="hezhang township 85% above 100",
    ),
    pytest.param(
        bill(hospital_level="level3", hospital_location="out_of_county"),
        {"basic_insurance": "6175.00"},
        id="out of county, general: level3 65% (the +10 points belong to the 特困/80+ clause), deductible 500",
    ),
    pytest.param(
        bill(hospital_level="level3", hospital_location="out_of_province"),
        {"basic_insurance": "5225.00"},
        id="out of province (市外) 55%",
    ),
    pytest.param(
        bill(patient={"poverty_status": "registered_poor", "age": 82}),
        {"basic_insurance": "9800.00"},
        id="registered poor aged 80+ in county: 100% above deductible",
    ),
    pytest.param(
        bill(
            patient={"poverty_status": "registered_poor", "age": 82},
            hospital_location="out_of_county",
            hospital_level="level3",
        ),
        {"basic_insurance": "7125.00"},
        id="80+ rule only in county",
    ),
    pytest.param(
        bill(patient={"poverty_status": "registered_poor", "age": 40, "groups": ["severe_illness"]}),
        {"basic_insurance": "7840.00"},
        id="severe registered poor +5 points (80%)",
    ),
    pytest.param(
        bill(total="50000", patient={"poverty_status": "general"}),
        {"basic_insurance": "37350.00", "critical_illness": "3825.00", "patient": "8825.00"},
        id="critical illness: 50% of self-pay above 5000",
    ),
    pytest.param(
        bill(total="50000", patient={"poverty_status": "minimum_living"}),
        {
            "basic_insurance": "37350.00",
            "critical_illness": "4825.00",
            "medical_assistance": "5477.50",
            "patient": "2347.50",
        },
        id="minimum living: 3000 threshold from Oct 2016, then 70% assistance",
    ),
    pytest.param(
        bill(total="50000", service_date="2016-09-30", patient={"poverty_status": "minimum_living"}),
        {"critical_illness": "3825.00"},
        id="bill before the October 2016 change settles at 5000",
    ),
    pytest.param(
        bill(total="50000", patient={"poverty_status": "registered_poor"}),
        {"critical_illness": "3825.00", "medical_assistance": "2912.50", "patient": "5912.50"},
        id="registered poor: 50% of self-pay above 3000",
    ),
    pytest.param(
        bill(total="50000", patient={"poverty_status": "general", "groups": ["entitled_veteran"]}),
        {"medical_assistance": "7825.00", "patient": "0.00"},
        id="entitled veteran: assistance in full",
    ),
    pytest.param(
        bill(
            region="530427",
            service_date="2017-06-01",
            patient={"poverty_status": "registered_poor"},
            hospital_level="township",
        ),
        {"basic_insurance": "10000.00", "patient": "0.00"},
        id="xinping registered poor township 100%, no deductible",
    ),
    pytest.param(
        bill(region="530427", service_date="2017-06-01", patient={"poverty_status": "registered_poor"}),
        {"basic_insurance": "8000.00", "critical_illness": "0.00"},
        id="xinping level2 80%; critical illness waits for basic's cap",
    ),
    pytest.param(
        bill(
            region="530427",
            service_date="2017-06-01",
            hospital_level="level3",
            hospital_location="out_of_province",
            patient={"poverty_status": "registered_poor"},
        ),
        {"basic_insurance": "7000.00"},
        id="xinping out of province designated 70%",
    ),
    pytest.param(
        bill(
            region="530427",
            service_date="2017-06-01",
            setting="outpatient",
            hospital_level="township",
            total="80",
            patient={"poverty_status": "registered_poor"},
        ),
        {"basic_insurance": "80.00", "patient": "0.00"},
        id="xinping registered-poor general consultation at primary level 100%",
    ),
    pytest.param(
        bill(
            region="530427",
            service_date="2017-06-01",
            total="300000",
            hospital_level="township",
            patient={"poverty_status": "registered_poor"},
        ),
        {"basic_insurance": "200000.00", "critical_illness": "100000.00", "patient": "0.00"},
        id="xinping: basic capped at 200000, critical illness takes over at 100% in township",
    ),
    pytest.param(
        bill(
            region="530427",
            service_date="2017-06-01",
            total="50000",
            hospital_level="township",
            patient={"poverty_status": "registered_poor"},
            prior_paid={"basic_insurance": {"paid": "195000"}},
        ),
        {"basic_insurance": "5000.00", "critical_illness": "45000.00"},
        id="annual cap sees earlier bills of the year",
    ),
    pytest.param(
        bill(
            total="50000",
            patient={"poverty_status": "general"},
            prior_paid={"critical_illness": {"paid": "100", "deductible": "5000"}},
        ),
        {"critical_illness": "6325.00"},
        id="annual critical-illness threshold already used this year",
    ),
]


@pytest.mark.parametrize(("data", "expected"), RULES)
def test_rules(data: dict[str, Any], expected: dict[str, str]) -> None:
    got = paid(data)
    assert {k: got.get(k) for k in expected} == expected


def test_flag_when_in_county_inpatient_self_pay_over_10pct() -> None:
    assert preview(bill(), POLICIES)["flags"] == ["self_pay_over_10pct"]
    assert preview(bill(hospital_location="out_of_county"), POLICIES)["flags"] == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        pytest.param(bill(total="-1"), "total", id="negative amount"),
        pytest.param(bill(total="12.345"), "total", id="more than 2 decimals"),
        pytest.param(bill(total="abc"), "total", id="not a number"),
        pytest.param(bill(total=True), "total", id="boolean is not money"),
        pytest.param(bill(out_of_scope="20000"), "out_of_scope", id="out of scope greater than total"),
        pytest.param(bill(hospital_level="level9"), "hospital_level", id="unknown hospital level"),
        pytest.param(bill(service_date="2015-01-01"), "service_date", id="no policy in force for the date"),
        pytest.param(bill(region="150902"), "region", id="no policy for the region"),
        pytest.param(bill(setting="home"), "setting", id="unknown setting"),
    ],
)
def test_invalid_bills_name_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(BillError) as err:
        preview(data, POLICIES)
    assert err.value.field == field


def test_engine_output_sums_to_total() -> None:
    b = parse_bill(bill(total="114634.48", out_of_scope="2987.41", patient={"poverty_status": "minimum_living"}))
    statement, deltas = settle(b, POLICIES.in_force(b.region, b.service_date))
    assert sum((ln.paid for ln in statement.layers), statement.patient_pays) == b.total
    assert {d.layer.value: d.paid for d in deltas} == {ln.layer.value: ln.paid for ln in statement.layers}
