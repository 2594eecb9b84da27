"""The dashboard's drill-down: the open (or only the overdue) alarms of one county and kind, paged, with the
patient, case, kind, night opened and status in Chinese. Scope-checked: a coordinator sees their county, a
supervisor the counties of their prefix (403 otherwise)."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from config.settings import get_settings
from models.common import local_today
from models.findings import FindingKind
from tasks.reports.open_alarms import list_open, open_where
from web.app import DbDep, UserDep, render
from web.security import User

PAGE = 50


def checked_county(user: User, county: str) -> str:
    """A county of the user's scope ('' = all of it); 400 for a malformed code, 403 outside the scope."""
    if county and not (len(county) == 6 and county.isascii() and county.isdigit()):
        raise HTTPException(400, "地区编码应为6位数字")
    if county and not user.covers(county):
        raise HTTPException(403, "该地区不在您的范围内，无权查看")
    return county


def _kind(text: str) -> FindingKind | None:
    if not text:
        return None
    try:
        return FindingKind(text)
    except ValueError:
        raise HTTPException(400, "没有这种预警类型") from None


def register(app: FastAPI) -> None:
    @app.get("/alarms", response_class=HTMLResponse)
    async def alarms(request: Request, user: UserDep, s: DbDep) -> Response:
        q = request.query_params
        county = checked_county(user, q.get("county", ""))
        kind, overdue = _kind(q.get("kind", "")), q.get("overdue") == "1"
        page_text = q.get("page", "")
        page = int(page_text) if page_text.isdigit() and len(page_text) < 7 else 1
        today = local_today(get_settings().timezone)
        where = open_where(user.region_prefix, today, county, kind, overdue)
        rows, total = list_open(s, where, today, page, PAGE)
        pages = max(1, -(-total // PAGE))
        qs = f"county={county}&kind={kind.value if kind else ''}" + ("&overdue=1" if overdue else "")
        return render(
            request, "alarms.html", user, rows=rows, total=total, page=max(page, 1), pages=pages, qs=qs,
            county=county, kind=kind, overdue=overdue, kinds=list(FindingKind),
        )  # fmt: skip
