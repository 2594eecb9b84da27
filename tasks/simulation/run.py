"""``simulate_policies``: re-settle every stored stay of a period under each proposal (writing no settlement),
and write the report (Chinese markdown), the per-patient differences (XLSX) and the charts."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel

from config.nightly import load_nightly_rules
from config.policies import load_policies, load_policy_file
from models.enums import PovertyStatus
from models.ledger_rows import Cell
from models.nightly import PovertyAlarmRules, year_limit
from models.settlement.policy import LAYER_ORDER, Policy
from models.simulation.core import AlarmLimit, Tally, alarm_changes
from models.simulation.report import tally_lines
from tasks.infra.db import get_engine
from tasks.reports.spreadsheets import write_xlsx
from tasks.simulation.charts import draw
from tasks.simulation.work import Scenarios, Tallies, simulate_stays


class SimulationRequest(BaseModel):
    proposals: list[Path]
    region: str | None = None
    start: date
    end: date
    workers: int = 1
    out: Path = Path("var/simulations")


class SimulationOutcome(BaseModel):
    fingerprint: str
    stays: int
    report: Path
    workbook: Path
    #: proposal → overall figures (layer or 个人自付 → "today → proposed (difference)") for the artifact
    overall: dict[str, dict[str, str]]


def _limit(rules: PovertyAlarmRules) -> AlarmLimit:
    """The household-year alarm limit of the nightly rules (the lowest rule covering the status)."""

    def limit(region: str, status: PovertyStatus, year: int) -> Decimal | None:
        found = [
            v for r in rules.household_year if status in r.statuses
            if (v := year_limit(r, rules, region, year)) is not None
        ]  # fmt: skip
        return min(found, default=None)

    return limit


def _fingerprint(paths: list[Path], in_force: list[Policy], tallies: Tallies) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.read_bytes())
    for policy in in_force:
        h.update(policy.model_dump_json().encode())
    for name in sorted(tallies):
        for region in sorted(tallies[name]):
            t = tallies[name][region]
            h.update(f"{name}/{region}/{t.stays}/{t.today.patient_pays}/{sorted(t.today.layers.items())}".encode())
    return h.hexdigest()


def _overall(tallies: dict[str, Tally]) -> Tally:
    whole = Tally()
    for t in tallies.values():
        whole.merge(t)
    return whole


def _markdown(
    req: SimulationRequest, proposals: dict[str, Policy], tallies: Tallies, wholes: dict[str, Tally], fp: str
) -> list[str]:
    limit = _limit(load_nightly_rules().poverty_alarm)
    lines = [
        "# 政策测算报告", "",
        f"期间 {req.start.isoformat()} 至 {req.end.isoformat()};范围 {req.region or '全部地区'};"
        f"按服务日期顺序重新结算已结算的每一笔(每位患者各自的年度台账),不写入任何结算。",
        f"输入指纹 {fp[:16]}(政策文件、现行政策与已结算数据的摘要:相同输入得相同报告)。", "",
    ]  # fmt: skip
    for name, policy in proposals.items():
        per_region = tallies.get(name, {})
        lines += [f"## 方案 {name}:{policy.name}", ""]
        lines += tally_lines("合计", wholes[name], alarm_changes(wholes[name], limit))
        for region in sorted(r for r in per_region if r):  # "" holds only the stays that could not be priced
            lines += tally_lines(f"地区 {region}", per_region[region], alarm_changes(per_region[region], limit))
    return lines


def _patient_rows(name: str, per_region: dict[str, Tally]) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for region in sorted(per_region):
        for pid, (was, now) in sorted(per_region[region].patients.items()):
            rows.append([name, region, pid, was, now, now - was])
    return rows


@task(cache_policy=NO_CACHE)
def simulate_policies(req: SimulationRequest) -> SimulationOutcome:
    """Read the period's settled stays once, re-settle them under every proposal, write report and workbook."""
    proposals = {p.stem: load_policy_file(p) for p in req.proposals}
    registry = load_policies()
    year_start = date(req.start.year, 1, 1)  # the year's earlier stays rebuild the annual ledgers
    url = get_engine().url.render_as_string(hide_password=False)  # to the workers only, never logged
    tallies = simulate_stays(
        Scenarios(registry, proposals, req.start), url, req.region, year_start, req.end, req.workers
    )
    fp = _fingerprint(req.proposals, registry.policies, tallies)
    folder = req.out / fp[:12]
    folder.mkdir(parents=True, exist_ok=True)
    wholes = {name: _overall(tallies.get(name, {})) for name in proposals}  # each proposal's overall, once
    charts = draw(folder, wholes)
    report = folder / "report.md"
    text = "\n".join(_markdown(req, proposals, tallies, wholes, fp)) + "\n"
    report.write_text(text + "\n" + "\n".join(f"![{c.stem}]({c.name})" for c in charts) + "\n", encoding="utf-8")
    workbook = folder / "patients.xlsx"
    header = ["方案", "地区", "患者编号", "现行自付(元)", "测算自付(元)", "差额(元)"]
    fmts = {3: "#,##0.00", 4: "#,##0.00", 5: "#,##0.00"}
    write_xlsx(workbook, [(name[:31], header, fmts, _patient_rows(name, tallies.get(name, {}))) for name in proposals])
    overall = {}
    for name, whole in wholes.items():
        today, proposed = whole.today.layers, whole.proposed.layers
        figures: dict[str, str] = {  # in payer order; a layer the proposal removes reads "… → 0.00"
            k: f"{today.get(k, Decimal(0)):.2f} → {proposed.get(k, Decimal(0)):.2f}"
            for k in (layer.value for layer in LAYER_ORDER) if k in proposed or k in today
        }  # fmt: skip
        figures["patient_pays"] = f"{whole.today.patient_pays:.2f} → {whole.proposed.patient_pays:.2f}"
        overall[name] = figures
    stays = max((whole.stays for whole in wholes.values()), default=0)
    return SimulationOutcome(fingerprint=fp, stays=stays, report=report, workbook=workbook, overall=overall)
