"""Loaders for the catalogue, regions and designated hospitals (YAML in config/data, validated)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from config.settings import get_settings
from models.catalogue import Catalogue
from models.catalogue_history import CatalogueFile, CatalogueHistory, build_versions
from models.referral import DesignatedHospital


class ConfigFileError(ValueError):
    """A data file is invalid; the message names the file, the entry and the field."""


class Region(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^\d{6}$")
    name: str
    city: str = Field(pattern=r"^\d{6}$")
    province: str = Field(pattern=r"^\d{6}$")


class Regions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    regions: list[Region]

    def is_known(self, code: str) -> bool:
        return any(r.code == code for r in self.regions)


def load_config_file(path: Path, model: type[BaseModel]) -> Any:
    """A YAML data file validated as ``model``; a bad file is one line per error ("file: field: message")."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigFileError(f"{path}: cannot read: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            lines.append(f"{path.name}: {loc}: {err['msg']}")
        raise ConfigFileError("; ".join(lines)) from None


def data_directory(data_dir: Path | None) -> Path:
    return data_dir or get_settings().data_dir


@lru_cache(maxsize=4)
def load_catalogue_history(data_dir: Path | None = None) -> CatalogueHistory:
    """Every version of the special-disease catalogue (diseases.yaml), validated; a bad file is one line."""
    path = data_directory(data_dir) / "diseases.yaml"
    spec: CatalogueFile = load_config_file(path, CatalogueFile)
    try:
        return CatalogueHistory(tuple(build_versions(spec)))
    except ValueError as exc:
        raise ConfigFileError(f"{path.name}: {exc}") from None


def catalogue_on(day: date, data_dir: Path | None = None) -> Catalogue:
    """The version in force on ``day`` (the first version before any: a synthetic county starting earlier)."""
    history = load_catalogue_history(data_dir)
    return history.on(day) or history.versions[0]


def load_catalogue(data_dir: Path | None = None) -> Catalogue:
    """The latest version: every disease with the date it was first catalogued (names, hospitals, follow-up
    intervals). Triage on a date uses the version in force then (``load_catalogue_history().on(day)``)."""
    return load_catalogue_history(data_dir).latest


@lru_cache(maxsize=4)
def load_regions(data_dir: Path | None = None) -> Regions:
    regions: Regions = load_config_file(data_directory(data_dir) / "regions.yaml", Regions)
    return regions


class _Hospitals(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hospitals: list[DesignatedHospital]


@lru_cache(maxsize=4)
def load_hospitals(data_dir: Path | None = None) -> tuple[DesignatedHospital, ...]:
    directory = data_directory(data_dir)
    parsed: _Hospitals = load_config_file(directory / "hospitals.yaml", _Hospitals)
    known = {d.code for v in load_catalogue_history(data_dir).versions for d in v.diseases}
    for i, h in enumerate(parsed.hospitals):
        unknown = sorted(set(h.diseases) - known)
        if unknown:
            raise ConfigFileError(f"hospitals.yaml: hospitals.{i}.diseases: unknown disease code(s) {unknown}")
    return tuple(parsed.hospitals)
