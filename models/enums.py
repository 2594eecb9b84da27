"""Shared vocabulary: every status, category and reason is a StrEnum (values are stored as-is)."""

from __future__ import annotations

from enum import StrEnum


class PovertyStatus(StrEnum):
    """贫困属性 — drives reimbursement bonuses and alarm thresholds."""

    REGISTERED_POOR = "registered_poor"  # 建档立卡
    MINIMUM_LIVING = "minimum_living"  # 低保
    DESTITUTE = "destitute"  # 特困 / 五保
    EDGE = "edge"  # 边缘户
    MONITORED = "monitored"  # 监测户
    GENERAL = "general"  # 普通居民


class Category(StrEnum):
    """分类救治 — the three triage categories."""

    ONE_TIME_CURE = "one_time_cure"  # 一次性能治愈
    MAINTENANCE = "maintenance"  # 需要维持治疗
    LONG_TERM = "long_term"  # 需要长期治疗和健康管理


class HospitalLevel(StrEnum):
    """Institution level; order matters (township lowest)."""

    TOWNSHIP = "township"  # 乡镇卫生院
    LEVEL1 = "level1"  # 一级
    LEVEL2 = "level2"  # 二级 (county)
    LEVEL3 = "level3"  # 三级 (city / province)


HOSPITAL_LEVEL_RANK: dict[HospitalLevel, int] = {
    HospitalLevel.TOWNSHIP: 0,
    HospitalLevel.LEVEL1: 1,
    HospitalLevel.LEVEL2: 2,
    HospitalLevel.LEVEL3: 3,
}


class HospitalLocation(StrEnum):
    """Where the hospital is relative to the patient's county."""

    IN_COUNTY = "in_county"
    OUT_OF_COUNTY = "out_of_county"
    OUT_OF_PROVINCE = "out_of_province"


class CareSetting(StrEnum):
    INPATIENT = "inpatient"
    OUTPATIENT = "outpatient"


class ConditionStatus(StrEnum):
    SUSPECTED = "suspected"
    CONFIRMED = "confirmed"
    RULED_OUT = "ruled_out"


class CaseState(StrEnum):
    """States of one case (one special disease of one patient) along the pathway."""

    SCREENED = "screened"
    CONFIRMED = "confirmed"
    TRIAGED = "triaged"
    REFERRED = "referred"
    IN_TREATMENT = "in_treatment"
    DISCHARGED = "discharged"
    SETTLED = "settled"
    CURED = "cured"
    UNDER_MAINTENANCE = "under_maintenance"
    UNDER_MANAGEMENT = "under_management"
    CLOSED = "closed"


class ReferralDirection(StrEnum):
    INITIAL = "initial"  # first referral to a designated hospital
    UP = "up"  # 上转: to a higher level
    DOWN = "down"  # 下转: back to primary care for follow-up


class ReferralStatus(StrEnum):
    """转诊状态: pending → accepted / declined → admitted (completed on admission); cancelled."""

    PENDING = "pending"  # 待接收
    ACCEPTED = "accepted"  # 已接收
    DECLINED = "declined"  # 已拒收
    ADMITTED = "admitted"  # 已入院 (completed)
    CANCELLED = "cancelled"  # 已撤销


class TriageReason(StrEnum):
    """Why a confirmed condition did or did not get a category."""

    IN_CATALOGUE = "in_catalogue"
    NOT_IN_CATALOGUE = "not_in_catalogue"  # confirmed, but not a special-treatment disease
    CATALOGUE_INACTIVE = "catalogue_inactive"  # disease not in force on that date
    OUTSIDE_AGE_LIMIT = "outside_age_limit"  # e.g. childhood leukaemia for an adult


class ReferralReason(StrEnum):
    NO_DESIGNATED_HOSPITAL = "no_designated_hospital"
    NO_CAPACITY = "no_capacity"


class FollowUpOutcome(StrEnum):
    """随访结果 — what a follow-up found (stored as the value; ``label`` is what a coordinator reads)."""

    IMPROVED = "improved"  # 好转
    STABLE = "stable"  # 稳定
    CURED = "cured"  # 治愈
    WORSENED = "worsened"  # 恶化
    DIED = "died"  # 死亡
    LOST = "lost_to_follow_up"  # 失访

    @property
    def label(self) -> str:
        return FOLLOW_UP_LABELS[self]


FOLLOW_UP_LABELS: dict[FollowUpOutcome, str] = {
    FollowUpOutcome.IMPROVED: "好转",
    FollowUpOutcome.STABLE: "稳定",
    FollowUpOutcome.CURED: "治愈",
    FollowUpOutcome.WORSENED: "恶化",
    FollowUpOutcome.DIED: "死亡",
    FollowUpOutcome.LOST: "失访",
}


class ActorRole(StrEnum):
    """Who acts: a coordinator (one county), a supervisor (a prefecture or province), or the system
    (bulk jobs: demo, imports run by the system, nightly, event-triggered steps) over every region."""

    COORDINATOR = "coordinator"
    SUPERVISOR = "supervisor"
    SYSTEM = "system"


class AccessReason(StrEnum):
    """Why an action was refused (``AccessDenied.reason``)."""

    UNKNOWN_ACTOR = "unknown_actor"
    INACTIVE_ACTOR = "inactive_actor"
    OUTSIDE_REGION = "outside_region"
    REGION_REQUIRED = "region_required"
    NOT_USABLE = "not_usable"  # a row's region, person or household ref (never says which: no oracle)
    SYSTEM_ACTOR = "system_actor"  # a system actor named in a coordinator's form or command


#: What a coordinator reads for each state and category (artifacts, README).
STATE_LABELS: dict[CaseState, str] = {
    CaseState.SCREENED: "已筛查",
    CaseState.CONFIRMED: "已确诊",
    CaseState.TRIAGED: "已分类",
    CaseState.REFERRED: "已转诊",
    CaseState.IN_TREATMENT: "治疗中",
    CaseState.DISCHARGED: "已出院",
    CaseState.SETTLED: "已结算",
    CaseState.CURED: "已治愈",
    CaseState.UNDER_MAINTENANCE: "维持治疗",
    CaseState.UNDER_MANAGEMENT: "长期管理",
    CaseState.CLOSED: "已关闭",
}
CATEGORY_LABELS: dict[Category, str] = {
    Category.ONE_TIME_CURE: "一次性能治愈",
    Category.MAINTENANCE: "需要维持治疗",
    Category.LONG_TERM: "需要长期治疗和健康管理",
}
LEVEL_LABELS: dict[HospitalLevel, str] = {
    HospitalLevel.TOWNSHIP: "乡镇卫生院",
    HospitalLevel.LEVEL1: "一级",
    HospitalLevel.LEVEL2: "二级",
    HospitalLevel.LEVEL3: "三级",
}


class TreatmentKind(StrEnum):
    """What a stay is for (a settlement layer may pay per session or a lump sum by kind)."""

    GENERAL = "general"  # 普通诊疗
    DIALYSIS = "dialysis"  # 血液透析
    CHEMOTHERAPY = "chemotherapy"  # 化疗
    RADIOTHERAPY = "radiotherapy"  # 放疗
    DELIVERY = "delivery"  # 住院分娩
    REHABILITATION = "rehabilitation"  # 康复


class PatientGroup(StrEnum):
    """特殊人群 a patient belongs to (from a date, audited); the policies' ``groups_any`` name these values."""

    SEVERE_ILLNESS = "severe_illness"  # 重病患者
    SEVERELY_DISABLED = "severely_disabled"  # 重度残疾人
    DISASTER_STRUCK = "disaster_struck"  # 因灾致贫
    CANNOT_BEAR_SELF_PAY = "cannot_bear_self_pay"  # 自付费用难以承受
    ENTITLED_VETERAN = "entitled_veteran"  # 优抚对象
    MENTAL_ILLNESS = "mental_illness"  # 重性精神病患者


class CloseReason(StrEnum):
    """Why a case was closed (a fixed list; ``CLOSE_REASON_LABELS`` is what a coordinator reads)."""

    DIED = "died"  # 死亡
    MOVED_AWAY = "moved_away"  # 迁出
    REFUSED = "refused"  # 拒绝救治
    RULED_OUT = "ruled_out"  # 排除诊断
    DUPLICATE = "duplicate"  # 重复建档
    CURED = "cured"  # 已治愈结案


TREATMENT_KIND_LABELS: dict[TreatmentKind, str] = {
    TreatmentKind.GENERAL: "普通诊疗",
    TreatmentKind.DIALYSIS: "血液透析",
    TreatmentKind.CHEMOTHERAPY: "化疗",
    TreatmentKind.RADIOTHERAPY: "放疗",
    TreatmentKind.DELIVERY: "住院分娩",
    TreatmentKind.REHABILITATION: "康复",
}
GROUP_LABELS: dict[PatientGroup, str] = {
    PatientGroup.SEVERE_ILLNESS: "重病患者",
    PatientGroup.SEVERELY_DISABLED: "重度残疾人",
    PatientGroup.DISASTER_STRUCK: "因灾致贫",
    PatientGroup.CANNOT_BEAR_SELF_PAY: "自付费用难以承受",
    PatientGroup.ENTITLED_VETERAN: "优抚对象",
    PatientGroup.MENTAL_ILLNESS: "重性精神病患者",
}
CLOSE_REASON_LABELS: dict[CloseReason, str] = {
    CloseReason.DIED: "死亡",
    CloseReason.MOVED_AWAY: "迁出",
    CloseReason.REFUSED: "拒绝救治",
    CloseReason.RULED_OUT: "排除诊断",
    CloseReason.DUPLICATE: "重复建档",
    CloseReason.CURED: "已治愈结案",
}
