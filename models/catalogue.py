"""Disease catalogue schema and the pure triage rule (ICD-10 code → special disease → category)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.enums import Category, HospitalLevel, TriageReason
from models.synthetic import DiseaseChoice

_ICD = re.compile(r"[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?")  # ASCII digits only (\d takes any script's)
_RANGE = re.compile(r"^([A-Z]\d{2})-([A-Z]\d{2})$")


def normalise_icd10(code: str) -> str:
    """Upper-case, strip, and drop national extension digits beyond 4 characters ("I10.x00" → "I10")."""
    c = code.strip().upper()
    if "." in c:
        head, tail = c.split(".", 1)
        tail = tail[:1] if tail[:1].isdigit() else ""
        return f"{head}.{tail}" if tail else head
    return c


def is_known_icd10(code: str) -> bool:
    """A well-formed ICD-10 code (letter, two digits, optional extension); chapter U is not used clinically.

    Without the full ICD-10 table shipped, "known" means well-formed in a clinical chapter.
    """
    c = code.strip().upper()
    return bool(_ICD.fullmatch(c)) and not c.startswith("U")


class Disease(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str
    name_en: str
    icd: list[str] = Field(min_length=1)
    category: Category
    preferred_level: HospitalLevel
    in_county: bool = True
    min_age: int = Field(default=0, ge=0)
    max_age: int = Field(default=120, ge=0)
    follow_up_days: int | None = Field(default=None, ge=1)
    example_icd: str
    effective_from: date | None = None  # set by the catalogue version that first lists or manages it
    listed_as: tuple[str, ...] = ()  # names on the national list it carries (empty: a managed chronic disease)
    source: str = ""
    assumption: str = ""

    @field_validator("icd")
    @classmethod
    def _codes(cls, v: list[str]) -> list[str]:
        for item in v:
            if not (_RANGE.match(item) or _ICD.fullmatch(item)):
                raise ValueError(f"not an ICD-10 code or 3-character range: {item!r}")
        return v


@dataclass(frozen=True, slots=True)
class TriageResult:
    disease_code: str | None
    category: Category | None
    reason: TriageReason


def expand_icd(item: str) -> list[str]:
    """The codes an ICD entry names: a 3-character range expanded ("Q20-Q22" → Q20, Q21, Q22), else itself."""
    m = _RANGE.match(item)
    if not m:
        return [item]
    letter, lo, hi = m.group(1)[0], int(m.group(1)[1:]), int(m.group(2)[1:])
    return [f"{letter}{n:02d}" for n in range(lo, hi + 1)]


class Catalogue(BaseModel):
    """One catalogue version: the diseases in force from ``effective_from`` (``models.catalogue_history``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1, max_length=20)
    diseases: list[Disease]
    effective_from: date | None = None
    source: str = ""
    aliases: tuple[str, ...] = ()  # earlier ids of this version found in case stamps ("2017.1")

    def model_post_init(self, _ctx: object) -> None:
        exact: dict[str, Disease] = {}
        for d in self.diseases:
            for item in d.icd:
                if _RANGE.match(item):
                    for code in expand_icd(item):
                        exact.setdefault(code, d)
                else:
                    exact[item] = d  # explicit codes override ranges
        object.__setattr__(self, "_by_icd", exact)
        object.__setattr__(self, "_by_code", {d.code: d for d in self.diseases})

    def get(self, code: str) -> Disease | None:
        by_code: dict[str, Disease] = self._by_code  # type: ignore[attr-defined]
        return by_code.get(code)

    def match(self, icd10: str) -> Disease | None:
        """Most specific match: the 4-character code first, then its 3-character category."""
        by_icd: dict[str, Disease] = self._by_icd  # type: ignore[attr-defined]
        c = normalise_icd10(icd10)
        return by_icd.get(c) or by_icd.get(c[:3])

    @property
    def listed_names(self) -> list[str]:
        """The names on the national list (大病专项救治病种) this version carries, in catalogue order."""
        return [name for d in self.diseases for name in d.listed_as]

    def demo_choices(self) -> list[DiseaseChoice]:
        return [DiseaseChoice(d.category, d.example_icd, d.min_age, min(d.max_age, 90)) for d in self.diseases]


def triage(icd10: str, catalogue: Catalogue, on_date: date, age: int | None = None) -> TriageResult:
    """Special disease and category for a confirmed condition; outside the catalogue → reason, no category."""
    disease = catalogue.match(icd10)
    if disease is None:
        return TriageResult(None, None, TriageReason.NOT_IN_CATALOGUE)
    if disease.effective_from is not None and on_date < disease.effective_from:
        return TriageResult(None, None, TriageReason.CATALOGUE_INACTIVE)
    if age is not None and not disease.min_age <= age <= disease.max_age:
        return TriageResult(None, None, TriageReason.OUTSIDE_AGE_LIMIT)
    return TriageResult(disease.code, disease.category, TriageReason.IN_CATALOGUE)
