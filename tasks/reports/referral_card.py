"""The short Chinese note a referral step leaves (artifact ``referral-<id>``): internal ids and codes only."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact

from config.catalogue import load_hospitals
from models.enums import STATE_LABELS, CaseState
from models.referral_history import DECLINE_LABELS, REFERRAL_STATUS_LABELS, DeclineReason, ReferralOutcome


def referral_note(step: str, outcome: ReferralOutcome) -> str:
    """What a coordinator reads after accepting or declining a referral."""
    names = {h.code: h.name for h in load_hospitals()}
    lines = [
        f"**{step}** 转诊 {outcome.referral_id}（病例 {outcome.case_id}）",
        f"- 转诊状态：{REFERRAL_STATUS_LABELS[outcome.status]}" + ("" if outcome.changed else "（未变化）"),
    ]
    if outcome.reason in {r.value for r in DeclineReason}:
        lines.append(f"- 拒收原因：{DECLINE_LABELS[DeclineReason(str(outcome.reason))]}")
    if outcome.case_state is not None:
        lines.append(f"- 病例状态：{STATE_LABELS[CaseState(outcome.case_state)]}")
    if outcome.next_referral_id is not None and outcome.hospital_code:
        hospital = names.get(outcome.hospital_code, outcome.hospital_code)
        lines.append(f"- 已改转：{hospital}（{outcome.hospital_code}，转诊 {outcome.next_referral_id}）")
    elif outcome.case_state == CaseState.TRIAGED:
        lines.append("- 暂无有空位的定点医院：进入候诊名单，有空位时自动转诊")
    return "\n".join(lines)


@task(task_run_name="publish-referral-{outcome.referral_id}")
def publish_referral_step(step: str, outcome: ReferralOutcome) -> str:
    return str(create_markdown_artifact(key=f"referral-{outcome.referral_id}", markdown=referral_note(step, outcome)))
