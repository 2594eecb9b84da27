"""Builders for the intake race and Unicode-digit tests (shared by the task and the flow tests)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlmodel
from sqlalchemy import func, select
from sqlalchemy.sql.dml import Insert

from models import national_id
from models.people import Patient
from tasks.infra.db import session_scope

HEADER = "household_ref,national_id,name,region_code,poverty_status,screened_on,icd10\n"
BORN = date(1931, 7, 13)  # birth dates that appear nowhere else (the Prefect database is grepped for them)


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def arabic_indic(text: str) -> str:
    return "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in text)


def people(n: int, region: str = "530427") -> list[str]:
    return [national_id.make(region, BORN + timedelta(days=i), 100 + i) for i in range(n)]


def write_file(tmp_path: Path, name: str, ids: list[str], ref: str, region: str = "530427") -> str:
    """One row per person, each in their own household ``{ref}{i}`` (suspected hypertension)."""
    path = tmp_path / f"{name}.csv"
    rows = "".join(f"{ref}{i},{nid},赛某{i},{region},general,2017-03-01,I10\n" for i, nid in enumerate(ids))
    path.write_text(HEADER + rows, encoding="utf-8")
    return str(path)


def hold_first_insert(monkeypatch: pytest.MonkeyPatch, parties: int = 2) -> None:
    """Each thread's first INSERT waits until every party has reached one: all have looked people up before
    anyone writes, so the race on ``patient.national_id_hash`` happens every time."""
    barrier = threading.Barrier(parties)
    passed = threading.local()
    original = sqlmodel.Session.execute

    def execute(self: Any, statement: Any, *args: Any, **kw: Any) -> Any:
        if isinstance(statement, Insert) and not getattr(passed, "done", False):
            passed.done = True
            barrier.wait(timeout=60)
        return original(self, statement, *args, **kw)

    monkeypatch.setattr(sqlmodel.Session, "execute", execute)


def run_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in parallel threads; each result or the exception it raised."""
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            results[i] = calls[i]()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return results


def count(model: Any) -> int:
    with session_scope() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def identity_traces(ids: list[str]) -> dict[str, str]:
    """What must never reach Prefect, per person: the lookup hash, both sealed values, the birth date."""
    traces: dict[str, str] = {}
    with session_scope() as s:
        for p in s.execute(select(Patient)).scalars():
            traces[p.national_id_hash] = "hash"
            traces[p.national_id_sealed] = "sealed national id"
            traces[p.name_sealed] = "sealed name"
            traces[p.birth_date.isoformat()] = "birth date"
    for nid in ids:
        traces[nid] = "national id"
    return traces
