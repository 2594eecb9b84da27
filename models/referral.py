"""Pure referral rules: which designated hospital takes a case (定点医院, 双向转诊, 绿色通道), how much room a
hospital has for a disease (beds or monthly slots), one hospital for all of a patient's open cases, and the
waiting list's order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.catalogue import Disease
from models.enums import HOSPITAL_LEVEL_RANK, HospitalLevel, HospitalLocation, ReferralDirection, ReferralReason


class DesignatedHospital(BaseModel):
    """One designated hospital. ``capacity`` is the beds its designated diseases share; a disease listed in
    ``beds`` has its own beds, one in ``monthly_slots`` a number of referrals per calendar month (outpatient
    courses such as dialysis). Occupied beds: referrals not yet admitted plus inpatient stays not discharged."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(min_length=1, max_length=40)
    name: str
    level: HospitalLevel
    region: str = Field(pattern=r"^\d{6}$")
    capacity: int = Field(ge=0)
    green_channel: bool = False
    diseases: list[str]
    beds: dict[str, int] = Field(default_factory=dict)
    monthly_slots: dict[str, int] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _pools(self) -> DesignatedHospital:
        for name, pool in (("beds", self.beds), ("monthly_slots", self.monthly_slots)):
            stray = sorted(set(pool) - set(self.diseases))
            if stray:
                raise ValueError(f"{name}: {stray} not among the hospital's designated diseases")
            if any(n < 0 for n in pool.values()):
                raise ValueError(f"{name}: a capacity is negative")
        both = sorted(set(self.beds) & set(self.monthly_slots))
        if both:
            raise ValueError(f"{both} has both beds and monthly_slots")
        return self

    def pool(self, disease_code: str) -> str:
        """The capacity pool a disease draws on: its own (``code/disease``) or the shared beds (``code``)."""
        own = disease_code in self.beds or disease_code in self.monthly_slots
        return f"{self.code}/{disease_code}" if own else self.code

    def limit(self, disease_code: str) -> int:
        return self.beds.get(disease_code, self.monthly_slots.get(disease_code, self.capacity))

    def monthly(self, disease_code: str) -> bool:
        return disease_code in self.monthly_slots


#: Used capacity per pool key (``DesignatedHospital.pool``).
Load = Mapping[str, int]


def location_of(patient_region: str, hospital_region: str) -> HospitalLocation:
    """Same county → in county; same province (incl. a city- or province-level hospital) → out of county."""
    if hospital_region == patient_region:
        return HospitalLocation.IN_COUNTY
    if hospital_region[:2] == patient_region[:2]:
        return HospitalLocation.OUT_OF_COUNTY
    return HospitalLocation.OUT_OF_PROVINCE


def has_room(h: DesignatedHospital, disease_code: str, load: Load) -> bool:
    return load.get(h.pool(disease_code), 0) < h.limit(disease_code)


@dataclass(frozen=True, slots=True)
class Together:
    """The patient's other open cases: their diseases, and the hospitals they are referred to or treated at."""

    diseases: frozenset[str] = frozenset()
    at: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ReferralChoice:
    hospital_code: str | None
    reason: ReferralReason | None
    green_channel: bool = False


@dataclass(frozen=True, slots=True)
class Ask:
    """What a referral asks for besides the disease: urgency, direction, where the case is now, the patient's
    other open cases, and hospitals that already declined this case."""

    urgent: bool = False
    direction: ReferralDirection = ReferralDirection.INITIAL
    current_level: HospitalLevel | None = None
    together: Together = Together()
    exclude: frozenset[str] = field(default_factory=frozenset)


def candidates(
    disease: Disease, patient_region: str, hospitals: Sequence[DesignatedHospital], ask: Ask
) -> list[DesignatedHospital]:
    """Designated for the disease, in the patient's province, in the asked direction, not declined before."""
    designated = [
        h
        for h in hospitals
        if disease.code in h.diseases
        and h.code not in ask.exclude
        and location_of(patient_region, h.region) != HospitalLocation.OUT_OF_PROVINCE
    ]
    cur = HOSPITAL_LEVEL_RANK[ask.current_level] if ask.current_level is not None else None
    if ask.direction == ReferralDirection.UP and cur is not None:
        return [h for h in designated if HOSPITAL_LEVEL_RANK[h.level] > cur]
    if ask.direction == ReferralDirection.DOWN:
        return [
            h
            for h in designated
            if location_of(patient_region, h.region) == HospitalLocation.IN_COUNTY
            and (cur is None or HOSPITAL_LEVEL_RANK[h.level] < cur)
        ]
    return designated


def choose_hospital(
    disease: Disease,
    patient_region: str,
    hospitals: Sequence[DesignatedHospital],
    load: Load,
    *,
    urgent: bool = False,
    direction: ReferralDirection = ReferralDirection.INITIAL,
    current_level: HospitalLevel | None = None,
    together: Together = Together(),
    exclude: frozenset[str] = frozenset(),
) -> ReferralChoice:
    """Pick the designated hospital for one case.

    Candidates: designated for the disease, in the patient's province, not one that declined the case.
    Initial referral prefers the patient's county (when the disease says so), then a hospital the patient's
    other open cases are already at, then one designated for all of them (one hospital for hypertension and
    diabetes, not two township centres), then the catalogue's level, nearest first; urgent cases take the
    green channel to the highest level with room. UP needs a strictly higher level than ``current_level``,
    DOWN a lower one in the county. Full hospitals (the disease's pool at its limit) are skipped.
    Ties: lowest load ratio, then code.
    """
    ask = Ask(urgent, direction, current_level, together, exclude)
    designated = candidates(disease, patient_region, hospitals, ask)
    if not designated:
        return ReferralChoice(None, ReferralReason.NO_DESIGNATED_HOSPITAL)
    free = [h for h in designated if has_room(h, disease.code, load)]
    if not free:
        return ReferralChoice(None, ReferralReason.NO_CAPACITY)
    want = HOSPITAL_LEVEL_RANK[disease.preferred_level]

    def rank(h: DesignatedHospital) -> tuple[int, int, int, int, int, float, str]:
        level = HOSPITAL_LEVEL_RANK[h.level]
        in_county = location_of(patient_region, h.region) == HospitalLocation.IN_COUNTY
        limit = h.limit(disease.code)
        ratio = load.get(h.pool(disease.code), 0) / limit if limit else 1.0
        if urgent:
            return (0 if h.green_channel else 1, -level, 0, 0, 0, ratio, h.code)
        county_penalty = 0 if (in_county or not disease.in_county) else 1
        already = 0 if h.code in together.at else 1
        covers = 0 if together.diseases <= set(h.diseases) else 1
        return (county_penalty, already, covers, abs(level - want), 0 if level >= want else 1, ratio, h.code)

    best = min(free, key=rank)
    return ReferralChoice(best.code, None, green_channel=urgent and best.green_channel)


def waiting_rank(green_channel: bool, waiting_since: datetime, case_id: int) -> tuple[int, datetime, int]:
    """The waiting list's order: green channel (urgent) first, then the longest wait, then the case id."""
    return (0 if green_channel else 1, waiting_since, case_id)
