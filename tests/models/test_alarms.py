"""The alarm lifecycle's pure rule: which coordinator step is allowed from which status (reason per row)."""

from __future__ import annotations

import pytest

from models.alarms import AlarmStatus as S
from models.alarms import AlarmStep as St
from models.alarms import AlarmStepRefused, next_status
from models.errors import BadInput


@pytest.mark.parametrize(
    ("status", "step", "expected"),
    [
        pytest.param(S.OPEN, St.ACKNOWLEDGE, S.ACKNOWLEDGED, id="预警 → 核实"),
        pytest.param(S.ACKNOWLEDGED, St.ASSIGN, S.ASSIGNED, id="核实 → 分派"),
        pytest.param(S.OPEN, St.ASSIGN, S.ASSIGNED, id="may assign before verifying"),
        pytest.param(S.ASSIGNED, St.ASSIGN, S.ASSIGNED, id="re-assign"),
        pytest.param(S.ASSIGNED, St.HANDLE, S.HANDLED, id="处置 → 销号"),
        pytest.param(S.OPEN, St.DISMISS, S.DISMISSED, id="a false alarm is dismissed with a reason"),
        pytest.param(S.HANDLED, St.HANDLE, None, id="handled once"),
        pytest.param(S.RESOLVED, St.ACKNOWLEDGE, None, id="resolved by the night: nothing left to verify"),
        pytest.param(S.DISMISSED, St.ASSIGN, None, id="dismissed: closed"),
        pytest.param(S.ACKNOWLEDGED, St.ACKNOWLEDGE, None, id="verified once"),
    ],
)
def test_next_status(status: S, step: St, expected: S | None) -> None:
    if expected is None:
        with pytest.raises(AlarmStepRefused, match=f"cannot {step.value}"):
            next_status(status, step)
    else:
        assert next_status(status, step) == expected


@pytest.mark.parametrize("step", [St.RESOLVE, St.ESCALATE], ids=["resolve is the night's", "escalate is the night's"])
def test_night_steps_are_not_a_coordinators(step: St) -> None:
    with pytest.raises(BadInput, match="nightly run's step"):
        next_status(S.OPEN, step)
