"""The console in a real browser (the system's Chromium driven by Playwright): sign in, find a patient by ID
number, open their page, act, upload a GBK file with a bad row. Screenshots go to the test's folder (and to
DABING_SCREENSHOTS when set). Skipped where Chromium is not installed; CI installs it (.ci/run)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.browser import free_port, need_chromium, shot, zh_tab
from tests.web.conftest import PASSWORD, World


@pytest.fixture()
def browser_page(world: World) -> Iterator[tuple[Any, str]]:
    need_chromium()
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(world.client.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        with zh_tab() as page:
            yield page, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _shot(page: Any, tmp_path: Path, name: str) -> Path:
    path = shot(page, tmp_path, name)
    assert path.stat().st_size > 10_000
    return path


def test_a_coordinator_finds_a_patient_by_id_number_and_acts(
    world: World, browser_page: tuple[Any, str], tmp_path: Path
) -> None:
    page, base = browser_page
    page.goto(base + "/")
    page.fill("input[name=actor]", "coordinator")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.select_option("select[name=kind]", "national_id")
    page.fill("input[name=q]", world.nid)
    page.click("form.find button")
    page.wait_for_url(f"**/patients/{world.patient_id}")
    text = page.inner_text("main")
    assert "王五" in text and "赫章县" in text and "已筛查" in text and world.nid not in text
    _shot(page, tmp_path, "patient.png")
    page.click("details:has(form[data-action=confirm]) summary")
    page.click("form[data-action=confirm] button[type=submit]")
    page.wait_for_selector("#outcome")
    assert "已完成" in page.inner_text("#outcome")
    assert world.runner.started[0][1]["actor"] == "coordinator"
    _shot(page, tmp_path, "run.png")


def test_an_upload_in_gbk_with_a_bad_row_shows_the_error_and_writes_nothing(
    world: World, browser_page: tuple[Any, str], tmp_path: Path
) -> None:
    from tests.web.conftest import an_id

    page, base = browser_page
    page.goto(base + "/login")
    page.fill("input[name=actor]", "coordinator")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    rows = [
        "household_ref,national_id,name,region_code,poverty_status,screened_on,icd10",
        f"H77,{an_id(7)},张三,520527,registered_poor,2026-11-01,I10",
        f"H78,{an_id(8)},李四,520527,registered_poor,2026-13-01,I10",
    ]
    upload = tmp_path / "名单.csv"
    upload.write_bytes(("\n".join(rows) + "\n").encode("gbk"))
    page.goto(base + "/upload")
    page.set_input_files("input[type=file]", str(upload))
    page.click("form.card button[type=submit]")
    page.wait_for_selector("table.errors")
    cells = [c.split("\t") for c in page.inner_text("table.errors tbody").splitlines()]
    _shot(page, tmp_path, "upload.png")
    assert world.runner.started == []
    if _reads_gbk(tmp_path):
        assert [line for line, *_ in cells] == ["3"] and cells[0][1] == "screened_on"
    else:  # an importer without GBK (before issue 20's intake change): the file's encoding is the one error
        assert cells[0][:2] == ["2", "file"]


def _reads_gbk(tmp_path: Path) -> bool:
    """Whether the importer's validation decodes GBK (a change made beside this console, in tasks/pathway)."""
    from models.intake import ImportRejected
    from tasks.pathway.intake import parse_file
    from tests.web.conftest import an_id

    probe = tmp_path / "probe.csv"
    header = "household_ref,national_id,name,region_code,poverty_status,screened_on,icd10\n"
    probe.write_bytes((header + f"H9,{an_id(9)},赵六,520527,general,2026-11-01,I10\n").encode("gbk"))
    try:
        parse_file(str(probe))
    except ImportRejected:
        return False
    return True
