"""What the console's browser tests share: the system's Chromium (skipped where it is missing, a failure in CI,
which installs it), a free local port, a zh-CN tab, and screenshots kept in DABING_SCREENSHOTS when set."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"


def need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} missing: CI installs chromium in .ci/run")
        pytest.skip("chromium not installed (apt-get install chromium fonts-noto-cjk)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def zh_tab() -> Iterator[Any]:
    """A Chromium tab in Chinese, 1280×900; the browser closes with the block."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--lang=zh-CN"])
        try:
            yield browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
        finally:
            browser.close()


def shot(page: Any, tmp_path: Path, name: str) -> Path:
    """A full-page screenshot in the test's folder, copied to DABING_SCREENSHOTS when set."""
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    if folder := os.environ.get("DABING_SCREENSHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(folder) / name)
    return path
