"""Property-based fuzzing of the screening CSV import: a file with bad values in random rows and columns
is rejected with an error naming each bad line and field, and nothing is written (row counts unchanged);
a good file, however unusual its text, imports completely. Runs the pure parser (many examples) and the
import task on SQLite and PostgreSQL (fewer: each example touches the database)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from config.catalogue import load_regions
from models import national_id
from models.clinical import Case, CaseTransition, Condition, Screening
from models.intake import REQUIRED_COLUMNS, ImportRejected, parse_screenings
from models.people import Household, Patient
from tasks.infra.db import session_scope
from tasks.pathway.intake import import_screenings_file
from tests.reliability.conftest import FIGURES
from tests.reliability.strategies import BAD, REGIONS, STATUSES, icd10, text_of

COLUMNS = (*REQUIRED_COLUMNS, "method")
TABLES = (Household, Patient, Screening, Condition, Case, CaseTransition)


@st.composite
def good_row(draw: st.DrawFn, seq: int) -> dict[str, str]:
    region = draw(st.sampled_from(REGIONS))
    born = draw(st.dates(date(1920, 1, 1), date(2014, 12, 31)))  # screened (2015 on) after birth
    nid = national_id.make(region, born, seq)
    return {
        "household_ref": region + draw(text_of(34)),  # a household belongs to one region
        "national_id": draw(st.sampled_from([nid, nid.lower(), f" {nid} "])),
        "name": draw(text_of(60)),
        "region_code": region,
        "poverty_status": draw(st.sampled_from(STATUSES)),
        "screened_on": draw(st.dates(date(2015, 1, 1), date(2018, 12, 31))).isoformat(),
        "icd10": draw(icd10),
        "method": draw(st.one_of(st.just(""), text_of(30))),
    }


@dataclass(frozen=True)
class File:
    text: str
    bad: frozenset[tuple[int, str]]  # (physical line, column) of every spoiled value
    rows: int


def render(rows: list[dict[str, str]]) -> tuple[str, list[int]]:
    """CSV text and each record's last physical line (what the parser reports)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    lines, line = [], 1
    for row in rows:
        writer.writerow([row[c] for c in COLUMNS])
        line += 1 + sum(row[c].count("\n") for c in COLUMNS)
        lines.append(line)
    return out.getvalue(), lines


@st.composite
def screening_file(draw: st.DrawFn, max_bad: int = 3) -> File:
    n = draw(st.integers(1, 8))
    first = draw(st.integers(0, 900))
    rows = [draw(good_row(first + i)) for i in range(n)]
    spoil = draw(st.lists(st.integers(0, n - 1), max_size=min(max_bad, n), unique=True))
    spoiled: list[tuple[int, str]] = []
    for i in spoil:
        column = draw(st.sampled_from(COLUMNS))
        rows[i] = {**rows[i], column: draw(BAD[column])}
        spoiled.append((i, column))
    text, lines = render(rows)
    return File(text, frozenset((lines[i], c) for i, c in spoiled), n)


def parse(text: str) -> Any:
    return parse_screenings(text, known_region=load_regions().is_known)


@settings(max_examples=500, deadline=None)
@given(screening_file())
def test_bad_rows_are_named_by_line_and_field(f: File) -> None:
    FIGURES["fuzz: CSV files parsed"] += 1
    FIGURES["fuzz: CSV bad values"] += len(f.bad)
    if not f.bad:
        assert len(parse(f.text)) == f.rows
        return
    with pytest.raises(ImportRejected) as err:
        parse(f.text)
    reported = {(e.line, e.field) for e in err.value.errors}
    assert f.bad <= reported, (sorted(f.bad), err.value.errors)
    assert {e.line for e in err.value.errors} <= {line for line, _ in f.bad}, "good rows are not blamed"
    for line, column in f.bad:
        assert f"line {line}: {column}: " in str(err.value)


def counts() -> tuple[int, ...]:
    with session_scope() as s:
        return tuple(s.execute(select(func.count()).select_from(t)).scalar_one() for t in TABLES)


garbage = st.one_of(
    st.binary(min_size=1, max_size=200).filter(lambda b: not _utf8(b)),
    st.text(max_size=300).map(lambda t: t.encode()),
    st.sampled_from(["姓名,身份证\n张三,1\n".encode("gbk"), b"\xef\xbb\xbf", b"household_ref\n", b'a,"b\n']),
)


def _utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _import_all_or_nothing(tmp_path: Path, doc: File | bytes) -> None:
    path = tmp_path / "screenings.csv"
    path.write_bytes(doc.encode() if isinstance(doc, str) else doc if isinstance(doc, bytes) else doc.text.encode())
    before = counts()
    try:
        report = import_screenings_file.fn(str(path), "system")  # rows of any region
    except ImportRejected as exc:
        assert counts() == before, "a rejected file writes nothing"
        assert all(e.field and e.line >= 1 for e in exc.errors)
        if isinstance(doc, File):
            assert doc.bad, f"a good file was rejected: {exc}"
        FIGURES["fuzz: CSV files rejected by the import task"] += 1
        return
    assert isinstance(doc, File) and not doc.bad, "a bad file was imported"
    after = counts()
    new = report.cases  # a finding imported before (the same person, code and date) is known, not new
    assert (after[4] - before[4], after[5] - before[5]) == (new, new), "every new finding opened one case"
    assert report.rows == doc.rows and new + report.already_known + report.duplicates_in_file == doc.rows
    FIGURES["fuzz: CSV files imported"] += 1


DB_FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@DB_FUZZ
@given(st.one_of(screening_file(max_bad=2), garbage))
def test_import_task_is_all_or_nothing_sqlite(tmp_path: Path, db_url: str, doc: File | bytes) -> None:
    _import_all_or_nothing(tmp_path, doc)


@pytest.mark.postgres
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(screening_file(max_bad=2), garbage))
def test_import_task_is_all_or_nothing_postgres(tmp_path: Path, pg_url: str, doc: File | bytes) -> None:
    _import_all_or_nothing(tmp_path, doc)
