"""The one-stop settlement in FHIR R4 (pure mapping): a Coverage per payer layer, and per settlement a Claim
and its ExplanationOfBenefit (the statement: submitted, in scope, each layer's benefit, what the patient pays).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fhir.resources.R4B import claim as fcl
from fhir.resources.R4B import coverage as fcov
from fhir.resources.R4B import explanationofbenefit as feob
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.reference import Reference

from models.care import Hospital, TreatmentEpisode
from models.common import ZERO
from models.fhir_common import BASE, TERM, aware, concept, ids, money, org, ref, uid
from models.settlement.policy import LAYER_ORDER, PayerLayer
from models.settlement.tables import Settlement, SettlementLine

LAYER_ZH = {
    PayerLayer.BASIC_INSURANCE: "基本医疗保险",
    PayerLayer.CRITICAL_ILLNESS: "大病保险",
    PayerLayer.MEDICAL_ASSISTANCE: "医疗救助",
    PayerLayer.SUPPLEMENTARY: "补充保险及兜底",
}


def coverage_key(patient_id: int, layer: PayerLayer) -> str:
    return f"{patient_id}/{layer.value}"


def _payer(layer: PayerLayer) -> Reference:
    return Reference(identifier=Identifier(system=f"{BASE}:payer-layer", value=layer.value), display=LAYER_ZH[layer])


def coverage(layer: PayerLayer, patient_id: int, patient: Reference) -> fcov.Coverage:
    """One Coverage per payer layer; ``order`` is the layer's place in the one-stop sequence (1..4)."""
    return fcov.Coverage(
        id=uid("Coverage", coverage_key(patient_id, layer)),
        identifier=ids("Coverage", coverage_key(patient_id, layer)),
        status="active",
        type=concept(f"{BASE}:payer-layer", layer.value, LAYER_ZH[layer]),
        beneficiary=patient,
        payor=[_payer(layer)],
        order=LAYER_ORDER.index(layer) + 1,
    )


def _common(s: Settlement, ep: TreatmentEpisode, hospitals: dict[int, Hospital], patient: Reference) -> dict[str, Any]:
    """Elements a Claim and its ExplanationOfBenefit share."""
    return {
        "identifier": ids("Settlement", s.id),
        "status": "active",
        "type": concept(f"{TERM}/claim-type", "institutional"),
        "use": "claim",
        "patient": patient,
        "billablePeriod": Period(start=ep.admitted_on, end=ep.discharged_on),
        "created": aware(s.settled_at),
        "provider": org(hospitals[ep.hospital_id]),
    }


def _coverages(s: Settlement, layers: list[PayerLayer]) -> list[Reference]:
    return [ref("Coverage", coverage_key(s.patient_id, layer)) for layer in layers]


def _item(s: Settlement, ep: TreatmentEpisode) -> dict[str, Any]:
    return {
        "sequence": 1,
        "productOrService": CodeableConcept(text=str(ep.setting)),
        "servicedDate": s.service_date,
        "net": money(s.total),
        "encounter": [ref("Encounter", ep.id)],
    }


def claim(
    s: Settlement, ep: TreatmentEpisode, layers: list[PayerLayer], hospitals: dict[int, Hospital], patient: Reference
) -> fcl.Claim:
    return fcl.Claim(
        id=uid("Claim", s.id),
        **_common(s, ep, hospitals, patient),
        priority=concept(f"{TERM}/processpriority", "normal"),
        insurance=[
            fcl.ClaimInsurance(sequence=i, focal=i == 1, coverage=r) for i, r in enumerate(_coverages(s, layers), 1)
        ],
        diagnosis=[fcl.ClaimDiagnosis(sequence=1, diagnosisReference=ref("Condition", s.case_id))],
        item=[fcl.ClaimItem(**_item(s, ep))],
        total=money(s.total),
    )


def _adj(
    code: str, amount: Decimal, layer: PayerLayer | None = None, ratio: Decimal | None = None
) -> feob.ExplanationOfBenefitItemAdjudication:
    system = f"{BASE}:adjudication" if code == "patient-pays" else f"{TERM}/adjudication"
    codings = [Coding(system=system, code=code)]
    if layer is not None:
        codings.append(Coding(system=f"{BASE}:payer-layer", code=layer.value, display=LAYER_ZH[layer]))
    return feob.ExplanationOfBenefitItemAdjudication(
        category=CodeableConcept(coding=codings), amount=money(amount), value=ratio
    )


def explanation_of_benefit(
    s: Settlement, ep: TreatmentEpisode, lines: list[SettlementLine], hospitals: dict[int, Hospital], pat: Reference
) -> feob.ExplanationOfBenefit:
    """The one-stop settlement statement: submitted, in scope, each layer's benefit, what the patient pays."""
    layers = [
        (PayerLayer(ln.layer), ln) for ln in sorted(lines, key=lambda ln: LAYER_ORDER.index(PayerLayer(ln.layer)))
    ]
    adjudication = [
        _adj("submitted", s.total),
        _adj("eligible", s.in_scope),
        *(_adj("benefit", ln.paid, layer, ln.ratio) for layer, ln in layers),
        _adj("patient-pays", s.patient_pays),
    ]
    return feob.ExplanationOfBenefit(
        id=uid("ExplanationOfBenefit", s.id),
        **_common(s, ep, hospitals, pat),
        insurer=_payer(layers[0][0] if layers else PayerLayer.BASIC_INSURANCE),
        claim=ref("Claim", s.id),
        outcome="complete",
        disposition=f"one-stop settlement, policy {s.policy_id}, self-pay ratio {s.self_pay_ratio}",
        insurance=[
            feob.ExplanationOfBenefitInsurance(focal=i == 0, coverage=r)
            for i, r in enumerate(_coverages(s, [layer for layer, _ in layers]))
        ],
        item=[feob.ExplanationOfBenefitItem(**_item(s, ep), adjudication=adjudication)],
        total=[feob.ExplanationOfBenefitTotal(category=a.category, amount=a.amount) for a in adjudication],
        payment=feob.ExplanationOfBenefitPayment(amount=money(sum((ln.paid for _, ln in layers), ZERO))),
    )
