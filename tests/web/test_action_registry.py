"""Each console action names a served deployment, and the parameters its form builds are exactly what that
deployment's flow takes (every required one present, none unknown): a renamed flow parameter fails here."""

from __future__ import annotations

import inspect

import pytest

from runtime.deployments import specs
from web.actions import ACTIONS, Action

SERVED = {f"{f.name}/{options['name']}": f for f, options in specs()}


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: f"{a.subject.value}-{a.key}")
def test_the_form_builds_the_flows_parameters(action: Action) -> None:
    assert action.deployment in SERVED, f"{action.deployment} is not served by `dabing up`"
    signature = inspect.signature(SERVED[action.deployment].fn)
    built = {action.subject.parameter, "actor", *action.fixed, *(f.name for f in action.fields)}
    required = {n for n, p in signature.parameters.items() if p.default is inspect.Parameter.empty}
    assert built <= set(signature.parameters), f"unknown: {built - set(signature.parameters)}"
    assert required <= built, f"missing: {required - built}"
