"""The console against the real system (issue 20): `dabing up` as a subprocess — a local Prefect server, every
deployment served, the console beside them — driven by Chromium through a coordinator's day: upload a
screening file and import it, find the patient by ID number, confirm (triage), see the event-triggered referral's
hospital by name, admit, discharge with amounts and read the per-layer statement (结算单), upload a GBK file
with a bad row; then another county's coordinator is refused the patient's page and a POST on their case.
Afterwards no ID number or name may be found in any file of the Prefect server's home nor in `up`'s output.

Slow (`slow` marker): it starts a Prefect server and ten real flow runs, 2–5 minutes on a busy 2-core machine
(``-m "not slow"`` leaves it out). If `up` dies mid-way (a `pkill -f "dabing up"` elsewhere on the machine
reaches it too), the failure says so, with the end of its output. Skipped on the suite's PostgreSQL pass: the
app database here is its own SQLite file (the system's wiring is the same on either backend, and the flows on
PostgreSQL are what that pass tests already), so a second run would double the time and test nothing more."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from config.catalogue import load_hospitals
from models import national_id
from tests.conftest import BACKEND
from tests.web.browser import free_port, need_chromium, shot, zh_tab

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "correct horse 20"
NAME = "欧阳明华"
NID = national_id.make("520527", date(1958, 6, 7), 417)
BAD_ROWS = (("H902", national_id.make("520527", date(1961, 2, 3), 418), "司马青云", "2026-02-30"),)
START_SECONDS, RUN_SECONDS = 150, 90
LONG_TERM = "需要长期治疗和健康管理"  # hypertension (I10)


@dataclass
class System:
    """`dabing up` running (its console answers); ``serving()`` waits until its deployments are served too."""

    base: str
    home: Path  # the Prefect server's (DABING_PREFECT_HOME)
    log: Path  # everything `dabing up` and its runs printed
    up: subprocess.Popen[bytes]
    api: str  # the Prefect server's API

    def quiet(self, seconds: float = RUN_SECONDS) -> None:
        """Wait until no flow run is due or going on (the event-triggered ones after the last step included)."""
        due = {"flow_runs": {
            "state": {"type": {"any_": ["SCHEDULED", "PENDING", "RUNNING"]}},
            "expected_start_time": {"before_": datetime.now(UTC).isoformat()},
        }}  # fmt: skip
        request = urllib.request.Request(
            f"{self.api}/flow_runs/count", json.dumps(due).encode(), {"Content-Type": "application/json"}
        )
        calm = 0
        deadline = time.monotonic() + seconds
        while calm < 3:  # three looks a second apart: a trigger may be about to start a run
            assert time.monotonic() < deadline, f"runs still going on after {seconds} s"
            time.sleep(1)
            with urllib.request.urlopen(request, timeout=10) as resp:
                calm = calm + 1 if json.loads(resp.read()) == 0 else 0

    def serving(self) -> None:
        self._wait(lambda: b"serving " in self.log.read_bytes(), "dabing up did not serve its deployments")

    def _wait(self, ready: Callable[[], bool], why: str, seconds: float = START_SECONDS) -> None:
        deadline = time.monotonic() + seconds
        while not ready():
            tail = self.log.read_text(errors="replace")[-3000:]
            assert self.up.poll() is None, f"dabing up stopped:\n{tail}"
            assert time.monotonic() < deadline, f"{why} within {seconds} s:\n{tail}"
            time.sleep(0.5)

    def stop(self) -> None:
        """Ctrl-C, then a kill: the whole group, also when `up` itself has gone (its server would be left)."""
        if self.up.poll() is None:
            os.killpg(self.up.pid, signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.up.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):  # nothing of the group left
            os.killpg(self.up.pid, signal.SIGKILL)
        self.up.wait()


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DABING_"))},
        "DABING_PREFECT_PORT": str(free_port()),
        "DABING_CONSOLE_PORT": str(free_port()),
        "DABING_PREFECT_HOME": str(tmp_path / "prefect"),
        "DABING_DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "DABING_BACKUP_DIR": str(tmp_path / "var" / "backups"),  # the console's uploads go beside it
        "DABING_IDENTITY_KEY": "a-key-of-this-test-only-not-the-default",  # `up` refuses the development key
        "PREFECT_HOME": str(tmp_path / "client-home"),
    }  # warm starts on, as a county runs it (DABING_WARM_START): each run starts seconds sooner


def _ctrl_c_stops() -> None:
    """In the child before it starts: Ctrl-C stops it even when the tests run as a background job (which
    ignores SIGINT, and a process inherits that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _set_password(actor: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [str(BIN / "dabing"), "users", "set-password", actor, "--password-stdin"],
        env=env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    assert proc.stdin is not None
    proc.stdin.write((PASSWORD + "\n").encode())
    proc.stdin.close()
    return proc


def _done(proc: subprocess.Popen[bytes]) -> None:
    assert proc.stdout is not None
    output = proc.stdout.read().decode(errors="replace")
    assert proc.wait(timeout=120) == 0, output


@pytest.fixture()
def system(tmp_path: Path) -> Iterator[System]:
    """`dabing up` on a new app database, two users with a password (the second set while `up` starts)."""
    if BACKEND != "sqlite":
        pytest.skip("the real system runs once, on the SQLite pass (module docstring)")
    need_chromium()
    env = _env(tmp_path)
    _done(_set_password("coordinator", env))  # the first command migrates the new database
    log = tmp_path / "up.log"
    with log.open("wb") as out:
        up = subprocess.Popen(  # its own process group: `up` and the server it starts are stopped together
            [str(BIN / "dabing"), "up"], env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_ctrl_c_stops,
        )  # fmt: skip
    other = _set_password("xinping-coordinator", env)
    api = f"http://127.0.0.1:{env['DABING_PREFECT_PORT']}/api"
    system = System(f"http://127.0.0.1:{env['DABING_CONSOLE_PORT']}", Path(env["DABING_PREFECT_HOME"]), log, up, api)
    try:
        _done(other)
        system._wait(lambda: _answers(system.base + "/login"), "the console did not answer")
        yield system
    finally:
        system.stop()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


@pytest.fixture()
def page(system: System) -> Iterator[Any]:
    with zh_tab() as tab:
        tab.set_default_timeout(30_000)
        yield tab


def _login(page: Any, base: str, actor: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=actor]", actor)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def _until(
    page: Any, system: System, done: Callable[[], bool], what: str, seconds: float = RUN_SECONDS, reload: bool = True
) -> None:
    """Poll ``done()`` (a bounded wait: the runs are real ones), reloading the page in between unless it refreshes
    itself (a run's page does while the run goes on)."""
    deadline = time.monotonic() + seconds
    while not _holds(done):
        assert system.up.poll() is None, f"{what}: dabing up stopped (exit {system.up.returncode})"
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s; the page reads:\n{_main_text(page)}"
        time.sleep(0.5)
        if reload:
            page.reload()


def _holds(done: Callable[[], bool]) -> bool:
    from playwright.sync_api import Error

    try:
        return done()
    except Error:  # the page navigated (refreshed) while being read
        return False


def _main_text(page: Any) -> str:
    from playwright.sync_api import Error

    try:
        return str(page.inner_text("main", timeout=2000))
    except Error:
        return "(no page)"


def _run_finished(page: Any, system: System) -> None:
    """On a run's page: wait until it is done, which must be 已完成."""
    _until(page, system, lambda: page.locator("#outcome:not(.hint)").count() == 1, "the run", reload=False)
    assert page.inner_text("#outcome") == "已完成", page.inner_text("#outcome")


def _act(page: Any, system: System, key: str, **fields: str) -> None:
    page.click(f"details:has(form[data-action={key}]) summary")
    for name, value in fields.items():
        page.fill(f"form[data-action={key}] [name={name}]", value)
    page.click(f"form[data-action={key}] button[type=submit]")
    page.wait_for_url("**/runs/**")
    _run_finished(page, system)


def _upload(page: Any, base: str, path: Path) -> None:
    page.goto(base + "/upload")
    page.set_input_files("input[type=file]", str(path))
    page.click("form.card button[type=submit]")
    page.wait_for_load_state()


def _csv(rows: list[tuple[str, str, str, str]]) -> str:
    lines = ["household_ref,national_id,name,region_code,poverty_status,screened_on,icd10"]
    lines += [f"{ref},{nid},{name},520527,registered_poor,{on},I10" for ref, nid, name, on in rows]
    return "\n".join(lines) + "\n"


def _find(page: Any, base: str, nid: str) -> None:
    page.goto(base + "/")
    page.select_option("select[name=kind]", "national_id")
    page.fill("input[name=q]", nid)
    page.click("form.find button")
    page.wait_for_load_state()


def test_a_coordinators_day_on_the_real_system(system: System, page: Any, tmp_path: Path) -> None:
    try:
        _a_day(system, page, tmp_path)
    except BaseException:  # shown with the failure: what `up` and its runs said
        state = "running" if system.up.poll() is None else f"exited with {system.up.returncode}"
        print(f"dabing up {state}; its output ends:\n{system.log.read_text(errors='replace')[-6000:]}")
        raise


def _a_day(system: System, page: Any, tmp_path: Path) -> None:
    base = system.base
    _login(page, base, "coordinator")
    assert page.inner_text("header .who").startswith("赫章县协调员（协调员，赫章县）")  # no English for the user
    shot(page, tmp_path, "real-home.png")
    screened = (date.today() - timedelta(days=20)).isoformat()
    good = tmp_path / "筛查名单.csv"
    good.write_text(_csv([("H901", NID, NAME, screened)]), encoding="utf-8")
    _upload(page, base, good)
    assert "检查通过：1 行" in page.inner_text("main")
    system.serving()  # the console answers before the deployments are served
    page.click("form[action='/upload/import'] button")
    page.wait_for_url("**/runs/**")
    _run_finished(page, system)

    _find(page, base, NID)
    page.wait_for_url(re.compile(r".*/patients/\d+$"))
    patient_url = page.url
    text = page.inner_text("main")
    assert NAME in text and "赫章县" in text and "已筛查" in text and NID not in text
    case_id = str(page.get_attribute("section.case", "id")).removeprefix("case-")

    _act(page, system, "confirm")
    assert page.inner_text("strong.category") == LONG_TERM  # the run's page: the triage category
    page.goto(patient_url)
    hospitals = {h.name for h in load_hospitals() if h.region == "520527"}
    _until(
        page, system, lambda: page.inner_text("section.case strong.hospital") in hospitals, "the referral (on-triaged)"
    )
    hospital = page.inner_text("section.case strong.hospital")
    assert page.inner_text("section.case .state") == "已转诊"
    assert page.inner_text("section.case strong.category") == LONG_TERM
    shot(page, tmp_path, "real-referred.png")

    _act(page, system, "admit")
    page.goto(patient_url)
    _act(page, system, "discharge", total_cost="38734.00", out_of_scope="733.00")
    page.goto(patient_url)
    _until(page, system, lambda: page.locator("table.statement").count() == 1, "the settlement (on-discharged)")
    statement = page.inner_text("table.statement")
    assert "结算单" in statement and "基本医保" in statement and "大病保险" in statement, statement
    assert page.inner_text("section.case .state") == "已结算"
    assert "医疗总费用 38,734.00 元，目录外 733.00 元" in page.inner_text("table.timeline")
    shot(page, tmp_path, "real-settled.png")

    rejected = [("H903", national_id.make("520527", date(1962, 4, 5), 419), "上官秀英", screened), *BAD_ROWS]
    bad = tmp_path / "名单-gbk.csv"
    bad.write_bytes(_csv(rejected).encode("gbk"))
    _upload(page, base, bad)
    cells = [c.split("\t") for c in page.inner_text("table.errors tbody").splitlines()]
    assert cells == [["3", "screened_on", "不是真实存在的日期"]], cells
    assert "未导入任何内容" in page.inner_text("main") and page.locator("form[action='/upload/import']").count() == 0
    shot(page, tmp_path, "real-gbk-errors.png")
    _find(page, base, rejected[0][1])
    assert "/patients/" not in page.url and "没有" in page.inner_text("main")

    page.click("header form[action='/logout'] button")
    page.wait_for_url("**/login")
    _login(page, base, "xinping-coordinator")
    token = page.get_attribute("input[name=csrf]", "value")
    refused = page.goto(patient_url)
    assert refused is not None and refused.status == 403 and "无权" in page.inner_text("main")
    shot(page, tmp_path, "real-refused.png")
    posted = page.request.post(
        f"{base}/cases/{case_id}/actions/follow-up",
        form={"csrf": str(token), "followed_on": date.today().isoformat(), "outcome": "stable"},
        max_redirects=0,
    )
    assert posted.status == 403 and "无权" in posted.text()

    system.quiet()
    system.stop()
    prefect_files = [f for f in system.home.rglob("*") if f.is_file()]
    assert any(f.name == "prefect.db" for f in prefect_files), prefect_files
    stored = b"".join(f.read_bytes() for f in prefect_files)
    assert hospital.encode() in stored  # the runs' notes reached the server: what is not found was not sent
    secrets = [NID, NAME, *(v for row in rejected for v in row[1:3])]
    for f in [*prefect_files, system.log]:
        data = f.read_bytes()
        assert not [s for s in secrets if s.encode() in data], f"an ID number or a name in {f}"
