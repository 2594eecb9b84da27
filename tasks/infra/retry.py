"""Retry policy shared by every task: retry what may pass on a second try (database connection
errors, lock timeouts), never a domain error (illegal move, bad input) — that would only repeat it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from tasks.infra.errors import StorageError


def is_transient(_task: Any, _task_run: Any, state: Any) -> bool:
    try:
        state.result()
    except StorageError as exc:  # a driver error told without its parameters (tasks.infra.errors)
        return exc.transient
    except (OperationalError, DBAPIError) as exc:
        return bool(getattr(exc, "connection_invalidated", False)) or isinstance(exc, OperationalError)
    except Exception:
        return False
    return False


RETRY: dict[str, Any] = {"retries": 3, "retry_delay_seconds": [1, 2, 5], "retry_condition_fn": is_transient}


def is_transient_or_conflict(task: Any, task_run: Any, state: Any) -> bool:
    """Also retry a unique-constraint conflict: a concurrent chunk committed first; the re-run sees it
    (used by triage, where a patient's second case of one disease is then closed as a duplicate)."""
    try:
        state.result()
    except IntegrityError:
        return True
    except StorageError as exc:
        return exc.conflict or exc.transient
    except Exception:
        return is_transient(task, task_run, state)
    return False


RETRY_ON_CONFLICT: dict[str, Any] = {**RETRY, "retry_condition_fn": is_transient_or_conflict}
