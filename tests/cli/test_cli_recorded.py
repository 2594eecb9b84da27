"""``dabing check-recorded FILE``: summary, discrepancy files, one-line errors and nothing partial written."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import cli.app
from bench.recorded_file import write_file

PLANTS = {3: "layer_differs", 10: "layers_do_not_add_up", 11: "scope_does_not_add_up", 20: "no_policy"}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli.app.app, ["check-recorded", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(("suffix", "workers"), [(".jsonl", "1"), (".csv", "1"), (".csv", "2")])
def test_check_recorded_prints_summary_and_writes_the_discrepancies(tmp_path: Path, suffix: str, workers: str) -> None:
    recorded = write_file(tmp_path / f"recorded{suffix}", 120, seed=5, plants=PLANTS)
    code, out, _ = run(str(recorded), "--out", str(tmp_path / "out"), "--workers", workers)
    assert code == 0, out
    assert "records: 120 (settled under a policy: 119)" in out
    assert "discrepancies: 4 in 4 records" in out
    for kind in PLANTS.values():
        assert f"  {kind} " in out
    assert "basic_insurance 基本医保:" in out and "hospitals with the most records in discrepancy" in out
    with (tmp_path / "out" / "recorded-discrepancies.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(r["问题 kind"] for r in rows) == sorted(PLANTS.values())
    sheet = load_workbook(tmp_path / "out" / "recorded-discrepancies.xlsx")["discrepancies"]
    cells = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert sorted(r[3] for r in cells) == sorted(PLANTS.values())
    assert any(r[8] == Decimal("-100.00") or r[8] == -100 for r in cells)  # money as a number


def test_bad_input_is_one_line_naming_line_and_field_and_nothing_is_written(tmp_path: Path) -> None:
    recorded = write_file(tmp_path / "recorded.jsonl", 5, seed=5)
    lines = recorded.read_text(encoding="utf-8").splitlines()
    bad = json.loads(lines[3]) | {"psn_name": "徐飞", "hifp_pay": "徐飞"}
    lines[3] = json.dumps(bad, ensure_ascii=False)
    recorded.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run(str(recorded), "--out", str(tmp_path / "out"))
    assert code == 2
    assert err.strip() == "invalid input: line 4: hifp_pay: not a decimal amount"
    assert "徐飞" not in out + err
    assert list((tmp_path / "out").iterdir()) == []
