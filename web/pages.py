"""Find, the case list, a patient's page (timeline, the ID number on request, audited) and its actions."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from config.logging import get_logger
from models.care import Hospital
from models.clinical import Case
from models.console import ConsoleAudit
from models.people import Patient
from tasks.infra.db import session_scope
from web import actions, lookup, timeline
from web.app import DbDep, FormDep, UserDep, render
from web.security import User

log = get_logger(__name__)


def _int(value: str, default: int) -> int:
    return int(value) if value.isdigit() and len(value) < 10 else default


def _patient(s: Session, user: User, patient_id: int) -> Patient:
    try:
        return lookup.patient_in_scope(s, user, patient_id)
    except lookup.OutsideScope:
        raise HTTPException(403, "该患者不在您的地区范围内，无权查看或操作") from None
    except LookupError:
        raise HTTPException(404, "没有这个患者") from None


def _case(s: Session, user: User, case_id: int) -> Case:
    case = s.get(Case, case_id)
    if case is None:
        raise HTTPException(404, "没有这个病例")
    _patient(s, user, case.patient_id)
    return case


def register(app: FastAPI) -> None:
    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request, user: UserDep, s: DbDep) -> Response:
        q = request.query_params
        f = lookup.CaseFilter(
            state=q.get("state", ""), category=q.get("category", ""),
            hospital_id=_int(q.get("hospital", ""), 0) or None, open_findings=q.get("findings") == "1",
            page=_int(q.get("page", ""), 1),
        )  # fmt: skip
        rows, total = lookup.list_cases(s, user, f)
        pages = max(1, -(-total // lookup.PAGE))
        return render(
            request, "home.html", user, rows=rows, total=total, f=f, pages=pages,
            hospitals=lookup.hospitals_for(s, user), kinds=lookup.KINDS,
        )  # fmt: skip

    @app.post("/find", response_class=HTMLResponse)
    async def find(request: Request, form: FormDep, user: UserDep) -> Response:
        kind = form.get("kind", "")
        with session_scope() as s:
            found = lookup.find(s, user, kind, form.get("q", ""))
            if len(found.patients) == 1:
                return RedirectResponse(f"/patients/{found.patients[0].id}", status_code=303)
            status = 403 if "无权" in found.message else 200
            return render(request, "found.html", user, status=status, found=found, kinds=lookup.KINDS, kind=kind)

    @app.get("/patients/{patient_id}", response_class=HTMLResponse)
    async def patient(request: Request, patient_id: int, user: UserDep, s: DbDep) -> Response:
        page = timeline.patient_page(s, _patient(s, user, patient_id))
        return render(request, "patient.html", user, page=page, actions=actions.ACTIONS, today=actions.today())

    @app.post("/patients/{patient_id}/reveal", response_class=HTMLResponse)
    async def reveal(
        request: Request,
        patient_id: int,
        form: FormDep,
        user: UserDep,
    ) -> Response:
        with session_scope() as s:
            page = timeline.patient_page(s, _patient(s, user, patient_id))
            s.add(ConsoleAudit(actor_id=user.actor, action="reveal_national_id", patient_id=patient_id))
            log.info("console.national_id_shown", patient_id=patient_id, actor=user.actor)
            clear = timeline.clear_id(page.patient)
            return render(
                request, "patient.html", user, page=page, actions=actions.ACTIONS, today=actions.today(), clear_id=clear
            )

    @app.post("/cases/{case_id}/actions/{key}", response_class=HTMLResponse)
    async def act(
        request: Request,
        case_id: int,
        key: str,
        form: FormDep,
        user: UserDep,
    ) -> Response:
        action = actions.BY_KEY.get(key)
        if action is None:
            raise HTTPException(404, "没有这个操作")
        if not user.coordinator:
            raise HTTPException(403, "督导员只能查看，不能操作病例")
        with session_scope() as s:
            case = _case(s, user, case_id)
        try:
            params = actions.parameters(action, case_id, form, user.actor)
        except actions.BadField as exc:
            raise HTTPException(400, f"{action.label}：{exc}") from None
        try:
            run_id = await actions.start(request.app.state.runner, action, params)
        except Exception as exc:
            log.warning("console.run_not_started", case_id=case_id, action=key, error=type(exc).__name__)
            raise HTTPException(503, f"{action.label}未能启动：调度服务器不可用（{type(exc).__name__}）") from None
        log.info("console.run_started", case_id=case_id, action=key, actor=user.actor, run_id=run_id)
        return RedirectResponse(f"/runs/{run_id}?patient={case.patient_id}", status_code=303)

    @app.get("/runs/{run_id}", response_class=HTMLResponse)
    async def run(request: Request, run_id: str, user: UserDep) -> Response:
        state, params = await request.app.state.runner.state(run_id)
        if params.get("actor") != user.actor:
            raise HTTPException(403, "这不是您启动的运行")
        if "case_id" not in params:
            return render(request, "run.html", user, state=state, case=None)
        with session_scope() as s:
            case = _case(s, user, int(params["case_id"]))
            hospital = s.get(Hospital, case.hospital_id) if case.hospital_id else None
            return render(
                request, "run.html", user, state=state, case=case, hospital=hospital.code if hospital else None,
                patient_id=case.patient_id,
            )  # fmt: skip
