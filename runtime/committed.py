"""A committed step is never reported as failed.

A coordinator command runs its flow in-process: the flow's body commits the step in the app database, then
Prefect records the flow run's final state with the API. When that bookkeeping fails (the server overloaded
or gone: issue 22 saw a `confirm` that had committed reported failed with a traceback), the step is done all
the same. ``remember_results`` makes this process note the value every flow body returned, as Prefect's
engine receives it (``handle_success``, before it talks to the API); the CLI, on an error after that,
prints the committed result with a warning instead of the error (``cli.app``).

The hook on Prefect's ``FlowRunEngine`` / ``AsyncFlowRunEngine.handle_success``: ``runtime/prefect_internals.py``.
"""

from __future__ import annotations

from typing import Any

from runtime.prefect_internals import on_flow_success

_NOTHING = object()
_results: list[Any] = []


def remember_results() -> None:
    """From now on, remember the result of every flow body that returns (idempotent; the CLI process only)."""

    def note(engine: Any, result: Any) -> None:
        if getattr(engine.flow_run, "parent_task_run_id", None) is None:  # the command's flow, not a subflow
            _results.append(result)

    on_flow_success(note)


def committed_result() -> Any:
    """The value the command's flow body returned, or ``NOTHING`` when it did not return."""
    return _results[-1] if _results else _NOTHING


def forget() -> None:
    _results.clear()


NOTHING = _NOTHING
