"""Small pydantic values passed between flows and tasks (ids and states only, never identity)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from models.enums import CaseState
from models.findings import RunStatus


class CaseOutcome(BaseModel):
    """What a step did to one case."""

    model_config = ConfigDict(frozen=True)

    case_id: int
    state: CaseState
    changed: bool
    reason: str | None = None
    hospital_id: int | None = None
    episode_id: int | None = None
    settlement_id: int | None = None


class StepResult(BaseModel):
    """What a bulk step did to one chunk of cases."""

    model_config = ConfigDict(frozen=True)

    step: str
    considered: int
    moved: int
    held: dict[str, int] = {}


class LedgerSummary(BaseModel):
    """Treatment ledger (救治台账) counts for a region (or all)."""

    region_code: str | None
    by_state: dict[str, int]
    by_category: dict[str, dict[str, int]]
    special_cases: int
    treated: int
    in_treatment: int
    not_yet_treated: int
    treatment_rate: str
    alarms: dict[str, int] = {}
    #: 签约率: the ledger's patients (a live special-disease case) with a family-doctor contract in force on the
    #: ledger's day, of all of them (target 100%); None where not counted (a nightly run's snapshot: the
    #: ledger and the 季通报 count contracts, not the night)
    contracted: int | None = None
    contract_patients: int | None = None
    contract_rate: str | None = None


class NightlySummary(BaseModel):
    """What one nightly run found: alarms open after it by kind (the conditions that hold), the night's changes
    (opened, resolved by kind; escalated), and per region the ledger snapshot with its open alarms."""

    run_id: int
    night: date
    scope: str
    status: RunStatus
    #: 补查: a night before one already run — ``findings`` is what it found; it opened and cleared nothing
    replay: bool = False
    findings: dict[str, int]
    opened: dict[str, int] = {}
    resolved: dict[str, int] = {}
    escalated: int = 0
    regions: list[LedgerSummary]


class StayOutcome(BaseModel):
    """What a step did to one stay (a case's or any other): its state, and its settlement once settled."""

    model_config = ConfigDict(frozen=True)

    stay_id: int
    patient_id: int
    case_id: int | None = None
    state: str  # open, discharged, settled
    changed: bool
    reason: str | None = None
    hospital_id: int | None = None
    settlement_id: int | None = None
