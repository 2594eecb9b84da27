"""Nightly dynamic adjustment (动态调整): runs, their resumable chunks, findings and per-region snapshots."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.alarms import AlarmStatus
from models.common import Money, enum_field, utcnow


class FindingKind(StrEnum):
    OVERDUE_FOLLOW_UP = "overdue_follow_up"  # long-term management follow-up interval exceeded
    EXPIRING_CONTRACT = "expiring_contract"  # family-doctor contract expires soon (or has expired)
    UNTREATED = "untreated"  # confirmed/triaged/referred but not treated after N days (未救治)
    STUCK = "stuck"  # in one state longer than that state's limit
    RETRIAGE = "retriage"  # catalogue or diagnosis changed since triage
    POVERTY_ALARM = "poverty_alarm"  # 防止返贫监测预警: household self-pay above threshold
    STATUS_MISMATCH = "status_mismatch"  # 四个一致: poverty status differs from the external list

    @property
    def label(self) -> str:
        """The kind in Chinese, as a coordinator reads it."""
        return KIND_LABELS[self]


KIND_LABELS = {
    FindingKind.OVERDUE_FOLLOW_UP: "随访逾期",
    FindingKind.EXPIRING_CONTRACT: "签约即将到期",
    FindingKind.UNTREATED: "确诊未救治",
    FindingKind.STUCK: "环节停滞",
    FindingKind.RETRIAGE: "需重新分类",
    FindingKind.POVERTY_ALARM: "防返贫预警",
    FindingKind.STATUS_MISMATCH: "四个一致不符",
}


class RunStatus(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"


class NightlyRun(SQLModel, table=True):
    """One nightly run per (night, scope). Re-running the same night resumes/reuses this row."""

    __tablename__ = "nightly_run"
    __table_args__ = (UniqueConstraint("night", "scope", name="uq_nightly_run_night_scope"),)

    id: int | None = Field(default=None, primary_key=True)
    night: date
    scope: str = Field(max_length=20, description="'*' for every region, else a region code")
    status: RunStatus = enum_field(RunStatus, default=RunStatus.RUNNING)
    flow_run_id: str | None = Field(default=None, max_length=40)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    #: 补查 — a night before one already run (its scope or every region): judged and counted (``NightlyCount``),
    #: while the alarms, the cases and the waiting list are left as the later night left them (migration 0023)
    replay: bool = False


class NightlyChunk(SQLModel, table=True):
    """A finished chunk of one stage: a restarted run skips these (resume without doubling)."""

    __tablename__ = "nightly_chunk"

    run_id: int = Field(foreign_key="nightly_run.id", primary_key=True)
    stage: str = Field(max_length=40, primary_key=True)
    first_id: int = Field(primary_key=True)
    last_id: int
    findings: int = 0
    done_at: datetime = Field(default_factory=utcnow)


class NightlyCount(SQLModel, table=True):
    """What a replayed night found, per chunk, region and kind: its summary (a replay opens no alarm)."""

    __tablename__ = "nightly_count"

    run_id: int = Field(foreign_key="nightly_run.id", primary_key=True)
    stage: str = Field(max_length=40, primary_key=True)
    first_id: int = Field(primary_key=True)
    region_code: str = Field(max_length=6, primary_key=True)
    kind: str = Field(max_length=40, primary_key=True)
    conditions: int


#: Kinds that are one-off notices (the condition does not persist after the run acted): never auto-cleared.
ONE_OFF = frozenset({FindingKind.RETRIAGE})


def _named(column: str) -> Index:
    """An index of the alarms naming a patient, household or case (an alarm names one or two of them)."""
    where = text(f"{column} IS NOT NULL")
    return Index(f"ix_finding_{column}", column, sqlite_where=where, postgresql_where=where)


class Finding(SQLModel, table=True):
    """An alarm: opened by the nightly run ``run_id`` on ``night`` once per (kind, subject) and kept while its
    condition holds (``cleared_on`` empty; the partial unique index enforces "once"). Coordinators move its
    ``status`` (``models.alarms``); the nightly run clears it when the condition ends and escalates it when it
    stays unhandled. Only changes are written: a night whose conditions did not change writes nothing."""

    __table_args__ = (
        Index("ix_finding_run_kind", "run_id", "kind"),  # a run's alarms by kind (migration 0021)
        Index(
            "uq_finding_active",
            "kind",
            "subject_id",
            "subject",
            unique=True,
            sqlite_where=text("cleared_on IS NULL"),
            postgresql_where=text("cleared_on IS NULL"),
        ),
        # the nightly summary's open alarms by region and kind from the index alone (migration 0018)
        Index("ix_finding_region_kind_cleared", "region_code", "kind", "cleared_on"),
        *(_named(column) for column in ("patient_id", "household_id", "case_id")),  # migration 0019
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int  # nightly_run.id; indexed by ix_finding_run_kind; no FK: see migration 0017
    night: date = Field(index=True)
    kind: FindingKind = enum_field(FindingKind)  # open ones by kind: uq_finding_active
    subject: str = Field(max_length=64, description="'case:12', 'patient:7', 'household:3/rule', …")
    reason: str = Field(max_length=120)
    region_code: str = Field(max_length=6)  # first column of ix_finding_region_kind_cleared
    patient_id: int | None = None  # ix_finding_patient_id: the rows naming one
    household_id: int | None = None  # ix_finding_household_id: the rows naming one
    case_id: int | None = None  # ix_finding_case_id: the rows naming one
    amount: Decimal | None = Field(default=None, sa_type=Money())
    created_at: datetime = Field(default_factory=utcnow)
    subject_id: int = Field(default=0, description="the chunked id: case, household or patient")
    rule: str = Field(default="", max_length=48, description="the alarm rule of a poverty alarm, else ''")
    status: AlarmStatus = enum_field(AlarmStatus, default=AlarmStatus.OPEN)
    cleared_on: date | None = Field(default=None, description="the night the condition was found ended")
    escalated_on: date | None = Field(default=None, description="the night it was raised to the prefecture")
    assignee: str | None = Field(default=None, max_length=60)


class RegionSnapshot(SQLModel, table=True):
    """Per-region ledger snapshot of one night: counts by state and category (one row per pair)."""

    __tablename__ = "region_snapshot"

    run_id: int = Field(foreign_key="nightly_run.id", primary_key=True)
    region_code: str = Field(max_length=6, primary_key=True)
    state: str = Field(max_length=40, primary_key=True)
    category: str = Field(max_length=20, primary_key=True, description="'' when not triaged")
    cases: int = 0
