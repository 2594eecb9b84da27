"""Driver errors raised in tasks reach logs, Prefect state messages and the CLI only as a StorageError naming
the table or constraint, never the statement's parameters or the driver's DETAIL line (which repeats the key)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from tasks.infra.errors import StorageError, storage_errors
from tasks.infra.retry import is_transient, is_transient_or_conflict

SECRET = "9f86d081884c7d659a2feaa0c55ad015"


@storage_errors
def _duplicate() -> None:
    orig = Exception('duplicate key value violates unique constraint "ix_patient_national_id_hash"\n'
                     f"DETAIL:  Key (national_id_hash)=({SECRET}) already exists.")  # fmt: skip
    raise IntegrityError("INSERT INTO patient (national_id_hash) VALUES (%(h)s)", {"h": SECRET}, orig)


def test_driver_errors_name_the_constraint_not_the_values() -> None:
    with pytest.raises(StorageError) as err:
        _duplicate()
    assert SECRET not in str(err.value) and "ix_patient_national_id_hash" in str(err.value)
    assert err.value.__cause__ is None and err.value.__suppress_context__


class _State:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def result(self) -> None:
        raise self.exc


def test_the_retry_policies_still_see_conflicts_and_lost_connections() -> None:
    with pytest.raises(StorageError) as conflict:
        _duplicate()
    assert is_transient_or_conflict(None, None, _State(conflict.value))
    assert not is_transient(None, None, _State(conflict.value))

    @storage_errors
    def locked() -> None:
        raise OperationalError("UPDATE patient SET x=?", (SECRET,), Exception("database is locked"))

    with pytest.raises(StorageError) as lost:
        locked()
    assert SECRET not in str(lost.value) and "database is locked" in str(lost.value)
    assert is_transient(None, None, _State(lost.value))


def test_the_engine_hides_parameters_and_the_task_names_only_the_constraint(db_url: str) -> None:
    """Even unwrapped, a driver error of the app's engine carries no parameters (``hide_parameters``); wrapped,
    on PostgreSQL too, not the DETAIL line that repeats the key."""
    from sqlalchemy import insert

    from models.common import utcnow
    from models.people import Household
    from tasks.infra.db import session_scope

    row = {"ref": SECRET, "region_code": "530427", "poverty_status": "general", "created_at": utcnow()}

    def twice() -> None:
        with session_scope() as s:
            s.execute(insert(Household), [row, row])

    with pytest.raises(IntegrityError) as raw:
        twice()
    assert "parameters hidden" in str(raw.value)  # (PostgreSQL's DETAIL line still repeats the key: hence the wrap)
    with pytest.raises(StorageError) as wrapped:
        storage_errors(twice)()
    assert SECRET not in str(wrapped.value) and "household" in str(wrapped.value) and wrapped.value.conflict
