"""``prefect.yaml`` (workers on a process pool) generated from the deployments registry
(``runtime/deployments.py``): ``dabing deployments write-yaml``. Rendered with the default settings (schedules in
``DABING_TIMEZONE``'s default), so the committed file does not depend on who generated it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from config.settings import Settings
from runtime.deployments import Spec, specs

HEADER = """\
# Scale-out: the same deployments as `dabing serve`, run by workers of a process work pool instead of one
# serve process. On each worker machine (a clone of this repo with `make setup` done):
#
#   export PREFECT_API_URL=http://<prefect-server>:4200/api DABING_DATABASE_URL=postgresql+psycopg://…
#   prefect work-pool create dabing --type process          # once
#   prefect --no-prompt deploy --all                          # once per release, DABING_HOME unset (below)
#   DABING_HOME=$PWD PREFECT_WORKER_QUERY_SECONDS=0.2 prefect worker start --pool dabing --limit 4  # each worker
#
# (`make deploy` / `make worker`.) The pull step's `{{ $DABING_HOME }}` is resolved by `prefect deploy` when it is
# set there, baking that path in; left unset, each worker resolves it to its own clone at run time. Workers ask
# for runs every 10 s by default: PREFECT_WORKER_QUERY_SECONDS sets it (bench/bench_events.py, README).
#
# GENERATED from runtime/deployments.py by `dabing deployments write-yaml`: do not edit by hand
# (tests/runtime/test_prefect_yaml.py fails when this file is not current). The county demo is not deployed
# here: it rebuilds its database, so only `dabing serve --with-demo` / `dabing up --with-demo` serve it.
"""
POOL = {"name": "dabing", "work_queue_name": "default"}


def entrypoint(flow: Any) -> str:
    return f"{flow.fn.__module__.replace('.', '/')}.py:{flow.fn.__name__}"


def _deployment(spec: Spec) -> dict[str, Any]:
    flow, options = spec
    out: dict[str, Any] = {"name": options["name"], "entrypoint": entrypoint(flow), "tags": list(options["tags"])}
    out["work_pool"] = dict(POOL)
    if options.get("parameters"):
        out["parameters"] = dict(options["parameters"])
    if options.get("schedules"):
        out["schedules"] = [{"cron": s.cron, "timezone": s.timezone} for s in options["schedules"]]
    if (limit := options.get("concurrency_limit")) is not None:
        out["concurrency_limit"] = {"limit": limit.limit, "collision_strategy": limit.collision_strategy.value}
    if options.get("triggers"):
        out["triggers"] = [
            {"type": "event", "name": t.name, "enabled": t.enabled, "expect": sorted(t.expect),
             "match": t.match.model_dump(), "parameters": dict(t.parameters or {})}
            for t in options["triggers"]
        ]  # fmt: skip
    return out


def document(settings: Settings | None = None) -> dict[str, Any]:
    """The prefect.yaml document for every deployment the registry lists (not the demo)."""
    settings = settings or Settings.model_construct()  # the defaults, whatever this shell's environment says
    return {
        "name": "dabing",
        "prefect-version": "3.8.8",
        "pull": [{"prefect.deployments.steps.set_working_directory": {"directory": "{{ $DABING_HOME }}"}}],
        "deployments": [_deployment(spec) for spec in specs(settings=settings)],
    }


def render(settings: Settings | None = None) -> str:
    return HEADER + yaml.safe_dump(document(settings), sort_keys=False, allow_unicode=True, width=120)


def write(path: Path) -> int:
    """Write prefect.yaml to ``path``; the number of deployments."""
    path.write_text(render(), encoding="utf-8")
    return len(document()["deployments"])
