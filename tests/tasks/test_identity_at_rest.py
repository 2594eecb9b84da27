"""Identity at rest (SQLite and PostgreSQL): after an import and a registration no table holds a national ID
number or a name in clear (on SQLite not even the database files), people are found again by the keyed
lookup hash, and only the configured key opens the sealed values."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text
from sqlmodel import col

from config.identity import identity_keys
from models import national_id
from models.identity import IdentityKeyError, Purpose, derive_keys, lookup_hash, open_name, open_national_id, unseal
from models.people import Patient, PatientCreate
from tasks.infra.db import get_engine, session_scope
from tasks.pathway.intake import import_screenings_file, register_patient

HEADER = "household_ref,national_id,name,region_code,poverty_status,screened_on,icd10\n"
PEOPLE = [
    (national_id.make("520527", date(1950, 3, 1), 41), "欧阳修文", "H41"),
    (national_id.make("520527", date(1988, 12, 30), 42), "司马光明", "H42"),
]


def _import(tmp_path: Path, name: str) -> None:
    body = "".join(f"{hh},{nid},{who},520527,registered_poor,2017-03-01,I10\n" for nid, who, hh in PEOPLE)
    (tmp_path / name).write_text(HEADER + body, encoding="utf-8")
    import_screenings_file.fn(str(tmp_path / name), "coordinator")


def _every_text_value(url: str) -> str:
    """Every value of every table, as text."""
    engine = get_engine(url)
    parts: list[str] = []
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                parts.extend(str(v) for v in row)
    return "\n".join(parts)


def _identity_at_rest(tmp_path: Path, url: str) -> None:
    _import(tmp_path, "first.csv")
    _import(tmp_path, "again.csv")  # the same people screened again: found by the hash, not duplicated
    nid, name, hh = PEOPLE[0]
    person = PatientCreate(
        household_ref=hh, national_id=nid, name=name, region_code="520527", poverty_status="registered_poor"
    )
    keys = identity_keys()
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(Patient)).scalar_one() == len(PEOPLE)
        first = s.execute(select(Patient).where(col(Patient.national_id_hash) == lookup_hash(keys, nid))).scalar_one()
        assert open_national_id(keys, first.id, first.national_id_hash, first.national_id_sealed) == nid
        assert open_name(keys, first.id, first.national_id_hash, first.name_sealed) == name
        assert (first.sex, first.birth_date) == (national_id.sex(nid), date(1950, 3, 1))
    assert register_patient(person, "coordinator") == first.id

    dump = _every_text_value(url)
    for nid, name, _ in PEOPLE:
        assert nid not in dump and nid[:17] not in dump and name not in dump
    if url.startswith("sqlite"):
        get_engine(url).dispose()  # checkpoint the WAL into the file
        files = b"".join(p.read_bytes() for p in Path(url.removeprefix("sqlite:///")).parent.glob("app.db*"))
        for nid, name, _ in PEOPLE:
            assert nid.encode() not in files and name.encode() not in files

    other = derive_keys("a key this database was not written with")
    with pytest.raises(IdentityKeyError, match="cannot be opened"):
        unseal(other, Purpose.NATIONAL_ID, first.national_id_sealed, first.national_id_hash)
    assert lookup_hash(other, nid) != first.national_id_hash


def test_identity_at_rest_sqlite(tmp_path: Path, db_url: str) -> None:
    _identity_at_rest(tmp_path, db_url)


@pytest.mark.postgres
def test_identity_at_rest_postgres(tmp_path: Path, pg_url: str) -> None:
    _identity_at_rest(tmp_path, pg_url)


def test_a_rejected_import_never_repeats_identity(tmp_path: Path, db_url: str) -> None:
    """Columns swapped or garbled: the error names line and field, never the ID number or the name."""
    from models.intake import ImportRejected

    nid, name, _ = PEOPLE[0]
    body = (
        f"H1,{name},{nid},520527,registered_poor,2017-03-01,I10\n"  # ID and name swapped
        f"H2,{nid},{name},{nid},registered_poor,2017-03-01,{name}\n"  # ID in region, name in ICD-10
        f"H3,{nid[:17]}{'0' if nid[17] != '0' else '1'},{name * 30},520527,registered_poor,2017-03-01,I10\n"
    )
    (tmp_path / "bad.csv").write_text(HEADER + body, encoding="utf-8")
    with pytest.raises(ImportRejected) as err:
        import_screenings_file.fn(str(tmp_path / "bad.csv"), "coordinator")
    message = str(err.value)
    assert {(e.line, e.field) for e in err.value.errors} >= {(2, "national_id"), (3, "region_code"), (3, "icd10"),
                                                              (4, "national_id"), (4, "name")}  # fmt: skip
    assert nid not in message and nid[:17] not in message and name not in message
