"""Referral history (转诊记录): every status change of a referral after it was made is a new row with who, when
and why — the referral's ``status`` column is only the latest of them. Plus the decline reasons a hospital
gives and the labels a coordinator reads."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from sqlmodel import Field, SQLModel

from models.common import enum_field, utcnow
from models.enums import CaseState, ReferralStatus


class DeclineReason(StrEnum):
    """拒收原因 — why a designated hospital declined a referral (a fixed list)."""

    NO_BED = "no_bed"  # 床位已满
    BEYOND_CAPABILITY = "beyond_capability"  # 超出诊疗能力
    NOT_INDICATED = "not_indicated"  # 不符合收治指征
    PATIENT_REFUSED = "patient_refused"  # 患者不愿去该院
    PATIENT_UNREACHABLE = "patient_unreachable"  # 联系不上患者

    @property
    def label(self) -> str:
        return DECLINE_LABELS[self]


class ReferralNote(StrEnum):
    """Why the system changed a referral (not a hospital's decision)."""

    ADMITTED = "admitted"  # 入院，转诊完成
    SUPERSEDED = "superseded"  # 协调员改转其他医院


DECLINE_LABELS: dict[DeclineReason, str] = {
    DeclineReason.NO_BED: "床位已满",
    DeclineReason.BEYOND_CAPABILITY: "超出诊疗能力",
    DeclineReason.NOT_INDICATED: "不符合收治指征",
    DeclineReason.PATIENT_REFUSED: "患者不愿去该院",
    DeclineReason.PATIENT_UNREACHABLE: "联系不上患者",
}
REFERRAL_STATUS_LABELS: dict[ReferralStatus, str] = {
    ReferralStatus.PENDING: "待接收",
    ReferralStatus.ACCEPTED: "已接收",
    ReferralStatus.DECLINED: "已拒收",
    ReferralStatus.ADMITTED: "已入院",
    ReferralStatus.CANCELLED: "已撤销",
}
#: Referrals still holding a place at their hospital (not yet admitted, declined or cancelled).
OPEN_REFERRAL = (ReferralStatus.PENDING, ReferralStatus.ACCEPTED)


class ReferralEvent(SQLModel, table=True):
    """One status change of one referral; appended, never updated."""

    __tablename__ = "referral_event"

    id: int | None = Field(default=None, primary_key=True)
    referral_id: int = Field(foreign_key="referral.id", index=True)
    from_status: ReferralStatus = enum_field(ReferralStatus)
    to_status: ReferralStatus = enum_field(ReferralStatus)
    reason: str | None = Field(default=None, max_length=40)
    actor: str = Field(max_length=60)
    occurred_on: date | None = None
    at: datetime = Field(default_factory=utcnow)


class ReferralOutcome(BaseModel):
    """What a coordinator's referral step did (internal ids only)."""

    model_config = ConfigDict(frozen=True)

    referral_id: int
    case_id: int
    status: ReferralStatus
    changed: bool
    reason: str | None = None
    case_state: CaseState | None = None
    next_referral_id: int | None = None
    hospital_code: str | None = None
