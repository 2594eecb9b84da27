"""FHIR R4 Bundle of one patient's pathway: every resource validates, references resolve, identity only in
Patient.identifier, EpisodeOfCare history follows the audit, one-stop settlement adds up."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from models.care import Hospital, Referral, TreatmentEpisode
from models.clinical import Case, CaseTransition, Condition
from models.enums import CaseState
from models.fhir_bundle import NATIONAL_ID_SYSTEM, Pathway, episode_status, pathway_bundle
from models.identity import derive_keys, protect
from models.people import Patient
from models.settlement.tables import Settlement, SettlementLine

D = Decimal
NID = "520527194101050771"
KEYS = derive_keys("a test key, not the configured one")
AT = datetime(2017, 3, 1, 9, 0, tzinfo=UTC)
STEPS = ["screened", "confirmed", "triaged", "referred", "in_treatment", "discharged", "settled", "under_management"]


def pathway() -> Pathway:
    """贺某 (destitute): hypertension treated and settled as the 贺遵贤 bill; a suspected fracture ruled out."""
    moves = [
        CaseTransition(id=i + 1, case_id=11, from_state=STEPS[i - 1] if i else None, to_state=s, actor="c",
                       reason="r", at=AT.replace(day=1 + i, tzinfo=None if i == 0 else UTC))
        for i, s in enumerate(STEPS)
    ] + [
        CaseTransition(id=20, case_id=12, from_state=None, to_state="screened", actor="c", reason="r", at=AT),
        CaseTransition(id=21, case_id=12, from_state="screened", to_state="closed", actor="c", reason="r",
                       at=AT.replace(day=9)),
    ]  # fmt: skip
    lines = [("basic_insurance", "38534.00", "1.0000"), ("critical_illness", "0.00", "0"),
             ("medical_assistance", "933.00", "1.0000")]  # fmt: skip
    return Pathway(
        patient=Patient(id=7, household_id=3, **protect(KEYS, NID, "贺某"), region_code="520527",
                        poverty_status="destitute", sex="M", birth_date=date(1941, 1, 5)),
        national_id=NID,
        household_ref="520527-H-0000003",
        hospitals={1: Hospital(id=1, code="520527-PH", name="赫章县人民医院", level="level2",
                               region_code="520527", capacity=50)},
        cases=[
            Case(id=11, patient_id=7, condition_id=21, region_code="520527", state="under_management",
                 disease_code="hypertension", category="long_term", hospital_id=1),
            Case(id=12, patient_id=7, condition_id=22, region_code="520527", state="closed"),
        ],
        conditions={
            21: Condition(id=21, patient_id=7, icd10="I10", status="confirmed", confirmed_on=date(2017, 3, 2)),
            22: Condition(id=22, patient_id=7, icd10="S72.0", status="ruled_out"),
        },
        transitions=moves,
        referrals=[Referral(id=31, case_id=11, hospital_id=1, status="admitted", urgent=True,
                            referred_on=date(2017, 3, 4), actor="c")],
        episodes=[TreatmentEpisode(id=41, case_id=11, patient_id=7, hospital_id=1, referral_id=31, setting="inpatient",
                                   admitted_on=date(2017, 3, 5), discharged_on=date(2017, 3, 6),
                                   total_cost=D("39467.00"), out_of_scope=D("733.00"))],
        settlements=[Settlement(id=51, episode_id=41, case_id=11, patient_id=7, policy_id="hezhang-2016b",
                                service_date=date(2017, 3, 6), total=D("39467.00"), in_scope=D("38734.00"),
                                patient_pays=D("0.00"), self_pay_ratio=D("0.0000"), settled_at=AT, actor="c")],
        lines=[SettlementLine(settlement_id=51, layer=layer, base=D("0"), deductible=D("0"), ratio=D(r), paid=D(p),
                              rule="x") for layer, p, r in lines],
        disease_names={"hypertension": "高血压"},
    )  # fmt: skip


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    bundle = pathway_bundle(pathway(), generated_at=AT)
    parsed: dict[str, Any] = json.loads(bundle.model_dump_json())
    return parsed


def _of(doc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in doc["entry"] if e["resource"]["resourceType"] == kind]


def _references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference":
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def test_every_resource_validates_and_every_reference_resolves(doc: dict[str, Any]) -> None:
    kinds = [e["resource"]["resourceType"] for e in doc["entry"]]
    assert {k: kinds.count(k) for k in kinds} == {
        "Patient": 1, "Condition": 2, "EpisodeOfCare": 2, "ServiceRequest": 1, "Encounter": 1, "Coverage": 3,
        "Claim": 1, "ExplanationOfBenefit": 1,
    }  # fmt: skip
    for entry in doc["entry"]:
        get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
    assert Bundle.model_validate(doc).type == "collection"
    urls = {e["fullUrl"] for e in doc["entry"]}
    assert set(_references(doc)) <= urls


#: R4 required bindings of the coded elements we fill (fhir.resources checks types and cardinality, not codes).
REQUIRED_CODES: dict[tuple[str, str], set[str]] = {
    ("Patient", "gender"): {"male", "female", "other", "unknown"},
    ("EpisodeOfCare", "status"): {"planned", "waitlist", "active", "onhold", "finished", "cancelled",
                                  "entered-in-error"},
    ("ServiceRequest", "status"): {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"},
    ("ServiceRequest", "intent"): {"proposal", "plan", "directive", "order", "original-order", "reflex-order",
                                   "filler-order", "instance-order", "option"},
    ("ServiceRequest", "priority"): {"routine", "urgent", "asap", "stat"},
    ("Encounter", "status"): {"planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled",
                              "entered-in-error", "unknown"},
    **{(kind, "status"): {"active", "cancelled", "draft", "entered-in-error"}
       for kind in ("Coverage", "Claim", "ExplanationOfBenefit")},
    **{(kind, "use"): {"claim", "preauthorization", "predetermination"} for kind in ("Claim", "ExplanationOfBenefit")},
    ("ExplanationOfBenefit", "outcome"): {"queued", "complete", "error", "partial"},
}  # fmt: skip


def test_coded_elements_use_their_required_value_sets(doc: dict[str, Any]) -> None:
    for (kind, element), allowed in REQUIRED_CODES.items():
        for resource in _of(doc, kind):
            assert resource[element] in allowed, (kind, element)
    history = [h["status"] for e in _of(doc, "EpisodeOfCare") for h in e["statusHistory"]]
    mapped = {episode_status(state.value, treated) for state in CaseState for treated in (False, True)}
    assert set(history) | mapped <= REQUIRED_CODES[("EpisodeOfCare", "status")]


def test_identity_only_in_patient_identifiers_and_no_name(doc: dict[str, Any]) -> None:
    (patient,) = _of(doc, "Patient")
    ids = {i["system"]: i["value"] for i in patient["identifier"]}
    assert ids[NATIONAL_ID_SYSTEM] == NID and ids["urn:dabing:household-ref"] == "520527-H-0000003"
    assert "name" not in patient and "贺某" not in json.dumps(doc, ensure_ascii=False)
    others = [e for e in doc["entry"] if e["resource"]["resourceType"] != "Patient"]
    assert NID not in json.dumps(others)


def test_episode_of_care_follows_the_audited_transitions(doc: dict[str, Any]) -> None:
    treated, closed = _of(doc, "EpisodeOfCare")
    assert (treated["status"], treated["type"][0]["coding"][0]["code"]) == ("active", "long_term")
    history = treated["statusHistory"]
    assert [h["extension"][0]["valueCode"] for h in history] == STEPS
    assert [h["status"] for h in history] == ["planned", "planned", "waitlist", "waitlist"] + ["active"] * 4
    assert history[0]["period"] == {"start": "2017-03-01T09:00:00Z", "end": "2017-03-02T09:00:00Z"}
    assert "end" not in history[-1]["period"], "the current status is open-ended"
    assert (closed["status"], [h["status"] for h in closed["statusHistory"]]) == ("cancelled", ["planned", "cancelled"])
    cond = _of(doc, "Condition")[1]
    assert cond["verificationStatus"]["coding"][0]["code"] == "refuted"


@pytest.mark.parametrize(
    ("state", "treated", "expected", "reason"),
    [
        ("screened", False, "planned", "suspected, nothing arranged yet"),
        ("referred", False, "waitlist", "waiting for a bed at the designated hospital"),
        ("under_maintenance", True, "active", "maintenance goes on"),
        ("cured", True, "finished", "one-time cure done"),
        ("closed", True, "finished", "closed after treatment (e.g. moved away) finished its care"),
        ("closed", False, "cancelled", "closed before any treatment (duplicate, ruled out)"),
    ],
)
def test_episode_status(state: str, treated: bool, expected: str, reason: str) -> None:
    assert episode_status(state, treated) == expected, reason


def test_settlement_statement_adds_up_per_layer(doc: dict[str, Any]) -> None:
    coverages = _of(doc, "Coverage")
    assert [(c["order"], c["type"]["coding"][0]["code"]) for c in coverages] == [
        (1, "basic_insurance"), (2, "critical_illness"), (3, "medical_assistance")]  # fmt: skip
    (claim,) = _of(doc, "Claim")
    assert [i["focal"] for i in claim["insurance"]] == [True, False, False] and claim["total"]["value"] == 39467.0
    (eob,) = _of(doc, "ExplanationOfBenefit")
    amounts = {
        a["category"]["coding"][-1]["code"]: D(str(a["amount"]["value"])) for a in eob["item"][0]["adjudication"]
    }
    assert amounts["basic_insurance"] == D("38534") and amounts["medical_assistance"] == D("933")
    paid = amounts["basic_insurance"] + amounts["critical_illness"] + amounts["medical_assistance"]
    assert paid + amounts["patient-pays"] == amounts["submitted"] == D(str(eob["payment"]["amount"]["value"]))
    assert eob["insurer"]["display"] == "基本医疗保险" and eob["outcome"] == "complete"
    (enc,) = _of(doc, "Encounter")
    (sr,) = _of(doc, "ServiceRequest")
    assert (enc["class"]["code"], sr["status"], sr["priority"]) == ("IMP", "completed", "urgent")


def test_same_input_same_file() -> None:
    one, two = (pathway_bundle(pathway(), generated_at=AT).model_dump_json() for _ in range(2))
    assert one == two
