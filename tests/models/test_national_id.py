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
