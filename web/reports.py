"""报表下载: the ledger (台账, XLSX or CSV) of a county of the user's scope, and the 季通报 / 年考核 (XLSX) of
their whole scope. Generated in the web process from the app database with the report tasks' own functions
(``tasks.reports.export.export_files``, ``tasks.reports.bulletin.collect_bulletin`` + ``write_bulletin_files``;
no Prefect run: they only read), written to a temporary folder, streamed, then deleted. Nothing logged here;
the export's own log line holds counts and the region code only."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.background import BackgroundTask

from config.settings import get_settings
from models.bulletin import TITLES, BadPeriod, BulletinKind, period_bounds, previous_period
from models.common import local_today
from tasks.infra.db import session_scope
from tasks.reports.bulletin import collect_bulletin, write_bulletin_files
from tasks.reports.export import LedgerFilter, export_files
from web import labels
from web.alarms_page import checked_county
from web.app import UserDep, render
from web.dashboard import counties

MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def disposition(ascii_name: str, chinese_name: str) -> str:
    """``attachment`` with an ASCII fallback name and the UTF-8 Chinese one (RFC 6266 / 5987)."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(chinese_name, safe='')}"


def _send(path: Path, folder: str, ascii_name: str, chinese_name: str, fmt: str) -> Response:
    return FileResponse(
        path, media_type=MEDIA[fmt], headers={"Content-Disposition": disposition(ascii_name, chinese_name)},
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )  # fmt: skip


def _date(text: str, what: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HTTPException(400, f"{what}格式应为 YYYY-MM-DD") from None


def ledger_file(county: str, fmt: Literal["xlsx", "csv"], lo: date | None, hi: date | None) -> Response:
    flt = LedgerFilter(region_code=county, date_from=lo, date_to=hi)
    folder = tempfile.mkdtemp(prefix="dabing-ledger-")
    try:
        result = export_files(flt, Path(folder), [fmt])
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    span = "" if not (lo or hi) else f"-{lo or ''}至{hi or ''}"
    chinese = f"救治台账-{labels.region_name(county)}{span}.{fmt}"
    return _send(Path(result.files[0]), folder, f"ledger-{flt.slug()}.{fmt}", chinese, fmt)


def bulletin_file(prefix: str, kind: BulletinKind, period: str) -> Response:
    try:
        lo, hi = period_bounds(kind, period)
    except BadPeriod:
        raise HTTPException(400, "期间格式应为 2026Q3（季通报）或 2026（年考核）") from None
    period = period.strip().upper()
    with session_scope() as s:
        data = collect_bulletin(s, kind, period, lo, hi, prefix)
    folder = tempfile.mkdtemp(prefix="dabing-bulletin-")
    try:
        written = write_bulletin_files(data, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    xlsx = Path(next(f for f in written.files if f.endswith(".xlsx")))
    chinese = f"{TITLES[kind]}-{period}-{labels.scope_name(prefix).replace(' ', '')}.xlsx"
    return _send(xlsx, folder, f"{kind}-{period}-{prefix or 'all'}.xlsx", chinese, "xlsx")


def register(app: FastAPI) -> None:
    @app.get("/reports", response_class=HTMLResponse)
    async def reports(request: Request, user: UserDep) -> Response:
        today = local_today(get_settings().timezone)
        return render(
            request, "reports.html", user, counties=counties(user.region_prefix),
            scope=labels.scope_name(user.region_prefix),
            quarter=previous_period("quarterly", today), year=previous_period("annual", today),
        )  # fmt: skip

    @app.get("/reports/ledger.{fmt}")
    def ledger(request: Request, fmt: str, user: UserDep) -> Response:
        if fmt not in MEDIA:
            raise HTTPException(404, "没有这种文件格式")
        q = request.query_params
        county = checked_county(user, q.get("county", ""))
        if not county:
            raise HTTPException(400, "请选择一个县（区）")
        lo, hi = _date(q.get("from", ""), "起始日期"), _date(q.get("to", ""), "截止日期")
        return ledger_file(county, "xlsx" if fmt == "xlsx" else "csv", lo, hi)

    @app.get("/reports/{kind}.xlsx")
    def bulletin(request: Request, kind: str, user: UserDep) -> Response:
        if kind not in TITLES:
            raise HTTPException(404, "没有这种报表")
        period = request.query_params.get("period", "")
        return bulletin_file(user.region_prefix, "quarterly" if kind == "quarterly" else "annual", period)
