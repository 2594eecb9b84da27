"""``flows.context.verify_actor``: a deployment run naming a person needs their signed assertion; an in-process
call (CLI, tests) and a system actor need none."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import pytest

from config.settings import get_settings
from flows import context
from models.actor_assertion import AssertionRefused, derive_key, sign

PARAMS: dict[str, Any] = {"case_id": 7, "admitted_on": "2026-11-30", "actor": "coordinator"}


def _run(monkeypatch: pytest.MonkeyPatch, deployment_id: str | None, tags: list[str], params: dict[str, Any]) -> None:
    monkeypatch.setattr(context, "deployment", SimpleNamespace(id=deployment_id, name="admit"))
    monkeypatch.setattr(context, "flow_run", SimpleNamespace(flow_name="admit-case", tags=tags, parameters=params))


def _tag(actor: str = "coordinator", params: dict[str, Any] = PARAMS) -> str:
    key = derive_key(get_settings().identity_key.get_secret_value(), b"actor-assertion")
    return sign(key, actor, "admit-case/admit", params, time.time())


@pytest.mark.parametrize(
    ("reason", "deployment_id", "tags", "actor", "refused"),
    [
        ("a run from the Prefect UI's Run form, no tag", "dep-1", [], "coordinator", True),
        ("the console's run, signed for this actor and parameters", "dep-1", ["console", "<signed>"], "coordinator",
         False),
        ("the tag of another coordinator", "dep-1", ["<signed:xinping-coordinator>"], "coordinator", True),
        ("an in-process call: the local CLI", None, [], "coordinator", False),
        ("a system actor: scheduled, event-triggered runs (steps refuse it)", "dep-1", [], "events", False),
    ],
)  # fmt: skip
def test_verify_actor(
    monkeypatch: pytest.MonkeyPatch, reason: str, deployment_id: str | None, tags: list[str], actor: str, refused: bool
) -> None:
    # signed when the test runs, not when the module is collected (an assertion lives 5 minutes)
    signed = [_tag() if t == "<signed>" else _tag(t[8:-1]) if t.startswith("<signed:") else t for t in tags]
    _run(monkeypatch, deployment_id, signed, {**PARAMS, "actor": actor})
    if refused:
        with pytest.raises(AssertionRefused):
            context.verify_actor(actor)
    else:
        context.verify_actor(actor)


def test_changed_parameters_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _run(monkeypatch, "dep-1", [_tag()], {**PARAMS, "case_id": 8})
    with pytest.raises(AssertionRefused, match="not vouched for"):
        context.verify_actor("coordinator")


def test_the_signed_parameters_are_the_submitted_ones_not_the_validated_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The console leaves a flow's optional parameters out (admit: outpatient, kind, hospital_code); inside the run
    ``prefect.runtime``'s parameters have them filled in, the run's own (as created) do not."""
    validated = {**PARAMS, "outpatient": False, "kind": "general", "hospital_code": ""}
    _run(monkeypatch, "dep-1", [_tag()], validated)
    submitted = SimpleNamespace(flow_run=SimpleNamespace(parameters=dict(PARAMS)))
    monkeypatch.setattr(context, "FlowRunContext", SimpleNamespace(get=lambda: submitted))
    context.verify_actor("coordinator")
    submitted.flow_run.parameters["case_id"] = 8  # what the run was created with is what must match
    with pytest.raises(AssertionRefused, match="not vouched for"):
        context.verify_actor("coordinator")
