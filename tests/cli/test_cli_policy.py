"""`dabing policy check/diff` as a user runs them: Chinese lines, one-line errors."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cli.app import app

POLICY = Path(__file__).resolve().parents[2] / "config" / "data" / "policies" / "hezhang-2016b.yaml"


def test_check_prints_the_rules_and_ok() -> None:
    result = CliRunner().invoke(app, ["policy", "check", str(POLICY)])
    assert result.exit_code == 0, result.output
    assert "【基本医保】" in result.output and result.output.rstrip().endswith("有效")


def test_a_bad_proposal_is_one_line_naming_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "proposal.yaml"
    bad.write_text(POLICY.read_text(encoding="utf-8").replace('ratio: "1.00"', 'ratio: "1.50"', 1), encoding="utf-8")
    result = CliRunner().invoke(app, ["policy", "check", str(bad)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "layers.0.rules.0.ratio" in lines[0] and "Traceback" not in result.output


def test_diff_of_a_file_with_itself_says_nothing_changes() -> None:
    result = CliRunner().invoke(app, ["policy", "diff", str(POLICY), str(POLICY)])
    assert result.exit_code == 0 and "两份政策的规则相同" in result.output
