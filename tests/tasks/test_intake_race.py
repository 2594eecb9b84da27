"""Two imports of files naming the same people under different household refs, at the same moment (SQLite
and PostgreSQL): both succeed, each person is one patient (insert-or-get under the unique lookup hash), each
finding one case (the second import waits for the first and finds them known), and a
database error never carries row values (hash, sealed values, birth date) into a message."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.clinical import Case
from models.people import Patient
from tasks.pathway.intake import ImportReport, import_screenings_file
from tests.tasks.intake_race import count, hold_first_insert, identity_traces, people, run_at_once, write_file

N = 40
ACTOR = "xinping-coordinator"


def _race(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = people(N)
    first = write_file(tmp_path, "a", ids, "RA")
    second = write_file(tmp_path, "b", ids, "RB")
    hold_first_insert(monkeypatch)
    results = run_at_once(
        [lambda: import_screenings_file.fn(first, ACTOR), lambda: import_screenings_file.fn(second, ACTOR)]
    )
    leaks = [f"{kind} in: {r}" for r in results for t, kind in identity_traces(ids).items() if t in str(r)]
    assert not leaks, leaks
    assert all(isinstance(r, ImportReport) for r in results), results
    assert count(Patient) == N, "one patient per person"
    assert sorted(r.new_patients for r in results) == [0, N]
    assert count(Case) == N, "one finding per person, code and date: the second import finds them known"
    assert sorted(r.already_known for r in results) == [0, N]


def test_concurrent_imports_share_people_sqlite(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _race(tmp_path, monkeypatch)


@pytest.mark.postgres
def test_concurrent_imports_share_people_postgres(tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _race(tmp_path, monkeypatch)
