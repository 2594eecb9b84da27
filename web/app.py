"""The console's FastAPI app: sign-in, the signed session, CSRF on every form, then the pages (``web.pages``,
``web.upload``, ``web.dashboard``, ``web.alarms_page``, ``web.reports``). Server-rendered Jinja2; every asset is
in this package."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from tasks.infra.db import session_scope
from web import labels
from web.actions import Runner
from web.finding_text import finding_reason
from web.forms import read_form
from web.security import COOKIE, SESSION_SECONDS, User, csrf_ok, read_cookie, session_cookie, sign_in, user_of

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.filters.update(labels.FILTERS, finding_reason=finding_reason)
templates.env.globals["CHOICES"] = labels.CHOICES


class NeedLogin(Exception):
    """No valid session: the browser goes to the sign-in page."""


def db() -> Iterator[Session]:
    with session_scope() as s:
        yield s


def current_user(request: Request, s: Session = Depends(db)) -> User:  # noqa: B008
    session = read_cookie(request.cookies.get(COOKIE))
    user = user_of(s, session) if session else None
    if user is None:
        raise NeedLogin
    return user


async def checked_form(request: Request, user: User = Depends(current_user)) -> dict[str, str]:  # noqa: B008
    """The POSTed form, refused (403) unless it carries the session's CSRF token."""
    fields, upload = await read_form(request)
    if not csrf_ok({"csrf": user.csrf}, fields.get("csrf")):
        raise HTTPException(403, "表单已失效（CSRF 校验失败），请刷新页面后重试")
    request.state.upload = upload
    return fields


UserDep = Annotated[User, Depends(current_user)]
DbDep = Annotated[Session, Depends(db)]
FormDep = Annotated[dict[str, str], Depends(checked_form)]


def render(request: Request, name: str, user: User | None = None, status: int = 200, **context: Any) -> Response:
    return templates.TemplateResponse(request, name, {"user": user, **context}, status_code=status)


def create_app(runner: Runner | None = None, secure_cookie: bool = False) -> FastAPI:
    """``runner`` starts deployment runs (default: the Prefect API); tests pass a fake."""
    from web.prefect_runner import PrefectRunner

    app = FastAPI(title="大病专项救治 协调员工作台", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.runner = runner or PrefectRunner()
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.exception_handler(NeedLogin)
    async def _login(request: Request, exc: NeedLogin) -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(HTTPException)
    async def _refused(request: Request, exc: HTTPException) -> Response:
        """The refusal in one Chinese line, under the signed-in user's header (their menu and logout)."""
        session = read_cookie(request.cookies.get(COOKIE))
        with session_scope() as s:
            user = user_of(s, session) if session else None
        return render(request, "message.html", user, status=exc.status_code, message=str(exc.detail))

    @app.get("/login", response_class=HTMLResponse)
    async def login_page(request: Request) -> Response:
        return render(request, "login.html")

    @app.post("/login")
    async def login(request: Request) -> Response:
        fields, _ = await read_form(request)
        actor = fields.get("actor", "")
        with session_scope() as s:
            refused = sign_in(s, actor, fields.get("password", ""))
        if refused:
            return render(request, "login.html", status=401, error=refused, actor=actor[:60])
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            COOKIE, session_cookie(actor.strip()), max_age=SESSION_SECONDS, httponly=True, samesite="lax",
            secure=secure_cookie,
        )  # fmt: skip
        return response

    @app.post("/logout")
    async def logout(request: Request, form: FormDep) -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    from web import alarms_page, dashboard, pages, reports, upload

    pages.register(app)
    upload.register(app)
    dashboard.register(app)
    alarms_page.register(app)
    reports.register(app)
    return app
