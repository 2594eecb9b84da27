"""Triage of every catalogue entry, codes outside it, extension codes, age and date limits."""

from __future__ import annotations

from datetime import date

import pytest

from config.catalogue import load_catalogue
from models.catalogue import is_known_icd10, normalise_icd10, triage
from models.enums import Category, TriageReason

CATALOGUE = load_catalogue()  # the latest version: every disease, each with the date it was first listed
ON = date(2021, 1, 1)


@pytest.mark.parametrize("disease", CATALOGUE.diseases, ids=[d.code for d in CATALOGUE.diseases])
def test_every_catalogue_entry_triages_its_example_code(disease: object) -> None:
    d = disease
    age = max(d.min_age, min(d.max_age, 40))  # type: ignore[attr-defined]
    result = triage(d.example_icd, CATALOGUE, ON, age)  # type: ignore[attr-defined]
    assert (result.disease_code, result.category, result.reason) == (d.code, d.category, TriageReason.IN_CATALOGUE)  # type: ignore[attr-defined]


SEED_DISEASES = {
    "chd_child": Category.ONE_TIME_CURE,
    "cleft_lip_palate": Category.ONE_TIME_CURE,
    "cataract": Category.ONE_TIME_CURE,
    "tuberculosis": Category.MAINTENANCE,
    "hiv_aids": Category.MAINTENANCE,
    "hepatitis": Category.MAINTENANCE,
    "esrd_dialysis": Category.MAINTENANCE,
    "childhood_leukaemia": Category.MAINTENANCE,
    "oesophageal_cancer": Category.ONE_TIME_CURE,
    "gastric_cancer": Category.ONE_TIME_CURE,
    "colorectal_cancer": Category.ONE_TIME_CURE,
    "hypertension": Category.LONG_TERM,
    "diabetes": Category.LONG_TERM,
    "severe_mental_disorder": Category.LONG_TERM,
}


def test_catalogue_ships_every_disease_the_seeds_name() -> None:
    shipped = {d.code: d.category for d in CATALOGUE.diseases}
    assert {k: shipped.get(k) for k in SEED_DISEASES} == SEED_DISEASES


@pytest.mark.parametrize(
    ("icd10", "age", "on", "expected"),
    [
        pytest.param("I10.x00", 60, ON, ("hypertension", TriageReason.IN_CATALOGUE), id="national extension code"),
        pytest.param(" e11.9 ", 50, ON, ("diabetes", TriageReason.IN_CATALOGUE), id="lower case and spaces"),
        pytest.param("Q25.1", 6, ON, ("chd_child", TriageReason.IN_CATALOGUE), id="inside a 3-char range"),
        pytest.param("N18.5", 50, ON, ("esrd_dialysis", TriageReason.IN_CATALOGUE), id="4-char code"),
        pytest.param("N18.3", 50, ON, (None, TriageReason.NOT_IN_CATALOGUE), id="CKD stage 3 is not end-stage"),
        pytest.param("S72.0", 70, ON, (None, TriageReason.NOT_IN_CATALOGUE), id="femur fracture outside catalogue"),
        pytest.param("K85.9", 40, ON, (None, TriageReason.NOT_IN_CATALOGUE), id="pancreatitis outside catalogue"),
        pytest.param("C91.0", 30, ON, (None, TriageReason.OUTSIDE_AGE_LIMIT), id="childhood leukaemia in an adult"),
        pytest.param("Q21.0", 6, date(2015, 6, 1), (None, TriageReason.CATALOGUE_INACTIVE), id="before it was listed"),
    ],
)
def test_triage_rows(icd10: str, age: int, on: date, expected: tuple[str | None, TriageReason]) -> None:
    result = triage(icd10, CATALOGUE, on, age)
    assert (result.disease_code, result.reason) == expected
    assert (result.category is None) == (expected[0] is None)


@pytest.mark.parametrize(
    ("code", "known"),
    [
        pytest.param("I10", True, id="3-char"),
        pytest.param("N18.5", True, id="4-char"),
        pytest.param("I10.x00", True, id="extension"),
        pytest.param("ZZ9", False, id="two letters"),
        pytest.param("I1", False, id="too short"),
        pytest.param("U07.1", False, id="chapter U reserved"),
        pytest.param("", False, id="empty"),
    ],
)
def test_is_known_icd10(code: str, known: bool) -> None:
    assert is_known_icd10(code) is known


def test_normalise_drops_extension() -> None:
    assert normalise_icd10("i10.x00") == "I10"
    assert normalise_icd10("N18.501") == "N18.5"
