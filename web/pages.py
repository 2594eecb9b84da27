"""Find, the case list, a patient's page (timeline, the ID number on request, audited) and its actions."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlmodel import Session, col

from config.logging import get_logger
from models.care import Hospital, Referral
from models.clinical import Case
from models.console import ConsoleAudit, ConsoleNote
from models.findings import Finding
from models.people import Patient
from tasks.infra.db import session_scope
from web import action_input, actions, labels, lookup, timeline
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


_FOLDERS = {sub.value for sub in actions.Subject}


def _subject(s: Session, user: User, subject: actions.Subject, subject_id: int) -> tuple[int, str]:
    """(patient id, state) of an action's subject, refused (403/404) outside the user's region."""
    if subject is actions.Subject.PATIENT:
        return int(_patient(s, user, subject_id).id or 0), ""
    if subject is actions.Subject.CASE:
        case = _case(s, user, subject_id)
        return case.patient_id, case.state
    if subject is actions.Subject.REFERRAL:
        referral = s.get(Referral, subject_id)
        if referral is None:
            raise HTTPException(404, "没有这个转诊")
        return _case(s, user, referral.case_id).patient_id, referral.status
    finding = s.get(Finding, subject_id)
    member = finding.patient_id if finding else None
    if finding is not None and member is None and finding.household_id is not None:  # a household's alarm
        first = select(func.min(col(Patient.id))).where(col(Patient.household_id) == finding.household_id)
        member = s.execute(first).scalar()
    if finding is None or member is None:
        raise HTTPException(404, "没有这个预警")
    return int(_patient(s, user, member).id or 0), finding.status


def _case_of(s: Session, subject: actions.Subject, subject_id: int) -> Case | None:
    """The case a finished run's page reports on (none for a patient's or a household's step)."""
    if subject is actions.Subject.CASE:
        return s.get(Case, subject_id)
    if subject is actions.Subject.REFERRAL:
        referral = s.get(Referral, subject_id)
        return s.get(Case, referral.case_id) if referral else None
    if subject is actions.Subject.ALARM:
        finding = s.get(Finding, subject_id)
        return s.get(Case, finding.case_id) if finding and finding.case_id else None
    return None


def _page_actions(s: Session, user: User) -> dict[str, Any]:
    """The patient page's forms: the actions by subject, the hospitals a referral may name, today."""
    by = {sub: [a for a in actions.ACTIONS if a.subject is sub] for sub in actions.Subject}
    hospitals = [(code, labels.hospital_name(code)) for _, code in lookup.hospitals_for(s, user)]
    return {
        "case_actions": by[actions.Subject.CASE], "patient_actions": by[actions.Subject.PATIENT],
        "referral_actions": by[actions.Subject.REFERRAL], "alarm_actions": by[actions.Subject.ALARM],
        "hospitals": hospitals, "today": actions.today(),
    }  # fmt: skip


def _store_note(s: Session, user: User, patient_id: int, text: str) -> int:
    note = ConsoleNote(actor_id=user.actor, patient_id=patient_id, text=text)
    s.add(note)
    s.flush()
    assert note.id is not None
    return note.id


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
        return render(request, "patient.html", user, page=page, **_page_actions(s, user))

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
            return render(request, "patient.html", user, page=page, clear_id=clear, **_page_actions(s, user))

    @app.post("/{folder}/{subject_id}/actions/{key}", response_class=HTMLResponse)
    async def act(request: Request, folder: str, subject_id: int, key: str, form: FormDep, user: UserDep) -> Response:
        action = actions.BY_KEY.get((actions.Subject(folder), key)) if folder in _FOLDERS else None
        if action is None:
            raise HTTPException(404, "没有这个操作")
        if not user.coordinator:
            raise HTTPException(403, "督导员只能查看，不能操作病例")
        with session_scope() as s:
            patient_id, state = _subject(s, user, action.subject, subject_id)
            if not action.offered(state):
                raise HTTPException(409, f"{action.label}：当前状态不能进行此操作")
            try:
                typed = action_input.read_action(action, subject_id, form, user.actor)
            except action_input.BadField as exc:
                raise HTTPException(400, f"{action.label}：{exc}") from None
            notes = {k: _store_note(s, user, patient_id, text) for k, text in typed.notes.items()}
        params = action_input.with_notes(typed, notes)
        try:
            run_id = await actions.start(request.app.state.runner, action, params)
        except Exception as exc:
            log.warning("console.run_not_started", subject=folder, subject_id=subject_id, action=key,
                        error=type(exc).__name__)  # fmt: skip
            raise HTTPException(503, f"{action.label}未能启动：调度服务器不可用（{type(exc).__name__}）") from None
        log.info("console.run_started", subject=folder, subject_id=subject_id, action=key, actor=user.actor,
                 run_id=run_id)  # fmt: skip
        return RedirectResponse(f"/runs/{run_id}", status_code=303)

    @app.get("/runs/{run_id}", response_class=HTMLResponse)
    async def run(request: Request, run_id: str, user: UserDep) -> Response:
        state, params = await request.app.state.runner.state(run_id)
        if params.get("actor") != user.actor:
            raise HTTPException(403, "这不是您启动的运行")
        subject = next((sub for sub in actions.Subject if sub.parameter in params), None)
        if subject is None:
            return render(request, "run.html", user, state=state, case=None, patient_id=None)
        with session_scope() as s:
            patient_id, _ = _subject(s, user, subject, int(params[subject.parameter]))
            case = _case_of(s, subject, int(params[subject.parameter]))
            hospital = s.get(Hospital, case.hospital_id) if case and case.hospital_id else None
            return render(
                request, "run.html", user, state=state, case=case, hospital=hospital.code if hospital else None,
                patient_id=patient_id,
            )  # fmt: skip
