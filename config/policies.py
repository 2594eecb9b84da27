"""Loads every regional policy file and finds the one in force for (region, date of service)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from config.settings import get_settings
from models.settlement.bill import BillError
from models.settlement.policy import Policy


class PolicyFileError(ValueError):
    """A policy file is invalid; the message names the file and the field."""


class PolicyRegistry:
    def __init__(self, policies: list[Policy]) -> None:
        self.policies = sorted(policies, key=lambda p: (p.region, p.effective_from))
        for a, b in zip(self.policies, self.policies[1:], strict=False):
            if a.region == b.region and (a.effective_to is None or a.effective_to >= b.effective_from):
                raise PolicyFileError(f"policies {a.id} and {b.id} overlap for region {a.region}")

    def known_groups(self) -> frozenset[str]:
        """The population groups any policy refers to: a bill naming another one has a typo."""
        return frozenset().union(*(p.groups for p in self.policies))

    def covers(self, region: str) -> bool:
        """Whether any policy settles this region (a region without one is refused at intake)."""
        return any(policy.region == region for policy in self.policies)

    def in_force(self, region: str, on: date) -> Policy:
        for policy in self.policies:
            if policy.region == region and policy.in_force(on):
                return policy
        if not any(policy.region == region for policy in self.policies):
            raise BillError("region", f"no settlement policy for region {region}")
        raise BillError("service_date", f"no policy in force for region {region} on {on.isoformat()}")


#: Why intake refuses a region that has no settlement policy (乌兰察布 150902…: its seed text gives no figures).
NO_POLICY = "has no settlement policy (its seed text gives no reimbursement figures): not taken in"


def load_policy_file(path: Path) -> Policy:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Policy.model_validate(data)
    except yaml.YAMLError as exc:
        raise PolicyFileError(f"{path.name}: not valid YAML: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{path.name}: {'.'.join(str(p) for p in e['loc']) or 'policy'}: {e['msg']}" for e in exc.errors()
        )
        raise PolicyFileError(problems) from None


@lru_cache(maxsize=4)
def load_policies(directory: Path | None = None) -> PolicyRegistry:
    folder = directory or get_settings().data_dir / "policies"
    return PolicyRegistry([load_policy_file(p) for p in sorted(folder.glob("*.yaml"))])


def settlement_refusal(region: str) -> str | None:
    """Why intake refuses ``region`` (no policy settles it), or None when a policy does."""
    return None if load_policies().covers(region) else NO_POLICY
