"""The supervisor's dashboard: per county of the user's scope, this month's figures from the summary reports'
own query (``tasks.reports.summary.collect_summary``, reused for a while: ``tasks.reports.summary_cache``):
treatment rate by category over 12 months, the self-pay distribution against the 10% line, settlements; the
contract and follow-up rates with the 季通报's definitions (``tasks.reports.bulletin.collect_coverage``:
contracts in force on the day, follow-ups within its quarter); open and overdue alarms by kind
(``tasks.reports.open_alarms``), each a link to ``/alarms``. Charts are HTML bars (Chinese labels)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from config.catalogue import load_regions
from config.settings import get_settings
from models.bulletin import CountyFigures, period_bounds
from models.common import local_today
from models.findings import FindingKind
from models.summary import BINS, TARGET, SummaryData
from tasks.reports.open_alarms import KindCount
from tasks.reports.summary_cache import recent_alarms, recent_coverage, recent_summary
from web.app import DbDep, UserDep, render
from web.security import User


def counties(prefix: str) -> list[str]:
    return [r.code for r in load_regions().regions if r.code.startswith(prefix)]


def quarter_start(on: date) -> date:
    return period_bounds("quarterly", f"{on.year}Q{(on.month - 1) // 3 + 1}")[0]


def _view(data: SummaryData, coverage: CountyFigures | None, alarms: dict[FindingKind, KindCount]) -> dict[str, Any]:
    top = max(data.self_pay_bins) or 1
    bins = [
        {"label": f"{i * 100 // BINS}–{(i + 1) * 100 // BINS}%", "n": n, "width": round(100 * n / top),
         "over": i * 100 // BINS >= int(TARGET * 100)}
        for i, n in enumerate(data.self_pay_bins)
    ]  # fmt: skip
    rates = {
        cat: [(end, r) for end, r in zip(data.rate_ends, series, strict=True)] for cat, series in data.rates.items()
    }
    opened = sum(n for by_kind in data.alarms.values() for n in by_kind.values())
    open_alarms = [(kind, alarms[kind]) for kind in FindingKind if kind in alarms]
    return {"data": data, "bins": bins, "rates": rates, "opened": opened, "coverage": coverage,
            "open_alarms": open_alarms}  # fmt: skip


def summaries(s: Session, user: User, on: date) -> list[tuple[str, dict[str, Any]]]:
    coverage = recent_coverage(s, quarter_start(on), on, user.region_prefix)
    alarms = recent_alarms(s, user.region_prefix, local_today(get_settings().timezone))
    return [
        (code, _view(recent_summary(s, "monthly", on, code)[0], coverage.get(code), alarms.get(code, {})))
        for code in counties(user.region_prefix)
    ]


def register(app: FastAPI) -> None:
    @app.get("/dashboard", response_class=HTMLResponse)
    async def dashboard(request: Request, user: UserDep, s: DbDep) -> Response:
        on_text = request.query_params.get("on", "")
        try:
            on = date.fromisoformat(on_text) if on_text else local_today(get_settings().timezone)
        except ValueError:
            on = local_today(get_settings().timezone)
        return render(
            request, "dashboard.html", user, on=on, counties=summaries(s, user, on), target=TARGET,
            quarter_start=quarter_start(on),
        )  # fmt: skip
