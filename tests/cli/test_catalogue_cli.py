"""``dabing catalogue show`` prints the version in force in Chinese; ``retriage`` is idempotent and refuses a
coordinator without a region (one line)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import cli.app
import runtime.up


@pytest.fixture()
def runner(db_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setattr(runtime.up, "use_running_local_server", lambda: None)
    return CliRunner()


def test_show_on_a_date_and_versions(runner: CliRunner) -> None:
    out = runner.invoke(cli.app.app, ["catalogue", "show", "--on", "2018-06-01"]).output
    assert out.startswith("大病专项救治病种目录 版本 2018（2018-01-01 起施行；2018-06-01 生效）：国家名单 21 种")
    assert "- 肺癌（lung_cancer）ICD-10 C33-C34：一次性能治愈；肺癌；自 2018-01-01" in out
    assert "脑卒中（stroke）" not in out
    versions = runner.invoke(cli.app.app, ["catalogue", "show", "--versions"]).output.splitlines()
    assert [line.split(" | ")[:3] for line in versions[1:]] == [
        ["2017", "2017-01-01", "9"], ["2018", "2018-01-01", "21"], ["2019", "2019-01-01", "25"],
        ["2020", "2020-01-01", "30"],
    ]  # fmt: skip


def test_retriage_command(runner: CliRunner) -> None:
    result = runner.invoke(cli.app.app, ["catalogue", "retriage", "--on", "2018-01-01"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output[result.output.index("{") :])
    assert (body["version"], body["triaged"], body["restamped"]) == ("2018", 0, 0)
    denied = runner.invoke(cli.app.app, ["catalogue", "retriage", "--on", "2018-01-01", "--actor", "coordinator"])
    assert denied.exit_code == 1 and "access denied" in denied.output


def test_retriage_refuses_a_night_after_today(runner: CliRunner) -> None:
    result = runner.invoke(cli.app.app, ["catalogue", "retriage", "--on", "2999-01-01"])
    assert result.exit_code == 2 and "on: 2999-01-01 is after today" in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1  # one line, no traceback
