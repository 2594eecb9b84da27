"""prefect.yaml (workers on a process pool) describes the same deployments as `dabing serve`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from runtime.serve import specs

ROOT = Path(__file__).resolve().parents[2]


def _served() -> dict[tuple[str, str], dict[str, Any]]:
    served: dict[tuple[str, str], dict[str, Any]] = {}
    for flow, options in specs():
        module = flow.fn.__module__.replace(".", "/")
        served[(f"{module}.py:{flow.fn.__name__}", options["name"])] = options
    return served


def test_prefect_yaml_lists_every_served_deployment_with_its_triggers() -> None:
    doc = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    listed = {(d["entrypoint"], d["name"]): d for d in doc["deployments"]}
    served = _served()
    assert set(listed) == set(served)
    for key, options in served.items():
        expected = [(sorted(t.expect), t.match.model_dump(), t.parameters) for t in options.get("triggers", [])]
        got = [(sorted(t["expect"]), t["match"], t["parameters"]) for t in listed[key].get("triggers", [])]
        assert got == expected, key
        assert listed[key].get("parameters", {}) == options.get("parameters", {}), key
        assert listed[key]["tags"] == options["tags"], key
    nightly = listed[("flows/nightly.py:nightly_adjustment", "nightly")]
    assert nightly["concurrency_limit"] == {"limit": 1, "collision_strategy": "ENQUEUE"}
    assert all(d["work_pool"]["name"] == "dabing" for d in doc["deployments"])
