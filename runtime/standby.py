"""A flow-run process started ahead of its run (``runtime.warm_start``): import Prefect's engine and every
served flow, then wait on stdin for one line ``{"env": {...}}`` — the run's environment as Prefect's runner
built it — and run ``prefect.engine``'s ``__main__`` with it, exactly as ``python -m prefect.engine`` would.
End of input without a line (``serve`` stopped or dropped this standby) exits quietly."""

from __future__ import annotations

import json
import os
import runpy
import sys
import warnings


def preload() -> None:
    import prefect.engine
    import prefect.flow_engine  # noqa: F401

    import runtime.serve  # noqa: F401  (every served flow and what it imports)
    from config.logging import ensure_configured

    ensure_configured()  # this process's entry point (the flows' run_context would do it too, later)


def become(env: dict[str, str]) -> None:
    """Take the run's environment (also as Prefect settings), then run the engine's main."""
    from prefect.context import SettingsContext, get_settings_context
    from prefect.settings import Settings

    from config.settings import get_settings

    os.environ.clear()
    os.environ.update(env)
    get_settings.cache_clear()
    profile = get_settings_context().profile
    sys.argv = [sys.argv[0]]  # the engine takes the flow run id from PREFECT__FLOW_RUN_ID
    with SettingsContext(profile=profile, settings=Settings()), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'prefect.engine' found in sys.modules", RuntimeWarning)
        runpy.run_module("prefect.engine", run_name="__main__", alter_sys=True)


def main() -> None:
    preload()
    line = sys.stdin.readline()
    if not line.strip():
        return
    become(json.loads(line)["env"])


if __name__ == "__main__":
    main()
