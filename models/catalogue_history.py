"""The national special-disease catalogue as it grew (pure): versions with effective dates, the version in
force on a date, triage against it, and what re-triage must do when a newer version takes effect.

``config/data/diseases.yaml`` holds every disease once and the versions as edits of the one before
(names listed, chronic diseases managed, entries changed or removed); ``CatalogueFile`` validates it and
``CatalogueHistory`` builds one ``Catalogue`` per version.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.catalogue import Catalogue, Disease, TriageResult, expand_icd, triage
from models.enums import CaseState, Category, TriageReason
from models.nightly import retriage_move

#: Held reasons re-triaged when a newer version takes effect (a duplicate is closed, never re-triaged).
HELD_REASONS = (TriageReason.NOT_IN_CATALOGUE, TriageReason.CATALOGUE_INACTIVE, TriageReason.OUTSIDE_AGE_LIMIT)


class DiseaseChange(BaseModel):
    """What a version changes in an entry from its effective date on (unset fields stay)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    icd: list[str] | None = Field(default=None, min_length=1)
    category: Category | None = None
    follow_up_days: int | None = Field(default=None, ge=1)
    min_age: int | None = Field(default=None, ge=0)
    max_age: int | None = Field(default=None, ge=0)


class VersionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(pattern=r"^[0-9A-Za-z._+-]{1,20}$")
    aliases: list[str] = []
    effective_from: date
    source: str = ""
    listed: dict[str, str] = {}  # name on the national list → disease code
    managed: list[str] = []  # chronic diseases of long-term management (慢病)
    change: dict[str, DiseaseChange] = {}
    remove: list[str] = []


class CatalogueFile(BaseModel):
    """diseases.yaml: every disease once, then the versions in date order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    diseases: list[Disease]
    versions: list[VersionSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> CatalogueFile:
        known = {d.code for d in self.diseases}
        if len(known) != len(self.diseases):
            raise ValueError("a disease code is defined twice")
        for i, v in enumerate(self.versions):
            named = [*v.listed.values(), *v.managed, *v.change, *v.remove]
            unknown = sorted(set(named) - known)
            if unknown:
                raise ValueError(f"versions.{i} ({v.version}): unknown disease code(s) {unknown}")
            if i and v.effective_from <= self.versions[i - 1].effective_from:
                raise ValueError(f"versions.{i} ({v.version}): effective_from must follow the version before")
        if len({v.version for v in self.versions}) != len(self.versions):
            raise ValueError("a version id is used twice")
        return self


def _claims(diseases: list[Disease]) -> None:
    """Each explicit code (not a range) belongs to one disease of a version, else triage would depend on order."""
    seen: dict[str, str] = {}
    for d in diseases:
        for item in d.icd:
            if len(expand_icd(item)) == 1 and "-" not in item:
                if item in seen and seen[item] != d.code:
                    raise ValueError(f"ICD-10 {item} is claimed by both {seen[item]} and {d.code}")
                seen[item] = d.code


def build_versions(spec: CatalogueFile) -> list[Catalogue]:
    """One catalogue per version: the entries in force, each with its first date and the names it carries."""
    base = {d.code: d for d in spec.diseases}
    current: dict[str, Disease] = {}
    first: dict[str, date] = {}
    names: dict[str, tuple[str, ...]] = {}
    out: list[Catalogue] = []
    for v in spec.versions:
        for code in v.remove:
            current.pop(code, None)
            names.pop(code, None)
        for code in [*v.managed, *v.listed.values()]:
            current.setdefault(code, base[code])
            first.setdefault(code, v.effective_from)
        for name, code in v.listed.items():
            names[code] = (*names.get(code, ()), name)
        for code, ch in v.change.items():
            current[code] = current.get(code, base[code]).model_copy(update=ch.model_dump(exclude_none=True))
        diseases = [
            current[c].model_copy(update={"effective_from": first[c], "listed_as": names.get(c, ())})
            for c in base
            if c in current
        ]
        _claims(diseases)
        out.append(
            Catalogue(
                version=v.version,
                diseases=diseases,
                effective_from=v.effective_from,
                source=v.source,
                aliases=tuple(v.aliases),
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class CatalogueHistory:
    """The versions in date order; ``on(day)`` is the one in force (None before the first)."""

    versions: tuple[Catalogue, ...]

    @classmethod
    def from_file(cls, data: Any) -> CatalogueHistory:
        return cls(tuple(build_versions(CatalogueFile.model_validate(data))))

    @property
    def latest(self) -> Catalogue:
        return self.versions[-1]

    def on(self, day: date) -> Catalogue | None:
        i = bisect_right([v.effective_from or date.min for v in self.versions], day)
        return self.versions[i - 1] if i else None

    def get(self, version: str) -> Catalogue | None:
        return next((v for v in self.versions if v.version == version), None)

    def not_older(self, version: str) -> list[str]:
        """``version`` and every later one (with their aliases): a case stamped with one of these is never
        re-triaged backwards."""
        ids = [v.version for v in self.versions]
        later = self.versions[ids.index(version) :] if version in ids else ()
        return [stamp for v in later for stamp in (v.version, *v.aliases)]


def triage_on(icd10: str, history: CatalogueHistory, on_date: date, age: int | None = None) -> TriageResult:
    """Triage against the version in force on ``on_date``. A disease some later version lists is
    ``catalogue_inactive`` (it will be triaged when that version takes effect), not ``not_in_catalogue``."""
    in_force = history.on(on_date)
    result = (
        triage(icd10, in_force, on_date, age)
        if in_force is not None
        else TriageResult(None, None, TriageReason.NOT_IN_CATALOGUE)
    )
    if result.reason == TriageReason.NOT_IN_CATALOGUE and history.latest.match(icd10) is not None:
        return TriageResult(None, None, TriageReason.CATALOGUE_INACTIVE)
    return result


@dataclass(frozen=True, slots=True)
class Retriage:
    """What a newer version does to one triaged case: nothing (``changed`` False: only the stamp), the disease
    left the catalogue (``left``: flagged in the audit, never moved — a coordinator decides), or a new disease
    or category (``move_to``: the new category's outcome state once treated, else None: the state stays)."""

    changed: bool
    left: bool = False
    disease_code: str | None = None
    category: Category | None = None
    move_to: CaseState | None = None


def retriage_case(state: CaseState, old_code: str | None, old_category: str | None, result: TriageResult) -> Retriage:
    if result.disease_code is None or result.category is None:
        return Retriage(changed=False, left=True)
    if result.disease_code == old_code and result.category.value == old_category:
        return Retriage(changed=False)
    return Retriage(True, False, result.disease_code, result.category, retriage_move(state, result.category))
