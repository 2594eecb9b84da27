"""The supervisor's dashboard, its alarm drill-down and the report downloads, on the console's test world plus
a few more people: the contract and follow-up rates counted by hand below, planted alarms (open, overdue,
handled, cleared, another county's), the region scope (403), and files openpyxl reads with Chinese headers."""

from __future__ import annotations

import csv
import io
import re
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from config.settings import get_settings
from models.alarms import AlarmStatus
from models.clinical import Case
from models.common import local_today
from models.enums import FollowUpOutcome
from models.findings import Finding, FindingKind, NightlyRun
from models.ledger_rows import LEDGER_COLUMNS
from tasks.infra.db import session_scope
from tasks.pathway.contracts import sign_contract
from tasks.pathway.steps import confirm_case, follow_up_case, triage_case
from tests.flows.helpers import NAME, import_one_patient
from tests.web.conftest import World, login

D = date.fromisoformat


def _patient_of(case_id: int) -> int:
    with session_scope() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case.patient_id


def _rates_world(world: World, tmp_path: Path) -> int:
    """赫章县: 3 people screened (2017-05-02), 2 of them with a long-term case confirmed (the ledger's patients), 1
    contract in force on 2017-09-30 → 签约率 50.0%; 1 of the 2 cases followed up in 2017Q3 → 随访率 50.0%. 新平县: 1
    screened, no case → — for both."""
    third, _ = import_one_patient(tmp_path, "I10", region_code="520527", sequence=11)
    import_one_patient(tmp_path, "I10", region_code="520527", sequence=12)  # screened only: not a special case
    for case_id in (world.case_id, third):
        confirm_case.fn(case_id, D("2017-05-10"), "", "coordinator")
        triage_case.fn(case_id, D("2017-05-10"), "coordinator")
    follow_up_case.fn(world.case_id, D("2017-08-01"), FollowUpOutcome.STABLE, "coordinator")
    follow_up_case.fn(third, D("2017-06-20"), FollowUpOutcome.STABLE, "coordinator")  # before the quarter: not counted
    sign_contract.fn(world.patient_id, "团队一", None, D("2017-06-01"), 1, "coordinator", "入户签约")
    sign_contract.fn(_patient_of(third), "团队一", None, D("2016-01-01"), 1, "coordinator", "入户签约")  # expired
    return third


def test_contract_and_follow_up_rates_are_the_bulletins(world: World, tmp_path: Path) -> None:
    _rates_world(world, tmp_path)
    login(world.client, "coordinator")
    html = world.client.get("/dashboard?on=2017-09-30").text
    assert "家庭医生签约率" in html and "随访率" in html
    assert re.search(r"家庭医生签约率</dt><dd class=\"num\">50\.0%", html)
    assert "在册大病患者 2 人，签约在有效期内 1 人" in html
    assert re.search(r"随访率</dt><dd class=\"num\">50\.0%", html)
    assert "2017-07-01 至 2017-09-30" in html and "慢病维持/长期管理 2 例，已随访 1 例" in html
    login(world.client, "xinping-coordinator")
    other = world.client.get("/dashboard?on=2017-09-30").text
    assert re.search(r"家庭医生签约率</dt><dd class=\"num\">—", other)
    assert re.search(r"随访率</dt><dd class=\"num\">—", other) and "赫章县" not in other


def _plant(s: Session, today: date, world: World) -> dict[str, int]:
    run = NightlyRun(night=today - timedelta(days=1), scope="*")
    s.add(run)
    s.flush()
    old = today - timedelta(days=30)  # past the 15-day escalation limit

    def add(name: str, kind: FindingKind, night: date, region: str = "520527", **extra: Any) -> None:
        f = Finding(run_id=run.id or 0, night=night, kind=kind, subject=f"case:{name}", reason="t",
                    region_code=region, patient_id=world.patient_id, case_id=world.case_id, **extra)  # fmt: skip
        s.add(f)
        s.flush()
        ids[name] = f.id or 0

    ids: dict[str, int] = {}
    add("late", FindingKind.UNTREATED, old)
    add("fresh", FindingKind.UNTREATED, today - timedelta(days=1), status=AlarmStatus.ACKNOWLEDGED)
    add("handled", FindingKind.UNTREATED, old, status=AlarmStatus.HANDLED)
    add("cleared", FindingKind.UNTREATED, old, cleared_on=today - timedelta(days=2))
    add("raised", FindingKind.OVERDUE_FOLLOW_UP, today - timedelta(days=3), escalated_on=today - timedelta(days=1))
    add("xinping", FindingKind.UNTREATED, old, region="530427")
    return ids


def _listed(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'data-alarm="(\d+)"', html)}


def test_open_and_overdue_alarms_drill_down_to_exactly_the_planted_ones(world: World) -> None:
    with session_scope() as s:
        ids = _plant(s, local_today(get_settings().timezone), world)
    login(world.client, "bijie-supervisor")
    html = world.client.get("/dashboard").text
    late_link = "/alarms?county=520527&kind=untreated&overdue=1"
    assert '<a href="/alarms?county=520527&kind=untreated">2</a>' in html
    assert f'<a class="late" href="{late_link}">1</a>' in html
    assert '<a class="late" href="/alarms?county=520527&kind=overdue_follow_up&overdue=1">1</a>' in html
    assert "确诊未救治" in html and "随访逾期" in html
    overdue = world.client.get("/alarms?county=520527&kind=untreated&overdue=1")
    assert overdue.status_code == 200 and _listed(overdue.text) == {ids["late"]}
    assert f'href="/patients/{world.patient_id}"' in overdue.text and "确诊未救治" in overdue.text
    assert "预警" in overdue.text and "逾期" in overdue.text
    pending = world.client.get("/alarms?county=520527&kind=untreated").text
    assert _listed(pending) == {ids["late"], ids["fresh"]} and "已核实" in pending
    everything = world.client.get("/alarms").text
    assert _listed(everything) == {ids["late"], ids["fresh"], ids["raised"]}  # not 新平县's
    assert "已升级" in everything
    login(world.client, "xinping-coordinator")
    assert _listed(world.client.get("/alarms").text) == {ids["xinping"]}


@pytest.mark.parametrize(
    ("actor", "path"),
    [
        ("xinping-coordinator", "/alarms?county=520527"),
        ("xinping-coordinator", "/alarms?county=520527&kind=untreated&overdue=1"),
        ("xinping-coordinator", "/reports/ledger.xlsx?county=520527"),
        ("xinping-coordinator", "/reports/ledger.csv?county=520527"),
        ("coordinator", "/alarms?county=530427"),
        ("bijie-supervisor", "/reports/ledger.xlsx?county=530427"),
    ],
)
def test_a_county_outside_the_users_scope_is_refused(world: World, actor: str, path: str) -> None:
    login(world.client, actor)
    refused = world.client.get(path)
    assert refused.status_code == 403 and "无权" in refused.text
    assert "content-disposition" not in refused.headers


def _filename(response: object) -> tuple[str, str]:
    header = response.headers["content-disposition"]  # type: ignore[attr-defined]
    ascii_name = re.search(r'filename="([^"]+)"', header)
    utf8_name = re.search(r"filename\*=UTF-8''(\S+)", header)
    assert header.startswith("attachment;") and ascii_name and utf8_name and header.isascii()
    return ascii_name.group(1), unquote(utf8_name.group(1))


@pytest.fixture()
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_downloads_are_files_with_chinese_headers_deleted_after_sending(
    world: World, temp_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    third = _rates_world(world, tmp_path)
    login(world.client, "coordinator")
    page = world.client.get("/reports").text
    assert "报表下载" in page and "/reports/ledger.xlsx?county=520527" in page and "530427" not in page
    header = [zh for _, zh, _ in LEDGER_COLUMNS]

    xlsx = world.client.get("/reports/ledger.xlsx?county=520527")
    assert xlsx.status_code == 200 and _filename(xlsx) == ("ledger-520527.xlsx", "救治台账-赫章县.xlsx")
    book = load_workbook(io.BytesIO(xlsx.content), read_only=True)
    rows = list(book["台账"].iter_rows(values_only=True))
    assert list(rows[0]) == header and rows[-1][0] == "合计"
    assert [r[0] for r in rows[1:-1]] == [world.case_id, third]  # 赫章县's cases with a disease, not 新平县's

    text = world.client.get("/reports/ledger.csv?county=520527&from=2017-01-01&to=2017-12-31")
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/csv")
    assert _filename(text)[1] == "救治台账-赫章县-2017-01-01至2017-12-31.csv"
    lines = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
    assert lines[0] == header and [int(r[0]) for r in lines[1:]] == [world.case_id, third]

    for kind, period, title in (("quarterly", "2017q3", "季通报"), ("annual", "2017", "年考核")):
        got = world.client.get(f"/reports/{kind}.xlsx?period={period}")
        assert got.status_code == 200
        assert _filename(got) == (f"{kind}-{period.upper()}-520527.xlsx", f"{title}-{period.upper()}-赫章县.xlsx")
        sheet = load_workbook(io.BytesIO(got.content), read_only=True).worksheets[0]
        table = list(sheet.iter_rows(values_only=True))
        assert table[0][:3] == ("排名", "地区编码", "地区") and [r[1] for r in table[1:]] == ["520527"]
    quarter = load_workbook(io.BytesIO(world.client.get("/reports/quarterly.xlsx?period=2017Q3").content))
    row = next(quarter.worksheets[0].iter_rows(min_row=2, values_only=True))
    contract, follow_up = Decimal(str(row[6])), Decimal(str(row[7]))  # 签约率%, 随访率%: as on the dashboard
    assert (contract, follow_up) == (Decimal("50"), Decimal("50"))

    assert list(temp_dir.iterdir()) == []  # written to a temporary folder, deleted once sent
    out, err = capfd.readouterr()
    assert world.nid not in out + err and NAME not in out + err
    assert world.client.get("/reports/quarterly.xlsx?period=2017-3").status_code == 400
