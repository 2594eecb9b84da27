"""The supervisor's dashboard: per county of the user's scope, this month's figures from the summary reports'
own query (``tasks.reports.summary.collect_summary``, reused: ``tasks.reports.summary_cache``):
treatment rate by category over 12 months, the self-pay distribution against the 10% line, settlements,
findings by kind. Charts are HTML bars (Chinese labels)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from config.catalogue import load_regions
from config.settings import get_settings
from models.common import local_today
from models.summary import BINS, TARGET, SummaryData
from tasks.reports.summary_cache import recent_summary
from web.app import DbDep, UserDep, render
from web.security import User


def counties(prefix: str) -> list[str]:
    return [r.code for r in load_regions().regions if r.code.startswith(prefix)]


def _view(data: SummaryData) -> dict[str, Any]:
    top = max(data.self_pay_bins) or 1
    bins = [
        {"label": f"{i * 100 // BINS}–{(i + 1) * 100 // BINS}%", "n": n, "width": round(100 * n / top),
         "over": i * 100 // BINS >= int(TARGET * 100)}
        for i, n in enumerate(data.self_pay_bins)
    ]  # fmt: skip
    rates = {
        cat: [(end, r) for end, r in zip(data.rate_ends, series, strict=True)] for cat, series in data.rates.items()
    }
    alarms: dict[str, int] = {}
    for by_kind in data.alarms.values():
        for kind, n in by_kind.items():
            alarms[kind] = alarms.get(kind, 0) + n
    return {"data": data, "bins": bins, "rates": rates, "alarms": alarms}


def summaries(s: Session, user: User, on: date) -> list[tuple[str, dict[str, Any]]]:
    return [(code, _view(recent_summary(s, "monthly", on, code)[0])) for code in counties(user.region_prefix)]


def register(app: FastAPI) -> None:
    @app.get("/dashboard", response_class=HTMLResponse)
    async def dashboard(request: Request, user: UserDep, s: DbDep) -> Response:
        on_text = request.query_params.get("on", "")
        try:
            on = date.fromisoformat(on_text) if on_text else local_today(get_settings().timezone)
        except ValueError:
            on = local_today(get_settings().timezone)
        return render(request, "dashboard.html", user, on=on, counties=summaries(s, user, on), target=TARGET)
