"""Every flow's entry point: logging configured in this process (a served or worker flow-run process has no other
entry point), and the run, case and actor bound to every structlog line inside the run.

A run started from a deployment (the Prefect API: the console, the UI's Run form, anything reaching the server)
that names a person (coordinator or supervisor) as ``actor`` must carry that person's signed actor assertion
(``models.actor_assertion``, tag ``actor-assertion:…``): the console signs one per run with a server-side key.
Without it the run stops before anything is read or written. A flow called in-process (the local CLI, the tests)
has no deployment and needs none; system actors are refused by the coordinator steps themselves."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import structlog
from prefect.context import FlowRunContext
from prefect.runtime import deployment, flow_run

from config.actors import load_actors
from config.logging import ensure_configured
from config.settings import get_settings
from models.actor_assertion import derive_key, verify
from models.enums import ActorRole
from runtime.prefect_internals import share_client_tls_context

share_client_tls_context()  # every process running a flow: its task runs' API clients share one TLS context


def verify_actor(actor: object) -> None:
    """Raise AssertionRefused when a deployment run names a person as actor without their valid assertion."""
    if deployment.id is None or not isinstance(actor, str):
        return
    if any(a.id == actor and a.role == ActorRole.SYSTEM for a in load_actors()):
        return
    key = derive_key(get_settings().identity_key.get_secret_value(), b"actor-assertion")
    name = f"{flow_run.flow_name}/{deployment.name}"
    verify(key, list(flow_run.tags), actor, name, submitted_parameters(), time.time())


def submitted_parameters() -> dict[str, object]:
    """The parameters the run was created with, as the signer sent them: not ``prefect.runtime``'s, which are
    validated, with every omitted default filled in (an action's form leaves out the flow's optional
    parameters: ``admit-case``'s ``outpatient``, ``kind``, ``hospital_code``)."""
    ctx = FlowRunContext.get()
    return dict(ctx.flow_run.parameters) if ctx and ctx.flow_run else dict(flow_run.parameters)


@contextmanager
def run_context(**ids: object) -> Iterator[None]:
    """``with run_context(case_id=case_id, actor=actor):`` around a flow's body (internal ids only)."""
    ensure_configured()
    with structlog.contextvars.bound_contextvars(flow_run_id=flow_run.id, **ids):
        if "actor" in ids:
            verify_actor(ids["actor"])
        yield
