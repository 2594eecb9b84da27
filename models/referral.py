"""Pure referral choice: which designated hospital takes a case (定点医院, 双向转诊, 绿色通道)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from models.catalogue import Disease
from models.enums import HOSPITAL_LEVEL_RANK, HospitalLevel, HospitalLocation, ReferralDirection, ReferralReason


class DesignatedHospital(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(min_length=1, max_length=40)
    name: str
    level: HospitalLevel
    region: str = Field(pattern=r"^\d{6}$")
    capacity: int = Field(ge=0)
    green_channel: bool = False
    diseases: list[str]


def location_of(patient_region: str, hospital_region: str) -> HospitalLocation:
    """Same county → in county; same province (incl. a city- or province-level hospital) → out of county."""
    if hospital_region == patient_region:
        return HospitalLocation.IN_COUNTY
    if hospital_region[:2] == patient_region[:2]:
        return HospitalLocation.OUT_OF_COUNTY
    return HospitalLocation.OUT_OF_PROVINCE


@dataclass(frozen=True, slots=True)
class ReferralChoice:
    hospital_code: str | None
    reason: ReferralReason | None
    green_channel: bool = False


def choose_hospital(
    disease: Disease,
    patient_region: str,
    hospitals: Sequence[DesignatedHospital],
    load: Mapping[str, int],
    *,
    urgent: bool = False,
    direction: ReferralDirection = ReferralDirection.INITIAL,
    current_level: HospitalLevel | None = None,
) -> ReferralChoice:
    """Pick the designated hospital for one case.

    Candidates: designated for the disease, in the patient's province. Initial referral prefers the
    catalogue's level and (when the disease says so) the patient's county, nearest level first; urgent
    cases take the green channel to the highest level with capacity. UP needs a strictly higher level
    than ``current_level``, DOWN a lower one in the county. Full hospitals (load ≥ capacity) are skipped.
    Ties: lowest load ratio, then code.
    """
    designated = [
        h
        for h in hospitals
        if disease.code in h.diseases and location_of(patient_region, h.region) != HospitalLocation.OUT_OF_PROVINCE
    ]
    cur = HOSPITAL_LEVEL_RANK[current_level] if current_level is not None else None
    if direction == ReferralDirection.UP and cur is not None:
        designated = [h for h in designated if HOSPITAL_LEVEL_RANK[h.level] > cur]
    elif direction == ReferralDirection.DOWN:
        designated = [
            h
            for h in designated
            if location_of(patient_region, h.region) == HospitalLocation.IN_COUNTY
            and (cur is None or HOSPITAL_LEVEL_RANK[h.level] < cur)
        ]
    if not designated:
        return ReferralChoice(None, ReferralReason.NO_DESIGNATED_HOSPITAL)
    free = [h for h in designated if load.get(h.code, 0) < h.capacity]
    if not free:
        return ReferralChoice(None, ReferralReason.NO_CAPACITY)
    want = HOSPITAL_LEVEL_RANK[disease.preferred_level]

    def rank(h: DesignatedHospital) -> tuple[int, int, int, float, str]:
        level = HOSPITAL_LEVEL_RANK[h.level]
        in_county = location_of(patient_region, h.region) == HospitalLocation.IN_COUNTY
        ratio = load.get(h.code, 0) / h.capacity if h.capacity else 1.0
        if urgent:
            return (0 if h.green_channel else 1, -level, 0, ratio, h.code)
        county_penalty = 0 if (in_county or not disease.in_county) else 1
        return (county_penalty, abs(level - want), 0 if level >= want else 1, ratio, h.code)

    best = min(free, key=rank)
    return ReferralChoice(best.code, None, green_channel=urgent and best.green_channel)
