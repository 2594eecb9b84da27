"""The waiting list (候诊名单) as a coordinator reads it, and each hospital's capacity in use (pure)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict


class WaitingRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    rank: int
    case_id: int
    disease_code: str
    disease_zh: str
    region_code: str
    green_channel: bool
    waiting_since: date
    days_waiting: int


class PoolRow(BaseModel):
    """One capacity pool of one hospital: shared beds, a disease's own beds, or its monthly slots."""

    model_config = ConfigDict(frozen=True)

    hospital_code: str
    hospital_name: str
    pool: str  # "shared" or the disease code
    kind: str  # "beds" or "monthly_slots"
    used: int
    limit: int


class WaitingReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    on: date
    region_code: str | None
    hospital_code: str | None
    total: int
    green_channel: int
    rows: list[WaitingRow]
    capacity: list[PoolRow]
