"""The actors file (``config/data/actors.yaml``), validated: ids unique, region prefixes 0/2/4/6 digits that
cover at least one configured region, and only system actors unrestricted."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from config.catalogue import ConfigFileError, data_directory, load_config_file, load_regions
from models.access import SCOPE_LENGTHS
from models.enums import ActorRole


class ActorEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    display: str = Field(min_length=1, max_length=120)
    role: ActorRole
    region: str = Field(pattern=r"^(\d{2}|\d{4}|\d{6})?$")

    @model_validator(mode="after")
    def _system_only_everywhere(self) -> ActorEntry:
        if (self.region == "") != (self.role == ActorRole.SYSTEM):
            raise ValueError("region '' (every region) is for role system only, and a system actor has no region")
        return self


class ActorsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    actors: list[ActorEntry] = Field(min_length=1)


@lru_cache(maxsize=4)
def load_actors(data_dir: Path | None = None) -> tuple[ActorEntry, ...]:
    path = data_directory(data_dir) / "actors.yaml"
    loaded: ActorsFile = load_config_file(path, ActorsFile)
    codes = [r.code for r in load_regions(data_dir).regions]
    seen: set[str] = set()
    for i, a in enumerate(loaded.actors):
        if a.id in seen:
            raise ConfigFileError(f"{path.name}: actors.{i}.id: duplicate actor {a.id}")
        seen.add(a.id)
        assert len(a.region) in SCOPE_LENGTHS
        if not any(c.startswith(a.region) for c in codes):
            raise ConfigFileError(f"{path.name}: actors.{i}.region: {a.region} covers no region in regions.yaml")
    return tuple(loaded.actors)
