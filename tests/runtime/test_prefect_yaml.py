"""prefect.yaml (workers on a process pool) is generated from the deployments registry and is current."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from cli.app import app
from runtime.deployments import specs
from runtime.prefect_yaml import entrypoint, render

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_prefect_yaml_is_the_generated_one() -> None:
    assert (ROOT / "prefect.yaml").read_text(encoding="utf-8") == render(), (
        "prefect.yaml is stale: run `dabing deployments write-yaml`"
    )


def test_it_lists_every_served_deployment_with_its_triggers() -> None:
    doc = yaml.safe_load(render())
    listed = {(d["entrypoint"], d["name"]): d for d in doc["deployments"]}
    served = {(entrypoint(flow), options["name"]): options for flow, options in specs()}
    assert set(listed) == set(served)
    for key, options in served.items():
        expected = [(sorted(t.expect), t.match.model_dump(), t.parameters) for t in options.get("triggers", [])]
        got = [(sorted(t["expect"]), t["match"], t["parameters"]) for t in listed[key].get("triggers", [])]
        assert got == expected, key
        assert listed[key].get("parameters", {}) == options.get("parameters", {}), key
        assert listed[key]["tags"] == options["tags"], key
    nightly = listed[("flows/nightly.py:nightly_adjustment", "nightly")]
    assert nightly["concurrency_limit"] == {"limit": 1, "collision_strategy": "ENQUEUE"}
    assert nightly["schedules"] == [{"cron": "30 1 * * *", "timezone": "Asia/Shanghai"}]
    assert all(d["work_pool"]["name"] == "dabing" for d in doc["deployments"])
    assert '"on":' in render() or "'on':" in render(), "the trigger's `on` key stays a string, not YAML's true"


def test_the_command_writes_it(tmp_path: Path) -> None:
    done = CliRunner().invoke(app, ["deployments", "write-yaml", "--path", str(tmp_path / "p.yaml")])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "p.yaml").read_text(encoding="utf-8") == render()
