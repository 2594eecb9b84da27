"""A catalogue version taking effect re-triages, set-based and audited (SQLite and PostgreSQL): held confirmed
cases are triaged (a lung cancer confirmed in 2017 on 1 January 2018), cases whose disease changed category
move or are re-stamped (acute stroke in 2019), an edited category moves cases too; re-runs and replays of an
earlier night change nothing."""

from __future__ import annotations

from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from config.catalogue import load_catalogue_history
from config.settings import DATA_DIR
from models import national_id
from models.clinical import Case, CaseTransition
from models.enums import CaseState
from tasks.infra.db import session_scope
from tasks.pathway import retriage as retriage_module
from tasks.pathway import triage as triage_module
from tasks.pathway.diagnosis import confirm_many
from tasks.pathway.intake import import_screenings_file
from tasks.pathway.retriage import RetriageResult, retriage_cases
from tasks.pathway.transitions import advance_many
from tasks.pathway.triage import triage_many

HEADER = "household_ref,national_id,name,region_code,poverty_status,screened_on,icd10\n"
PEOPLE = {  # name → (ICD-10, year of birth), one person each
    "lung": ("C34.9", 1957),  # 2018: 肺癌
    "stroke_treated": ("I63.9", 1957),  # 2019: 脑卒中, maintenance (was stroke sequelae, long-term)
    "stroke_waiting": ("I63.9", 1957),
    "hypertension": ("I10", 1957),  # unchanged throughout
    "emphysema": ("J43.9", 1957),  # 2019: 慢性阻塞性肺气肿
    "fracture": ("S72.0", 1957),  # never listed
    "child_heart": ("Q21.0", 2003),  # 13 when confirmed, 15 in 2019: the age limit is judged at diagnosis
}
S = CaseState


def _load(tmp_path: Path) -> dict[str, int]:
    lines = [
        f"H{i},{national_id.make('520527', date(born, 5, 1), 100 + i)},患者{i},520527,registered_poor,2017-03-01,{icd}"
        for i, (icd, born) in enumerate(PEOPLE.values())
    ]
    path = tmp_path / "screening.csv"
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    import_screenings_file.fn(str(path), "coordinator")
    with session_scope() as s:
        ids = list(s.execute(select(Case.id).order_by(Case.id)).scalars())
        confirm_many(s, ids, date(2017, 4, 1), "coordinator")
        moved, held = triage_many(s, ids, date(2017, 4, 1), "coordinator")
        assert len(moved) == 4 and held == {"catalogue_inactive": 2, "not_in_catalogue": 1}
        case = dict(zip(PEOPLE, ids, strict=True))
        path_to = [S.TRIAGED, S.REFERRED, S.IN_TREATMENT, S.DISCHARGED, S.SETTLED, S.UNDER_MANAGEMENT]
        for a, b in pairwise(path_to):
            advance_many(s, [case["stroke_treated"]], a, b, actor="coordinator", reason="test")
    return case


def _run(on: date) -> RetriageResult:
    with session_scope() as s:
        return retriage_cases(s, on, None, "nightly")


def _cases() -> dict[int, tuple[Any, ...]]:
    with session_scope() as s:
        rows = s.execute(select(Case.id, Case.state, Case.disease_code, Case.category, Case.catalogue_version))
        return {r[0]: tuple(r[1:]) for r in rows}


def _audit(case_id: int) -> list[tuple[str | None, str, str]]:
    with session_scope() as s:
        rows = s.execute(
            select(CaseTransition.from_state, CaseTransition.to_state, CaseTransition.reason)
            .where(col(CaseTransition.case_id) == case_id)
            .order_by(col(CaseTransition.id))
        )
        return [(str(a) if a else None, str(b), r) for a, b, r in rows]


def _nothing(result: RetriageResult) -> bool:
    return (result.triaged, result.recategorised, result.moved, result.restamped) == (0, 0, 0, 0)


def _check(tmp_path: Path) -> None:
    case = _load(tmp_path)
    assert _nothing(_run(date(2017, 12, 31))), "the version in force has not changed"

    first = _run(date(2018, 1, 1))
    assert (first.version, first.triaged, first.recategorised, first.restamped) == ("2018", 1, 0, 4)
    assert first.held == {"catalogue_inactive": 1, "not_in_catalogue": 1}
    after = _cases()
    assert after[case["lung"]] == ("triaged", "lung_cancer", "one_time_cure", "2018")
    assert _audit(case["lung"])[-1] == ("confirmed", "triaged", "catalogue_2018: triaged")
    assert after[case["fracture"]][0] == "confirmed"

    second = _run(date(2019, 1, 1))
    assert (second.triaged, second.recategorised, second.moved, second.left) == (1, 2, 1, 0)
    assert second.changes == {"stroke_sequelae>stroke (maintenance)": 2}
    after = _cases()
    assert after[case["emphysema"]] == ("triaged", "copd", "long_term", "2019")
    assert after[case["stroke_treated"]] == ("under_maintenance", "stroke", "maintenance", "2019")
    assert after[case["stroke_waiting"]] == ("triaged", "stroke", "maintenance", "2019")
    assert after[case["hypertension"]] == ("triaged", "hypertension", "long_term", "2019")
    assert after[case["child_heart"]] == ("triaged", "chd_child", "one_time_cure", "2019")
    reason = "catalogue_2019: re-triaged stroke_sequelae>stroke (maintenance)"
    assert _audit(case["stroke_treated"])[-1] == ("under_management", "under_maintenance", reason)
    assert _audit(case["stroke_waiting"])[-1] == ("triaged", "triaged", reason), "re-stamped, audited"

    assert _nothing(_run(date(2019, 1, 1))), "idempotent"
    assert _nothing(_run(date(2018, 6, 1))), "a replayed earlier night never triages backwards"
    assert _cases() == after


def test_retriage_sqlite(tmp_path: Path, db_url: str) -> None:
    _check(tmp_path)


def test_retriage_postgres(tmp_path: Path, pg_url: str) -> None:
    _check(tmp_path)


def test_edited_category_moves_cases(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A category edited in diseases.yaml (same version id) is found by comparing each case's category with
    its disease's: the case is re-triaged and audited, not just re-stamped."""
    case = _load(tmp_path)
    _run(date(2019, 1, 1))
    edited = tmp_path / "data"
    edited.mkdir()
    text = (DATA_DIR / "diseases.yaml").read_text(encoding="utf-8")
    old = "category: long_term, preferred_level: township, in_county: true, min_age: 18"
    (edited / "diseases.yaml").write_text(text.replace(old, old.replace("long_term", "maintenance")), "utf-8")
    history = load_catalogue_history(edited)
    monkeypatch.setattr(retriage_module, "load_catalogue_history", lambda: history)
    monkeypatch.setattr(triage_module, "load_catalogue_history", lambda: history)
    result = _run(date(2019, 2, 1))
    assert result.changes == {"hypertension>hypertension (maintenance)": 1}
    assert _cases()[case["hypertension"]] == ("triaged", "hypertension", "maintenance", "2019")
    assert _audit(case["hypertension"])[-1][2] == "catalogue_2019: re-triaged hypertension>hypertension (maintenance)"
    assert _nothing(_run(date(2019, 2, 1)))
