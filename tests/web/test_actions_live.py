"""Every console action through its real flow (run in process by ``InProcessRunner``): the form's parameters meet
the flow's validation and the case, patient, referral or alarm changes as a coordinator expects; typed notes are
read back on the page from the app database and never reach a flow run's parameters in Prefect."""

from __future__ import annotations

import asyncio
import re
from datetime import date

import pytest
from sqlalchemy import select
from sqlmodel import col

from flows.settlement import settle_discharged
from models.alarms import AlarmStatus
from models.care import Referral
from models.clinical import Case, CaseTransition
from models.findings import Finding
from tasks.infra.db import session_scope
from tests.web.conftest import World, csrf, login, plant_alarm

pytestmark = [pytest.mark.flow]
NOTE = "家属来电说明情况，已核实"


def _act(w: World, folder: str, subject_id: int, key: str, **fields: str) -> str:
    page = w.client.get(f"/patients/{w.patient_id}")
    response = w.client.post(f"/{folder}/{subject_id}/actions/{key}", data={"csrf": csrf(page.text), **fields})
    outcome = re.search(r'id="outcome">([^<]*)<', response.text)
    assert outcome, response.text[:500]
    return outcome.group(1)


def _case(case_id: int) -> Case:
    with session_scope() as s:
        case = s.get(Case, case_id)
        assert case is not None
        s.expunge(case)
        return case


def _referrals(case_id: int) -> list[Referral]:
    with session_scope() as s:
        stmt = select(Referral).where(col(Referral.case_id) == case_id).order_by(col(Referral.id))
        rows = list(s.execute(stmt).scalars())
        s.expunge_all()
        return rows


def test_a_case_from_confirmation_to_its_statement_then_corrected_and_closed(live: World) -> None:
    w = live
    login(w.client, "coordinator")
    assert _act(w, "cases", w.case_id, "confirm", confirmed_on="2017-05-10") == "已完成"
    assert _act(w, "cases", w.case_id, "refer", referred_on="2017-05-11", direction="initial") == "已完成"
    (referral,) = _referrals(w.case_id)
    assert _act(w, "referrals", int(referral.id or 0), "accept", accepted_on="2017-05-12") == "已完成"
    assert _act(w, "cases", w.case_id, "admit", admitted_on="2017-05-13") == "已完成"
    done = _act(w, "cases", w.case_id, "discharge", discharged_on="2017-05-20", total_cost="38734.00",
                out_of_scope="733.00", sessions="0")  # fmt: skip
    assert done == "已完成"
    asyncio.run(settle_discharged(w.case_id))  # what the discharge event triggers in the served system
    page = w.client.get(f"/patients/{w.patient_id}").text
    assert "结算单" in page and "基本医保" in page and "38,734.00 元" in page and "已接收" in page
    assert _act(w, "cases", w.case_id, "diagnosis", icd10="I12.0", corrected_on="2017-06-01", reason=NOTE) == "已完成"
    assert _act(w, "cases", w.case_id, "close", why="moved_away", closed_on="2017-06-02", reason="迁往外省") == "已完成"
    assert _case(w.case_id).state == "closed"
    with session_scope() as s:  # the closing date typed in the form is the move's business date
        moved = col(CaseTransition.case_id) == w.case_id, col(CaseTransition.to_state) == "closed"
        closed = s.execute(select(col(CaseTransition.occurred_on)).where(*moved)).scalar_one()
    assert closed == date(2017, 6, 2)
    page = w.client.get(f"/patients/{w.patient_id}").text
    assert NOTE in page and "迁往外省" in page and "console-note:" not in page
    _no_note_in_prefect(w, [NOTE, "迁往外省"])


def test_a_declined_referral_is_re_referred_and_an_undo_is_a_new_move(live: World) -> None:
    w = live
    login(w.client, "coordinator")
    _act(w, "cases", w.case_id, "confirm", confirmed_on="2017-05-10")
    _act(w, "cases", w.case_id, "refer", referred_on="2017-05-11", direction="initial")
    first = _referrals(w.case_id)[0]
    outcome = _act(w, "referrals", int(first.id or 0), "decline", declined_on="2017-05-12", reason="no_bed")
    assert outcome == "已完成"
    rows = _referrals(w.case_id)
    assert rows[0].status == "declined"
    assert _act(w, "cases", w.case_id, "undo", reason=NOTE) == "已完成"
    assert "撤销上一步" in w.client.get(f"/patients/{w.patient_id}").text


def test_a_patients_status_groups_and_contract(live: World) -> None:
    w = live
    login(w.client, "coordinator")
    p = w.patient_id
    assert _act(w, "patients", p, "status", poverty_status="edge", effective_from="2017-06-01", reason=NOTE) == "已完成"
    groups = {"add:severely_disabled": "true", "effective_from": "2017-06-01", "reason": "残联名单"}
    assert _act(w, "patients", p, "groups", **groups) == "已完成"
    signed = _act(w, "patients", p, "sign", team="城关镇-1团队", signed_from="2017-06-01", years="1", reason="签约")
    assert signed == "已完成"
    assert _act(w, "patients", p, "renew", years="1", reason="到期续约") == "已完成"
    assert _act(w, "patients", p, "end", ended_on="2018-09-01", reason="迁出") == "已完成"
    page = w.client.get(f"/patients/{p}").text
    for seen in ("边缘户", "重度残疾人", "残联名单", "家庭医生签约", "家庭医生续约", "家庭医生解约", "到期续约"):
        assert seen in page, seen
    refused = _act(w, "patients", p, "end", ended_on="2018-09-01", reason="again")
    assert refused.startswith("失败：")  # no contract in force: one line, no traceback


def test_an_alarm_is_acknowledged_with_a_note_then_handled(live: World) -> None:
    w = live
    finding_id = plant_alarm(w, reason="确诊后 90 天未救治")
    login(w.client, "coordinator")
    assert _act(w, "alarms", finding_id, "acknowledge", note=NOTE) == "已完成"
    assert _act(w, "alarms", finding_id, "handle", action="referred_for_treatment") == "已完成"
    with session_scope() as s:
        stored = s.get(Finding, finding_id)
        assert stored is not None and stored.status == AlarmStatus.HANDLED
    page = w.client.get(f"/patients/{w.patient_id}").text
    assert "已处置" in page and NOTE in page and "已转诊救治" in page
    login(w.client, "xinping-coordinator")
    token = csrf(w.client.get("/").text)
    refused = w.client.post(f"/alarms/{finding_id}/actions/dismiss", data={"csrf": token, "note": "x"})
    assert refused.status_code == 403
    _no_note_in_prefect(w, [NOTE])


def _no_note_in_prefect(w: World, texts: list[str]) -> None:
    """What the runs carried: ids and the note's reference, never its text (also as the Prefect API stored it)."""
    from prefect.client.orchestration import get_client

    async def stored() -> list[str]:
        async with get_client() as client:
            return [str(r.parameters) for r in await client.read_flow_runs(limit=200)]

    carried = [str(params) for _, params, _ in w.runner.runs] + asyncio.run(stored())
    assert carried and not [t for t in texts if any(t in c for c in carried)]
