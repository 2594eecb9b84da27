"""Who may act on what (pure): actors are data (table ``actor``, seeded from ``config/data/actors.yaml``),
each with a region scope given as a prefix of the 6-digit region code — ``52`` a province, ``5205`` a
prefecture, ``520527`` a county, empty for the system actors that run bulk jobs everywhere."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Field, SQLModel

from models.common import enum_field
from models.enums import AccessReason, ActorRole

SCOPE_LENGTHS = (0, 2, 4, 6)


class Actor(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=60, description="What `--actor` / the form's actor names.")
    display: str = Field(max_length=120)
    role: ActorRole = enum_field(ActorRole)
    region_prefix: str = Field(default="", max_length=6, description="'' (everywhere), 52, 5205 or 520527.")
    active: bool = True


@dataclass(frozen=True, slots=True)
class Scope:
    actor: str
    role: ActorRole
    region_prefix: str

    def covers(self, region_code: str) -> bool:
        return region_code.startswith(self.region_prefix)

    @property
    def everywhere(self) -> bool:
        return self.region_prefix == ""


class AccessDenied(PermissionError):
    """An actor asked for something outside their scope; nothing was read or written. The message names the
    actor and the internal id (case, patient, region, file line), never identity."""

    def __init__(self, actor: str, target: str, reason: AccessReason, detail: str = "") -> None:
        why = {
            AccessReason.UNKNOWN_ACTOR: "no such actor",
            AccessReason.INACTIVE_ACTOR: "actor is inactive",
            AccessReason.OUTSIDE_REGION: "outside the actor's region",
            AccessReason.REGION_REQUIRED: "name a region within the actor's scope",
            AccessReason.NOT_USABLE: "region, person or household ref not usable there",
            AccessReason.SYSTEM_ACTOR: "system actors run bulk and event-triggered work only, not a coordinator's step",
        }[reason]
        super().__init__(
            f"access denied: actor {actor} may not act on {target}: {why}{f' ({detail})' if detail else ''}"
        )
        self.actor, self.target, self.reason = actor, target, reason


def check_region(scope: Scope, region_code: str, target: str) -> None:
    """Raise AccessDenied unless the region is within the actor's scope."""
    if not scope.covers(region_code):
        raise AccessDenied(scope.actor, target, AccessReason.OUTSIDE_REGION, f"scope {scope.region_prefix}")


def readable_region(scope: Scope, requested: str | None) -> str | None:
    """The region a report may cover for this actor: the one asked for if within scope; when none is asked,
    every region for a system actor, the actor's own county for a county actor, else refused."""
    if requested is not None:
        check_region(scope, requested, f"region {requested}")
        return requested
    if scope.everywhere:
        return None
    if len(scope.region_prefix) == 6:
        return scope.region_prefix
    raise AccessDenied(scope.actor, "every region", AccessReason.REGION_REQUIRED, f"scope {scope.region_prefix}")
