"""One patient's whole pathway as an HL7 FHIR R4 Bundle (pure mapping; no session, no Prefect).

Built with ``fhir.resources`` 8.x, module ``R4B`` (FHIR 4.3.0): the package's R4-line models that run on
pydantic 2 (its 6.x line, FHIR 4.0.1, needs pydantic 1). Every element used here has the same name and
cardinality in R4 4.0.1, so the JSON is valid R4 too. Constructing each resource validates it.

The national ID number appears in exactly one place — ``Patient.identifier`` (system: the WS/T 500 OID of
the identity-card number) — beside the poverty-registration household number as a separate identifier.
No name is exported. Coverage, Claim and ExplanationOfBenefit are built in ``fhir_claims``; identifier systems and
resource ids in ``fhir_common``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from fhir.resources.R4B import bundle as fb
from fhir.resources.R4B import condition as fcond
from fhir.resources.R4B import encounter as fenc
from fhir.resources.R4B import episodeofcare as feoc
from fhir.resources.R4B import patient as fpat
from fhir.resources.R4B import servicerequest as fsr
from fhir.resources.R4B.address import Address
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.resource import Resource

from models.care import Hospital, Referral, TreatmentEpisode
from models.clinical import Case, CaseTransition, Condition
from models.fhir_claims import claim, coverage, coverage_key, explanation_of_benefit
from models.fhir_common import BASE, ICD10, TERM, aware, concept, ids, org, ref, uid
from models.people import Patient
from models.settlement.policy import LAYER_ORDER, PayerLayer
from models.settlement.tables import Settlement, SettlementLine

NATIONAL_ID_SYSTEM = "urn:oid:2.16.156.10011.1.3"  # 患者身份证件号码 (WS/T 500 shared-document OID)
CATEGORY_ZH = {"one_time_cure": "一次性能治愈", "maintenance": "需要维持治疗", "long_term": "需要长期治疗和健康管理"}
TREATED_STATES = frozenset({"discharged", "settled", "cured", "under_maintenance", "under_management"})
#: Pathway state → EpisodeOfCare.status (planned | waitlist | active | onhold | finished | cancelled).
EPISODE_STATUS = {
    **dict.fromkeys(("screened", "confirmed"), "planned"),
    **dict.fromkeys(("triaged", "referred"), "waitlist"),
    **dict.fromkeys(("in_treatment", *TREATED_STATES), "active"),
    "cured": "finished",
    "closed": "cancelled",
}
REFERRAL_STATUS = {"pending": "active", "admitted": "completed", "cancelled": "revoked"}
VERIFICATION = {"suspected": "unconfirmed", "confirmed": "confirmed", "ruled_out": "refuted"}


@dataclass(frozen=True, slots=True)
class Pathway:
    """Everything recorded about one patient, as loaded (detached) table rows; ``disease_names`` maps disease
    codes to their Chinese catalogue names. Naive datetimes (SQLite) are read as UTC."""

    patient: Patient
    national_id: str  # opened from ``patient.national_id_sealed`` by the caller (the only place it is)
    household_ref: str
    hospitals: dict[int, Hospital]
    cases: list[Case]
    conditions: dict[int, Condition]
    transitions: list[CaseTransition]
    referrals: list[Referral]
    episodes: list[TreatmentEpisode]
    settlements: list[Settlement]
    lines: list[SettlementLine]
    disease_names: dict[str, str] = field(default_factory=dict)


def patient_resource(p: Patient, household_ref: str, national_id: str) -> fpat.Patient:
    national = Identifier(
        use="official",
        type=concept(f"{TERM}/v2-0203", "NI", "National unique individual identifier", "居民身份证号"),
        system=NATIONAL_ID_SYSTEM,
        value=national_id,
    )
    poverty = Identifier(
        use="secondary",
        type=CodeableConcept(text="建档立卡户编号"),
        system=f"{BASE}:household-ref",
        value=household_ref,
    )
    return fpat.Patient(
        id=uid("Patient", p.id),
        identifier=[national, poverty, *ids("Patient", p.id)],
        gender={"M": "male", "F": "female"}.get(p.sex, "unknown"),
        birthDate=p.birth_date,
        address=[Address(use="home", district=p.region_code)],
        extension=[Extension(url=f"{BASE}:poverty-status", valueCode=str(p.poverty_status))],
    )


def condition_resource(c: Case, cond: Condition, names: dict[str, str], patient: Reference) -> fcond.Condition:
    clinical = "resolved" if c.state == "cured" else "inactive" if cond.status == "ruled_out" else "active"
    codings = [Coding(system=ICD10, code=cond.icd10)]
    name = names.get(c.disease_code or "")
    if c.disease_code:
        codings.append(Coding(system=f"{BASE}:disease", code=c.disease_code, display=name))
    return fcond.Condition(
        id=uid("Condition", c.id),
        identifier=ids("Case", c.id),
        clinicalStatus=concept(f"{TERM}/condition-clinical", clinical),
        verificationStatus=concept(f"{TERM}/condition-ver-status", VERIFICATION[str(cond.status)]),
        category=[concept(f"{TERM}/condition-category", "problem-list-item")],
        code=CodeableConcept(coding=codings, text=name or cond.icd10),
        subject=patient,
        recordedDate=cond.confirmed_on,
    )


def episode_status(state: str, ever_treated: bool) -> str:
    """A closed case that was treated has finished its episode; one closed before treatment was cancelled."""
    return "finished" if state == "closed" and ever_treated else EPISODE_STATUS[state]


def episode_of_care(
    c: Case, moves: list[CaseTransition], hospital: Hospital | None, patient: Reference
) -> feoc.EpisodeOfCare:
    """status + statusHistory from the audited transitions; each entry keeps its pathway state (extension)."""
    moves = sorted(moves, key=lambda t: (aware(t.at), t.id or 0))
    treated, history = False, []
    for i, t in enumerate(moves):
        treated = treated or t.to_state in TREATED_STATES
        end = aware(moves[i + 1].at) if i + 1 < len(moves) else None
        history.append(
            feoc.EpisodeOfCareStatusHistory(
                status=episode_status(str(t.to_state), treated),
                period=Period(start=aware(t.at), end=end),
                extension=[Extension(url=f"{BASE}:pathway-state", valueCode=str(t.to_state))],
            )
        )
    status = episode_status(str(c.state), treated)
    closed = status in ("finished", "cancelled")
    return feoc.EpisodeOfCare(
        id=uid("EpisodeOfCare", c.id),
        identifier=ids("Case", c.id),
        status=status,
        statusHistory=history or None,
        type=[concept(f"{BASE}:triage-category", c.category, CATEGORY_ZH.get(c.category))] if c.category else None,
        diagnosis=[feoc.EpisodeOfCareDiagnosis(condition=ref("Condition", c.id), rank=1)],
        patient=patient,
        managingOrganization=org(hospital) if hospital else None,
        period=Period(
            start=aware(moves[0].at) if moves else None, end=aware(moves[-1].at) if moves and closed else None
        ),
    )


def service_request(r: Referral, hospitals: dict[int, Hospital], patient: Reference) -> fsr.ServiceRequest:
    sender = hospitals.get(r.from_hospital_id) if r.from_hospital_id else None
    return fsr.ServiceRequest(
        id=uid("ServiceRequest", r.id),
        identifier=ids("Referral", r.id),
        status=REFERRAL_STATUS[str(r.status)],
        intent="order",
        priority="urgent" if r.urgent else "routine",
        category=[concept("http://snomed.info/sct", "3457005", "Patient referral")],
        code=concept(f"{BASE}:referral-direction", str(r.direction), text="定点医院转诊"),
        subject=patient,
        authoredOn=r.referred_on,
        requester=org(sender) if sender else None,
        performer=[org(hospitals[r.hospital_id])],
        reasonReference=[ref("Condition", r.case_id)],
        supportingInfo=[ref("EpisodeOfCare", r.case_id)],
    )


def encounter(e: TreatmentEpisode, hospitals: dict[int, Hospital], patient: Reference) -> fenc.Encounter:
    return fenc.Encounter(
        id=uid("Encounter", e.id),
        identifier=ids("Episode", e.id),
        status="finished" if e.discharged_on else "in-progress",
        class_fhir=Coding(system=f"{TERM}/v3-ActCode", code="IMP" if e.setting == "inpatient" else "AMB"),
        subject=patient,
        episodeOfCare=[ref("EpisodeOfCare", e.case_id)],
        basedOn=[ref("ServiceRequest", e.referral_id)] if e.referral_id else None,
        period=Period(start=e.admitted_on, end=e.discharged_on),
        diagnosis=[fenc.EncounterDiagnosis(condition=ref("Condition", e.case_id), rank=1)],
        serviceProvider=org(hospitals[e.hospital_id]),
    )


def pathway_bundle(p: Pathway, generated_at: datetime | None = None) -> fb.Bundle:
    """Patient; per case Condition + EpisodeOfCare; referrals; encounters; a Coverage per layer; Claims and EOBs."""
    pid = p.patient.id or 0
    pref, hospitals = ref("Patient", pid), p.hospitals
    out: list[tuple[str, object, Resource]] = [
        ("Patient", pid, patient_resource(p.patient, p.household_ref, p.national_id))
    ]
    for c in p.cases:
        moves = [t for t in p.transitions if t.case_id == c.id]
        hospital = hospitals.get(c.hospital_id) if c.hospital_id else None
        out.append(("Condition", c.id, condition_resource(c, p.conditions[c.condition_id], p.disease_names, pref)))
        out.append(("EpisodeOfCare", c.id, episode_of_care(c, moves, hospital, pref)))
    out += [("ServiceRequest", r.id, service_request(r, hospitals, pref)) for r in p.referrals]
    out += [("Encounter", e.id, encounter(e, hospitals, pref)) for e in p.episodes]
    used = [layer for layer in LAYER_ORDER if any(ln.layer == layer for ln in p.lines)]
    out += [("Coverage", coverage_key(pid, layer), coverage(layer, pid, pref)) for layer in used]
    episodes = {e.id: e for e in p.episodes}
    for s in p.settlements:
        ep, lines = episodes[s.episode_id], [ln for ln in p.lines if ln.settlement_id == s.id]
        layers = sorted((PayerLayer(ln.layer) for ln in lines), key=LAYER_ORDER.index)
        out.append(("Claim", s.id, claim(s, ep, layers, hospitals, pref)))
        out.append(("ExplanationOfBenefit", s.id, explanation_of_benefit(s, ep, lines, hospitals, pref)))
    return fb.Bundle(
        id=uid("Bundle", pid),
        type="collection",
        timestamp=generated_at or datetime.now(UTC),
        entry=[fb.BundleEntry(fullUrl=f"urn:uuid:{uid(kind, key)}", resource=res) for kind, key, res in out],
    )
