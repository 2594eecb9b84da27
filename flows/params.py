"""The flows' parameters as a coordinator sees them in the Prefect UI's Run form: each type carries its Chinese
title and description (English after it) and the constraints the Prefect server checks before it creates a run.

Prefect 3.8 builds a deployment's ``parameter_openapi_schema`` from the signature and overwrites a field's
``title`` (with the parameter's name) and ``description`` (with the docstring's ``Args:`` entry, or nothing),
but keeps ``json_schema_extra``: so title and description go there (``form``). Validation constraints
(``ge``, ``max_length``, …) stay real pydantic constraints, checked when the flow is called too.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, Field, WithJsonSchema

from config.actors import load_actors
from models.enums import (
    FOLLOW_UP_LABELS,
    TREATMENT_KIND_LABELS,
    ActorRole,
    FollowUpOutcome,
    ReferralDirection,
    TreatmentKind,
)
from models.free_text import NO_ID_PATTERN, no_id_number
from models.referral_history import DECLINE_LABELS, DeclineReason

MAX_INT = 2_147_483_647  # the database's INTEGER columns (ids, session counts)
MONEY_PATTERN = r"^[0-9]{1,16}(\.[0-9]{1,2})?$"


def form(title: str, description: str, **schema: Any) -> Any:
    """A pydantic ``Field`` whose title and description survive into the deployment's parameter schema."""
    return Field(json_schema_extra={"title": title, "description": description, **schema})


def _day(title: str, what: str, english: str) -> Any:
    return form(f"{title} (YYYY-MM-DD)", f"{what}，格式 YYYY-MM-DD。{english}, YYYY-MM-DD.")


def coordinator_actors() -> list[str]:
    """The actors a coordinator's form may name: every configured actor but the system ones."""
    return [a.id for a in load_actors() if a.role != ActorRole.SYSTEM]


CaseId = Annotated[
    int,
    Field(ge=1, le=MAX_INT),
    form("病例编号 Case id", "病例的内部编号（台账“病例编号”一栏），不是身份证号。Internal case id."),
]
PatientId = Annotated[
    int,
    Field(ge=1, le=MAX_INT),
    form("患者编号 Patient id", "患者的内部编号（登记后获得），不是身份证号。Internal patient id, never an ID number."),
]
ScreenedOn = Annotated[date, _day("筛查日期", "发现疑似病情的筛查日期", "Screening date")]
ConfirmedOn = Annotated[date, _day("确诊日期", "医院核准确诊的日期", "Date the diagnosis was confirmed")]
ReferredOn = Annotated[date, _day("转诊日期", "转诊到定点医院的日期", "Referral date")]
AdmittedOn = Annotated[date, _day("入院日期", "在定点医院入院的日期", "Admission date")]
DischargedOn = Annotated[date, _day("出院日期", "出院日期，也是结算的服务日期", "Discharge (service) date")]
RelapsedOn = Annotated[date, _day("复发日期", "已治愈的病情复发的日期", "Relapse date")]
FollowedOn = Annotated[date, _day("随访日期", "随访的日期", "Follow-up date")]
TriagedOn = Annotated[
    date | None,
    form("分类日期 (YYYY-MM-DD)", "分类救治的日期（由事件带来；空则为今天）。Triage date; default today."),
]
Icd10 = Annotated[
    str,
    Field(max_length=16, pattern=r"^[A-Za-z][0-9]{2}(\.[0-9A-Za-z]{1,4})?$"),
    form("诊断编码 ICD-10", "疑似疾病的 ICD-10 编码，如 I10、Q21.0（须在病种目录中）。ICD-10 code, e.g. I10."),
]
Icd10Correction = Annotated[
    str,
    Field(max_length=16, pattern=r"^([A-Za-z][0-9]{2}(\.[0-9A-Za-z]{1,4})?)?$"),
    form(
        "确诊诊断编码 ICD-10（可选）",
        "确诊的 ICD-10 编码与筛查时不同时填写，如 Q21.0；留空则沿用筛查编码。Corrected ICD-10 code (optional).",
    ),
]
Urgent = Annotated[bool, form("绿色通道（急诊） Urgent", "急危重症走绿色通道（优先有绿色通道的医院）。Green channel.")]
Direction = Annotated[
    ReferralDirection,
    form("转诊方向 Direction", "initial=首次转诊，up=上转（到更高级别医院），down=下转（回基层）。Referral direction."),
]
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=18, decimal_places=2),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN}),
]
TotalCost = Annotated[
    Money, form("出院医疗总费用 (元)", "出院结算单上的医疗总费用，单位元，最多两位小数，如 38734.00。Total bill, yuan.")
]
OutOfScope = Annotated[
    Money, form("目录外费用 (元)", "其中不属于报销目录的费用，单位元，如 733.00；没有填 0。Out-of-scope part, yuan.")
]
Sessions = Annotated[
    int,
    Field(ge=0, le=MAX_INT),
    form("治疗次数 Sessions", "门诊按次补助的治疗次数（如透析次数）；住院填 0。Sessions (outpatient, per-session)."),
]
Outcome = Annotated[
    FollowUpOutcome,
    form(
        "随访结果 Outcome",
        "，".join(f"{o.value}={label}" for o, label in FOLLOW_UP_LABELS.items()) + "。Follow-up outcome.",
    ),
]
SettlementId = Annotated[
    int,
    Field(ge=1, le=MAX_INT),
    form("结算编号 Settlement id", "要冲销的结算的内部编号（结算单上的编号）。Internal settlement id."),
]
Reason = Annotated[
    str,
    Field(min_length=1, max_length=200),
    AfterValidator(no_id_number),
    form("更正原因 Reason", "为什么冲销或重新结算（如“出院金额录入错误”），不要写姓名或身份证号。Why it is corrected."),
]
#: An actor id as a form field takes: short, never an ID-shaped number (each deployment adds its title and list).
ActorId = Annotated[str, Field(min_length=1, max_length=60), AfterValidator(no_id_number)]
Actor = Annotated[
    ActorId,
    form(
        "操作人 Actor",
        "操作人的编号（config/data/actors.yaml 中的协调员或督导员，如 coordinator），只能在其地区内操作；"
        "系统账号（system、demo、nightly、events）不能在此使用。Acting coordinator or supervisor id.",
        enum=coordinator_actors(),
    ),
]
NoIdText = Annotated[str, AfterValidator(no_id_number), WithJsonSchema({"type": "string", "pattern": NO_ID_PATTERN})]
CsvPath = Annotated[
    NoIdText,
    Field(min_length=1, max_length=500),
    form(
        "筛查名单文件路径 CSV path",
        "服务器上筛查名单 CSV 文件的路径（身份证号和姓名只在文件里，不要写进路径）。CSV path on the server.",
    ),
]
Method = Annotated[
    NoIdText,
    Field(min_length=1, max_length=30),
    form("筛查方式 Method", "如 health_check（健康体检）、five_step（五步筛查法）。Screening method."),
]
OutDir = Annotated[
    NoIdText,
    Field(min_length=1, max_length=500),
    form("输出目录 Output folder", "报表写到服务器上的这个目录。Folder on the server the files go to."),
]
Region6 = Annotated[str, Field(pattern=r"^[0-9]{6}$")]
RegionCode = Annotated[Region6, form("地区编码 Region code", "6 位行政区划代码，如 520527（赫章县）。Region code.")]
OptRegion = Annotated[
    Region6 | None,
    form("地区编码 Region code（可选）", "只看这个 6 位行政区划代码的地区；留空为操作人的全部地区。Only this region."),
]
StayId = Annotated[
    int,
    Field(ge=1, le=MAX_INT),
    form("住院编号 Stay id", "一次住院或门诊疗程的内部编号（入院时获得），不是身份证号。Internal stay id."),
]
HospitalCode = Annotated[
    str,
    Field(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z-]{1,40}$"),
    form("医院编码 Hospital code", "就诊医院的编码（config/data/hospitals.yaml），如 520527-PH。Hospital code."),
]
OptHospitalCode = Annotated[
    str,
    Field(max_length=40, pattern=r"^[0-9A-Za-z-]{0,40}$"),
    form("医院编码（可选） Hospital code", "留空则为转诊的定点医院；填写则在该医院入院。Hospital code (optional)."),
]
StayIcd10 = Annotated[
    str,
    Field(max_length=16, pattern=r"^[A-Za-z][0-9]{2}(\.[0-9A-Za-z]{1,4})?$"),
    form("诊断编码 ICD-10", "本次住院的诊断 ICD-10 编码，如 S72.0（股骨骨折），任何疾病均可。Diagnosis of the stay."),
]
Kind = Annotated[
    TreatmentKind,
    form(
        "诊疗类别 Treatment kind",
        "，".join(f"{k.value}={label}" for k, label in TREATMENT_KIND_LABELS.items()) + "。Treatment kind.",
    ),
]
Outpatient = Annotated[
    bool,
    form("门诊（慢特病） Outpatient", "门诊慢特病疗程（如透析，出院时填治疗次数）；否则为住院。Outpatient course."),
]
HospitalPick = Annotated[
    str,
    Field(max_length=40, pattern=r"^([0-9A-Za-z-]{1,40})?$"),
    form(
        "指定定点医院编码（可选） Hospital",
        "协调员指定的定点医院编码（config/data/hospitals.yaml，如 520527-PH），须是该病种的定点医院且有空位；"
        "留空则自动选择。Designated hospital code (optional).",
    ),
]
ReferralId = Annotated[
    int,
    Field(ge=1, le=MAX_INT),
    form("转诊编号 Referral id", "转诊单的内部编号（转诊后获得；候诊名单与病例记录中可查）。Internal referral id."),
]
AcceptedOn = Annotated[date, _day("接收日期", "定点医院接收转诊的日期", "Date the hospital accepted")]
DeclinedOn = Annotated[date, _day("拒收日期", "定点医院拒收转诊的日期", "Date the hospital declined")]
Decline = Annotated[
    DeclineReason,
    form(
        "拒收原因 Reason",
        "，".join(f"{r.value}={label}" for r, label in DECLINE_LABELS.items()) + "。Why the hospital declined.",
    ),
]
DischargedOnEvent = Annotated[
    date | None,
    form("出院日期 (YYYY-MM-DD)", "空出床位的出院日期（由事件带来；空则为今天）。Discharge date; default today."),
]
