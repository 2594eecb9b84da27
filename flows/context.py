"""Every flow's entry point: logging configured in this process (a served or worker flow-run process has no other
entry point), and the run, case and actor bound to every structlog line inside the run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import structlog
from prefect.runtime import flow_run

from config.logging import ensure_configured


@contextmanager
def run_context(**ids: object) -> Iterator[None]:
    """``with run_context(case_id=case_id, actor=actor):`` around a flow's body (internal ids only)."""
    ensure_configured()
    with structlog.contextvars.bound_contextvars(flow_run_id=flow_run.id, **ids):
        yield
