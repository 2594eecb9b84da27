"""Regional settlement policy as data: ordered payer layers, each a list of rules (first match wins).

Every number comes from the policy file; nothing is guessed in code. Values the sources leave open
are listed under ``assumptions`` in the file.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.common import ZERO
from models.enums import CareSetting, HospitalLevel, HospitalLocation, PovertyStatus, TreatmentKind


class PayerLayer(StrEnum):
    BASIC_INSURANCE = "basic_insurance"  # 基本医疗保险
    CRITICAL_ILLNESS = "critical_illness"  # 大病保险
    MEDICAL_ASSISTANCE = "medical_assistance"  # 医疗救助
    SUPPLEMENTARY = "supplementary"  # 补充保险 / 县级兜底基金


LAYER_ORDER = tuple(PayerLayer)


class Base(StrEnum):
    """What a layer's ratio applies to."""

    IN_SCOPE = "in_scope"  # compliant cost (政策范围内费用)
    REMAINING_IN_SCOPE = "remaining_in_scope"  # compliant cost not yet paid by earlier layers
    REMAINING_TOTAL = "remaining_total"  # everything not yet paid, out-of-scope included (兜底)


class Per(StrEnum):
    STAY = "stay"
    YEAR = "year"


class Match(BaseModel):
    """Conditions of a rule; an omitted condition matches anything."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    setting: list[CareSetting] | None = None
    level: list[HospitalLevel] | None = None
    location: list[HospitalLocation] | None = None
    poverty_status: list[PovertyStatus] | None = None
    groups_any: list[str] | None = None
    min_age: int | None = Field(default=None, ge=0)
    #: The kinds of stay a clause names (血液透析 per session, 住院分娩 lump sum).
    treatment: list[TreatmentKind] | None = None


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9_.+]+$")
    #: Who and what the clause covers, in Chinese, as the statement shows it (e.g. "特困供养人员 县内住院").
    zh: str = ""
    #: The seed clause the rule encodes, quoted.
    clause: str = ""
    when: Match = Match()
    base: Base = Base.REMAINING_IN_SCOPE
    ratio: Decimal | None = Field(default=None, ge=0, le=1)
    ratio_by_level: dict[HospitalLevel, Decimal] | None = None
    #: Added to the level ratio for hospitals in these locations (e.g. +0.10 out of county).
    location_points: dict[HospitalLocation, Decimal] = {}
    #: Replaces the level ratio outright for these locations (e.g. 0.55 out of province).
    location_ratio: dict[HospitalLocation, Decimal] = {}
    deductible: Decimal = Field(default=ZERO, ge=0)
    deductible_by_level: dict[HospitalLevel, Decimal] | None = None
    deductible_per: Per = Per.STAY
    #: A fixed amount per session (seed 003 篇5: dialysis 100 yuan per session).
    per_session: Decimal = Field(default=ZERO, ge=0)
    #: A fixed amount per stay (seed 002: hospital delivery 2,200 yuan), never more than what is left to pay.
    lump_sum: Decimal = Field(default=ZERO, ge=0)
    bonuses_apply: bool = True

    @model_validator(mode="after")
    def _one_ratio(self) -> Rule:
        fixed_only = self.ratio is None and self.ratio_by_level is None and (self.per_session or self.lump_sum)
        if (self.ratio is None) == (self.ratio_by_level is None) and not fixed_only:
            raise ValueError("give exactly one of ratio / ratio_by_level (or only per_session / lump_sum)")
        return self

    @property
    def has_ratio(self) -> bool:
        return self.ratio is not None or self.ratio_by_level is not None


class Bonus(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    zh: str = ""
    clause: str = ""
    when: Match
    points: Decimal = Field(gt=0, le=1)


class LayerPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    layer: PayerLayer
    rules: list[Rule] = Field(min_length=1)
    bonuses: list[Bonus] = []
    annual_cap: Decimal | None = Field(default=None, gt=0)
    #: Pays only once this earlier layer's annual cap is used up (新平: 大病保险 after basic's cap).
    after_cap_of: PayerLayer | None = None


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    region: str = Field(pattern=r"^\d{6}$")
    name: str
    source: str
    effective_from: date
    effective_to: date | None = None
    assumptions: list[str] = []
    layers: list[LayerPolicy] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Policy:
        order = [LAYER_ORDER.index(layer.layer) for layer in self.layers]
        if order != sorted(set(order)):
            raise ValueError("layers must be unique and in payer order: " + ", ".join(p.value for p in LAYER_ORDER))
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    @property
    def groups(self) -> frozenset[str]:
        """Every population group a rule or bonus of this policy looks at."""
        matches = [r.when for lp in self.layers for r in lp.rules] + [b.when for lp in self.layers for b in lp.bonuses]
        return frozenset(g for m in matches for g in (m.groups_any or ()))
