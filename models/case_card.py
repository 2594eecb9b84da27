"""The short Chinese note a coordinator reads in a step's run (a markdown artifact): what the step did to the
case, with internal ids, codes and the designated hospital's name only — never a patient's identity. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from models.enums import CATEGORY_LABELS, LEVEL_LABELS, STATE_LABELS, CaseState, Category, HospitalLevel

#: Why a step held a case (``Case.state_reason`` / ``CaseOutcome.reason``), as a coordinator reads it.
REASON_LABELS: dict[str, str] = {
    "in_catalogue": "在病种目录内",
    "not_in_catalogue": "不在大病专项救治病种目录内",
    "catalogue_inactive": "该病种目录在此日期未生效",
    "outside_age_limit": "年龄不在该病种的救治范围",
    "no_designated_hospital": "没有可收治该病种的定点医院",
    "no_capacity": "定点医院暂无床位",
    "duplicate": "与同一病种的在治病例重复",
    "ruled_out": "排除疑似",
    "already done": "此前已完成",
}


@dataclass(frozen=True, slots=True)
class CaseCard:
    case_id: int
    state: CaseState
    changed: bool
    reason: str | None = None
    disease_code: str | None = None
    disease_name: str | None = None  # the catalogue's Chinese name (高血压)
    category: str | None = None
    hospital: tuple[str, str, HospitalLevel] | None = None  # code, name, level
    discharge: tuple[int, date, Decimal, Decimal] | None = None  # episode, discharged on, total, out of scope
    settlement: tuple[int, Decimal, Decimal] | None = None  # settlement id, total, patient pays


def markdown(step: str, card: CaseCard) -> str:
    """``step`` is the Chinese name of the step (确诊并分类, 转诊, …)."""
    state = f"{STATE_LABELS[card.state]} ({card.state.value})"
    lines = [f"### 病例 {card.case_id} · {step}", "", f"- 状态：{state}{'' if card.changed else '（未改变）'}"]
    if card.reason:
        lines.append(f"- 说明：{REASON_LABELS.get(card.reason, card.reason)} ({card.reason})")
    if card.category:
        label = CATEGORY_LABELS.get(Category(card.category), card.category)
        disease = f"{card.disease_name} ({card.disease_code})" if card.disease_name else card.disease_code or "—"
        lines.append(f"- 分类救治：{label} ({card.category})，病种 {disease}")
    if card.hospital:
        code, name, level = card.hospital
        lines.append(f"- 定点医院：{name}（{LEVEL_LABELS[level]}，编码 {code}）")
    if card.discharge:
        episode, on, total, oos = card.discharge
        lines.append(f"- 出院：{on.isoformat()}，医疗总费用 {total} 元，目录外 {oos} 元（住院 {episode}）")
    if card.settlement:
        sid, total, pays = card.settlement
        lines.append(f"- 一站式结算：结算单 {sid}，总费用 {total} 元，各级报销 {total - pays} 元，个人自付 {pays} 元")
    return "\n".join(lines) + "\n"
