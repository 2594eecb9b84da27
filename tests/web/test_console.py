"""The console through FastAPI's TestClient: sign-in, lock-out, CSRF, region scope, find by ID number, the
patient page, and an action starting its deployment with the signed-in user as actor."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from config.settings import get_settings
from models.actor_assertion import derive_key, verify
from models.console import ConsoleAudit, ConsoleNote
from tasks.infra.db import session_scope
from tests.web.conftest import PASSWORD, World, csrf, login, plant_alarm


def test_sign_in_sets_an_httponly_lax_cookie_and_logout_ends_it(world: World) -> None:
    assert world.client.get("/", follow_redirects=False).headers["location"] == "/login"
    response = login(world.client, "coordinator")
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    home = world.client.get("/")
    assert "病例列表" in home.text and "赫章县" in home.text
    world.client.post("/logout", data={"csrf": csrf(home.text)})
    assert world.client.get("/", follow_redirects=False).status_code == 303


def test_wrong_password_and_system_actor_are_refused(world: World) -> None:
    assert login(world.client, "coordinator", "wrong password").status_code == 401
    refused = login(world.client, "system", PASSWORD)
    assert refused.status_code == 401 and "用户名或密码不正确" in refused.text


def test_five_failures_lock_the_user_out_even_with_the_right_password(world: World) -> None:
    for _ in range(5):
        assert login(world.client, "coordinator", "nope nope").status_code == 401
    locked = login(world.client, "coordinator")
    assert locked.status_code == 401 and "锁定" in locked.text
    assert login(world.client, "xinping-coordinator").status_code == 303  # others are not affected


def test_a_form_without_the_sessions_csrf_token_is_refused(world: World) -> None:
    login(world.client, "coordinator")
    for token in ("", "forged"):
        refused = world.client.post("/find", data={"csrf": token, "kind": "national_id", "q": world.nid})
        assert refused.status_code == 403 and "CSRF" in refused.text
    refused = world.client.post(f"/cases/{world.case_id}/actions/admit", data={"admitted_on": "2026-11-30"})
    assert refused.status_code == 403 and world.runner.started == []


def test_find_by_id_number_opens_the_patients_page_with_the_number_masked(world: World) -> None:
    login(world.client, "coordinator")
    token = csrf(world.client.get("/").text)
    page = world.client.post("/find", data={"csrf": token, "kind": "national_id", "q": world.nid.lower()})
    assert page.url.path == f"/patients/{world.patient_id}"
    html = page.text
    assert "王五" in html and "赫章县" in html and "已筛查" in html and "建档立卡" in html
    assert world.nid not in html and world.nid[-4:] in html  # masked by default
    assert "2017-05-02" in html and "筛查" in html  # the timeline


def test_showing_the_number_is_audited(world: World) -> None:
    login(world.client, "coordinator")
    token = csrf(world.client.get("/").text)
    shown = world.client.post(f"/patients/{world.patient_id}/reveal", data={"csrf": token})
    assert world.nid in shown.text
    with session_scope() as s:
        audits = s.execute(select(func.count()).select_from(ConsoleAudit)).scalar_one()
    assert audits == 1


def test_a_coordinator_of_another_county_is_refused_the_patient(world: World) -> None:
    login(world.client, "xinping-coordinator")
    token = csrf(world.client.get("/").text)
    found = world.client.post("/find", data={"csrf": token, "kind": "national_id", "q": world.nid})
    assert found.status_code == 403 and "不在您的地区范围内" in found.text and "王五" not in found.text
    refused_page = world.client.get(f"/patients/{world.patient_id}")
    assert refused_page.status_code == 403 and "退出登录" in refused_page.text  # under the user's own header
    acted = world.client.post(
        f"/cases/{world.case_id}/actions/confirm", data={"csrf": token, "confirmed_on": "2026-11-30"}
    )
    assert acted.status_code == 403 and world.runner.started == []


def test_a_supervisor_reads_across_the_prefecture_but_does_not_act(world: World) -> None:
    login(world.client, "bijie-supervisor")
    assert world.client.get(f"/patients/{world.patient_id}").status_code == 200
    token = csrf(world.client.get("/").text)
    acted = world.client.post(
        f"/cases/{world.case_id}/actions/confirm", data={"csrf": token, "confirmed_on": "2026-11-30"}
    )
    assert acted.status_code == 403 and world.runner.started == []


def test_an_action_starts_its_deployment_as_the_signed_in_user_with_a_valid_assertion(world: World) -> None:
    login(world.client, "coordinator")
    token = csrf(world.client.get(f"/patients/{world.patient_id}").text)
    form = {"csrf": token, "confirmed_on": "2026-11-30", "icd10": "", "actor": "bijie-supervisor"}
    result = world.client.post(f"/cases/{world.case_id}/actions/confirm", data=form)
    deployment, params, name, tags = world.runner.started[0]
    assert (deployment, name) == ("confirm-diagnosis/confirm", f"confirm-case-{world.case_id}")
    assert params == {"case_id": world.case_id, "confirmed_on": "2026-11-30", "icd10": "", "actor": "coordinator"}
    key = derive_key(get_settings().identity_key.get_secret_value(), b"actor-assertion")
    verify(key, tags, "coordinator", deployment, params, time.time())  # the flow's check passes
    assert "已完成" in result.text and "已筛查" in result.text  # the run page, case state from the database


def test_a_bad_date_is_one_chinese_line_and_starts_nothing(world: World) -> None:
    login(world.client, "coordinator")
    token = csrf(world.client.get("/").text)
    form = {"csrf": token, "confirmed_on": "2026-13-01"}
    refused = world.client.post(f"/cases/{world.case_id}/actions/confirm", data=form)
    assert refused.status_code == 400 and "确诊日期：日期格式应为 YYYY-MM-DD" in refused.text
    assert world.runner.started == []


def test_an_action_not_offered_in_the_cases_state_is_refused(world: World) -> None:
    login(world.client, "coordinator")
    token = csrf(world.client.get("/").text)
    form = {"csrf": token, "discharged_on": "2026-11-30", "total_cost": "100.00"}
    refused = world.client.post(f"/cases/{world.case_id}/actions/discharge", data=form)  # the case is screened
    assert refused.status_code == 409 and "当前状态不能进行此操作" in refused.text and world.runner.started == []


def test_a_typed_note_is_stored_in_the_app_database_and_the_run_carries_its_id_only(world: World) -> None:
    login(world.client, "coordinator")
    token = csrf(world.client.get("/").text)
    note = "家属电话告知，已在外省治疗"
    form = {"csrf": token, "why": "refused", "reason": note}
    world.client.post(f"/cases/{world.case_id}/actions/close", data=form)
    deployment, params, name, _ = world.runner.started[0]
    with session_scope() as s:
        (stored,) = s.execute(select(ConsoleNote)).scalars()
    assert (deployment, name) == ("close-case/close", f"close-case-{world.case_id}")
    assert params == {"case_id": world.case_id, "why": "refused", "closed_on": None,  # left empty: today
                      "reason": f"console-note:{stored.id}", "actor": "coordinator"}  # fmt: skip
    assert (stored.text, stored.actor_id, stored.patient_id) == (note, "coordinator", world.patient_id)


def test_a_patients_action_is_scoped_to_the_users_county(world: World) -> None:
    login(world.client, "xinping-coordinator")
    token = csrf(world.client.get("/").text)
    form = {"csrf": token, "poverty_status": "general", "effective_from": "2026-11-01", "reason": "核实"}
    refused = world.client.post(f"/patients/{world.patient_id}/actions/status", data=form)
    assert refused.status_code == 403 and world.runner.started == []
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(ConsoleNote)).scalar_one() == 0


def test_the_case_list_filtered_by_open_alarms_leaves_out_handled_and_cleared_ones(world: World) -> None:
    from models.findings import Finding

    plant_alarm(world)
    login(world.client, "coordinator")
    listed = world.client.get("/?findings=1").text
    assert f"/patients/{world.patient_id}" in listed
    with session_scope() as s:
        stored = s.execute(select(Finding)).scalars().one()
        stored.status = "handled"
        s.add(stored)
    assert f"/patients/{world.patient_id}" not in world.client.get("/?findings=1").text


def test_a_households_alarm_shows_on_a_members_page_and_is_acted_on_in_scope(world: World) -> None:
    from models.people import Patient

    with session_scope() as s:
        patient = s.get(Patient, world.patient_id)
        assert patient is not None
        household = patient.household_id
    finding_id = plant_alarm(world, "poverty_alarm", household, "year: 9000.00 > 8000.00")
    login(world.client, "xinping-coordinator")
    token = csrf(world.client.get("/").text)
    refused = world.client.post(f"/alarms/{finding_id}/actions/acknowledge", data={"csrf": token, "note": "看过"})
    assert refused.status_code == 403 and world.runner.started == []
    login(world.client, "coordinator")
    page = world.client.get(f"/patients/{world.patient_id}").text
    assert "防返贫预警" in page and f'action="/alarms/{finding_id}/actions/acknowledge"' in page
    world.client.post(f"/alarms/{finding_id}/actions/acknowledge", data={"csrf": csrf(page), "note": "入户核实"})
    deployment, params, name, _ = world.runner.started[0]
    assert (deployment, name, params["finding_id"], params["step"]) == (
        "alarm-step/alarm",
        f"acknowledge-alarm-{finding_id}",
        finding_id,
        "acknowledge",
    )
    assert params["note"].startswith("console-note:")
