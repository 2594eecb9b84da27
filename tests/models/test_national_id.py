from __future__ import annotations

from datetime import date

import pytest

from models import national_id
from models.national_id import NationalIdError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("11010519491231002X", "11010519491231002X", id="GB 11643 standard example with X check"),
        pytest.param("11010519491231002x", "11010519491231002X", id="lower-case x is normalised"),
        pytest.param(" 440524188001010014 ", "440524188001010014", id="whitespace stripped, digit check"),
    ],
)
def test_valid_numbers(value: str, expected: str) -> None:
    assert national_id.normalise(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("110105194912310021", "check digit", id="wrong check digit"),
        pytest.param("11010519491331002X", "birth date", id="month 13"),
        pytest.param("1101051949123100", "17 digits", id="too short"),
        pytest.param("11010519491231002A", "17 digits", id="letter other than X"),
        pytest.param("", "17 digits", id="empty"),
    ],
)
def test_invalid_numbers_never_echo_the_value(value: str, message: str) -> None:
    with pytest.raises(NationalIdError) as err:
        national_id.normalise(value)
    assert message in str(err.value)
    assert value.strip() == "" or value.strip() not in str(err.value)


def test_make_produces_valid_numbers_and_decodes() -> None:
    nid = national_id.make("520527", date(1950, 2, 28), 123)
    assert national_id.normalise(nid) == nid
    assert national_id.birth_date(nid) == date(1950, 2, 28)
    assert national_id.sex(nid) == "M"


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def _arabic_indic(text: str) -> str:
    return "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in text)


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param(_fullwidth("11010519491231002X"), id="full-width digits and X"),
        pytest.param(_fullwidth("11010519491231002x"), id="full-width digits and lower-case x"),
        pytest.param(_arabic_indic("11010519491231002") + "X", id="Arabic-Indic digits"),
        pytest.param("".join(chr(0x0966 + int(c)) for c in "11010519491231002") + "x", id="Devanagari digits"),
        pytest.param("1101051949" + _fullwidth("1231") + _arabic_indic("002") + "X", id="mixed scripts"),
    ],
)
def test_unicode_digits_are_read_as_ascii(typed: str) -> None:
    """One person, one canonical form: the lookup hash and the birth date come from the ASCII number."""
    value = national_id.normalise(typed)
    assert value == "11010519491231002X" and value.isascii()
    assert national_id.birth_date(value) == date(1949, 12, 31)


def test_non_digit_lookalikes_are_refused() -> None:
    with pytest.raises(NationalIdError, match="17 digits"):
        national_id.normalise("1101051949123100二X")  # a CJK numeral: numeric, not a decimal digit
