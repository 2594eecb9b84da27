"""The national catalogue as it grew: which disease and category a code gets on a date, with the version that
decides it (each row quotes its source), the list's size per version, and what re-triage does to one case."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from config.catalogue import ConfigFileError, load_catalogue_history
from config.settings import DATA_DIR
from models.catalogue import TriageResult
from models.catalogue_history import Retriage, retriage_case, triage_on
from models.enums import CaseState, Category, TriageReason

HISTORY = load_catalogue_history()
C, M, L = Category.ONE_TIME_CURE, Category.MAINTENANCE, Category.LONG_TERM
IN, OUT, LATER = TriageReason.IN_CATALOGUE, TriageReason.NOT_IN_CATALOGUE, TriageReason.CATALOGUE_INACTIVE


@pytest.mark.parametrize(
    ("icd10", "age", "on", "expected"),
    [
        pytest.param("C16.9", 50, date(2017, 3, 1), ("2017", "gastric_cancer", C, IN),
                     id="[S003] 2017: 9种大病 — 胃癌 among them"),
        pytest.param("C34.9", 60, date(2017, 12, 31), ("2017", None, None, LATER),
                     id="[D] lung cancer is not among the 2017 nine: held until 2018"),
        pytest.param("C34.9", 60, date(2018, 1, 1), ("2018", "lung_cancer", C, IN),
                     id="[D] 2018 adds 肺癌 (21种)"),
        pytest.param("D66", 9, date(2018, 6, 1), ("2018", "haemophilia", M, IN), id="[D] 2018 adds 血友病"),
        pytest.param("C83.7", 30, date(2018, 6, 1), ("2018", None, None, TriageReason.OUTSIDE_AGE_LIMIT),
                     id="[D] 儿童淋巴瘤: children only (assumption ≤14)"),
        pytest.param("I63.9", 60, date(2018, 12, 31), ("2018", "stroke_sequelae", L, IN),
                     id="before 2019 acute stroke is managed with its sequelae (long-term)"),
        pytest.param("I63.9", 60, date(2019, 1, 1), ("2019", "stroke", M, IN),
                     id="[D] 2019 lists 脑卒中: category changes to maintenance"),
        pytest.param("I69.3", 60, date(2019, 1, 1), ("2019", "stroke_sequelae", L, IN),
                     id="sequelae stay long-term management"),
        pytest.param("J43.9", 60, date(2018, 6, 1), ("2018", None, None, LATER),
                     id="emphysema outside until 慢性阻塞性肺气肿 is listed"),
        pytest.param("J43.9", 60, date(2019, 6, 1), ("2019", "copd", L, IN), id="[D] 2019 慢性阻塞性肺气肿"),
        pytest.param("B20.9", 30, date(2018, 6, 1), ("2018", "hiv_aids", M, IN), id="HIV managed before 2019"),
        pytest.param("B20.9", 30, date(2019, 6, 1), ("2019", "hiv_oi", M, IN), id="[D] 2019 艾滋病机会性感染"),
        pytest.param("C67.9", 70, date(2019, 12, 31), ("2019", None, None, LATER), id="bladder cancer before 2020"),
        pytest.param("C67.9", 70, date(2020, 1, 1), ("2020", "bladder_cancer", C, IN), id="[D] 2020 adds 膀胱癌"),
        pytest.param("I05.0", 40, date(2020, 1, 1), ("2020", "rheumatic_heart", C, IN), id="[D] 2020 风湿性心脏病"),
        pytest.param("S72.0", 70, date(2020, 1, 1), ("2020", None, None, OUT), id="femur fracture: never listed"),
        pytest.param("Q21.0", 6, date(2016, 6, 1), (None, None, None, LATER), id="before the first version"),
    ],
)  # fmt: skip
def test_code_on_a_date(
    icd10: str, age: int, on: date, expected: tuple[str | None, str | None, Category | None, TriageReason]
) -> None:
    in_force = HISTORY.on(on)
    result = triage_on(icd10, HISTORY, on, age)
    version = in_force.version if in_force else None
    assert (version, result.disease_code, result.category, result.reason) == expected


@pytest.mark.parametrize(
    ("version", "listed"),
    [
        pytest.param("2017", 9, id="9 (2017) — [S003] 9种大病"),
        pytest.param("2018", 21, id="21 (2018) — [S003] 21种大病"),
        pytest.param("2019", 25, id="25 (2019) — [P2019] 病种增加到25种"),
        pytest.param("2020", 30, id="30 (2020) — [S000] 30种大病"),
    ],
)
def test_national_list_size(version: str, listed: int) -> None:
    catalogue = HISTORY.get(version)
    assert catalogue is not None and len(catalogue.listed_names) == listed
    assert len(set(catalogue.listed_names)) == listed


def test_every_entry_triages_its_example_code_once_listed() -> None:
    latest = HISTORY.latest
    for d in latest.diseases:
        assert d.effective_from is not None
        age = max(d.min_age, min(d.max_age, 40))
        r = triage_on(d.example_icd, HISTORY, date(2021, 1, 1), age)
        assert (r.disease_code, r.category) == (d.code, d.category), d.code
        assert d.source, f"{d.code}: no source"


def _with(tmp_path: Path, old: str, new: str) -> Path:
    for name in ("regions.yaml", "hospitals.yaml"):
        (tmp_path / name).write_text((DATA_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    text = (DATA_DIR / "diseases.yaml").read_text(encoding="utf-8")
    assert old in text
    (tmp_path / "diseases.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        pytest.param("肺癌: lung_cancer", "肺癌: lung_cancr", r"versions\.1 \(2018\): unknown disease code", id="typo"),
        pytest.param("effective_from: 2019-01-01", "effective_from: 2017-06-01", "must follow the version before",
                     id="dates out of order"),
        pytest.param('icd: ["B20"]', 'icd: ["N18.5"]', "N18.5 is claimed by both", id="one code, two diseases"),
        pytest.param("category: long_term, preferred_level: township, in_county: true, min_age: 18",
                     "category: chronic, preferred_level: township, in_county: true, min_age: 18",
                     r"diseases\.\d+\.category", id="unknown category"),
    ],
)  # fmt: skip
def test_bad_catalogue_is_one_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(ConfigFileError, match=message) as err:
        load_catalogue_history(_with(tmp_path, old, new))
    assert "\n" not in str(err.value) and str(err.value).startswith("diseases.yaml")


S = CaseState


@pytest.mark.parametrize(
    ("state", "old", "result", "expected"),
    [
        pytest.param(S.TRIAGED, ("hypertension", "long_term"), TriageResult("hypertension", L, IN),
                     Retriage(False), id="same disease and category: only the stamp"),
        pytest.param(S.TRIAGED, ("stroke_sequelae", "long_term"), TriageResult("stroke", M, IN),
                     Retriage(True, False, "stroke", M, None), id="before treatment the state stays"),
        pytest.param(S.UNDER_MANAGEMENT, ("stroke_sequelae", "long_term"), TriageResult("stroke", M, IN),
                     Retriage(True, False, "stroke", M, S.UNDER_MAINTENANCE), id="treated: to the new outcome"),
        pytest.param(S.UNDER_MANAGEMENT, ("hypertension", "maintenance"), TriageResult("hypertension", L, IN),
                     Retriage(True, False, "hypertension", L, None), id="edited category: re-stamped, same state"),
        pytest.param(S.UNDER_MAINTENANCE, ("hepatitis", "maintenance"), TriageResult(None, None, OUT),
                     Retriage(False, True), id="left the catalogue: flagged, never moved"),
    ],
)  # fmt: skip
def test_retriage_case(state: CaseState, old: tuple[str, str], result: TriageResult, expected: Retriage) -> None:
    assert retriage_case(state, old[0], old[1], result) == expected
