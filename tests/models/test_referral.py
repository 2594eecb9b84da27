"""Referral choice: preferred level, in-county rule, capacity, green channel, two-way referral."""

from __future__ import annotations

from datetime import date

import pytest

from models.catalogue import Disease
from models.enums import Category, HospitalLevel, HospitalLocation, ReferralDirection, ReferralReason
from models.referral import DesignatedHospital, choose_hospital, location_of

L = HospitalLevel
TB = Disease(
    code="tb",
    name_zh="结核病",
    name_en="TB",
    icd=["A15"],
    category=Category.MAINTENANCE,
    preferred_level=L.LEVEL2,
    in_county=True,
    example_icd="A15.0",
    effective_from=date(2016, 1, 1),
)
CHD = TB.model_copy(update={"code": "chd", "preferred_level": L.LEVEL3, "in_county": False})


def h(
    code: str,
    level: HospitalLevel,
    region: str,
    capacity: int = 10,
    green: bool = False,
    diseases: tuple[str, ...] = ("tb", "chd"),
) -> DesignatedHospital:
    return DesignatedHospital(
        code=code,
        name=code,
        level=level,
        region=region,
        capacity=capacity,
        green_channel=green,
        diseases=list(diseases),
    )


COUNTY_PH = h("county-ph", L.LEVEL2, "520527", green=True)
COUNTY_B = h("county-b", L.LEVEL2, "520527")
TOWNSHIP = h("township", L.TOWNSHIP, "520527")
CITY = h("city", L.LEVEL3, "520500", green=True)
PROV = h("prov", L.LEVEL3, "520000", green=True)
OTHER_PROVINCE = h("other", L.LEVEL3, "530000", green=True)
ALL = [COUNTY_PH, COUNTY_B, TOWNSHIP, CITY, PROV, OTHER_PROVINCE]


@pytest.mark.parametrize(
    ("disease", "hospitals", "load", "kwargs", "expected"),
    [
        pytest.param(TB, ALL, {}, {}, ("county-b", None, False), id="preferred level in county, tie broken by code"),
        pytest.param(TB, ALL, {"county-b": 5}, {}, ("county-ph", None, False), id="lower load ratio wins the tie"),
        pytest.param(
            TB,
            ALL,
            {"county-b": 10, "county-ph": 10},
            {},
            ("township", None, False),
            id="county full: nearest level still in county",
        ),
        pytest.param(
            TB,
            [COUNTY_PH, CITY],
            {"county-ph": 10},
            {},
            ("city", None, False),
            id="nothing free in county: out of county",
        ),
        pytest.param(CHD, ALL, {}, {}, ("city", None, False), id="level3 disease goes to the city, code tie-break"),
        pytest.param(
            TB,
            [COUNTY_PH, OTHER_PROVINCE],
            {"county-ph": 10},
            {},
            (None, ReferralReason.NO_CAPACITY, False),
            id="out-of-province hospitals are not candidates; all full",
        ),
        pytest.param(
            TB,
            [h("x", L.LEVEL2, "520527", diseases=("chd",))],
            {},
            {},
            (None, ReferralReason.NO_DESIGNATED_HOSPITAL, False),
            id="no hospital designated for it",
        ),
        pytest.param(TB, ALL, {}, {"urgent": True}, ("city", None, True), id="urgent: green channel, highest level"),
        pytest.param(
            TB,
            ALL,
            {},
            {"direction": ReferralDirection.UP, "current_level": L.LEVEL2},
            ("city", None, False),
            id="up-referral needs a higher level",
        ),
        pytest.param(
            TB,
            ALL,
            {},
            {"direction": ReferralDirection.DOWN, "current_level": L.LEVEL3},
            ("county-b", None, False),
            id="down-referral back to the county",
        ),
        pytest.param(
            TB,
            ALL,
            {},
            {"direction": ReferralDirection.DOWN, "current_level": L.LEVEL2},
            ("township", None, False),
            id="down from county goes to the township",
        ),
        pytest.param(
            TB,
            [COUNTY_PH],
            {},
            {"direction": ReferralDirection.UP, "current_level": L.LEVEL3},
            (None, ReferralReason.NO_DESIGNATED_HOSPITAL, False),
            id="nothing above level3",
        ),
    ],
)
def test_choose_hospital(
    disease: Disease,
    hospitals: list[DesignatedHospital],
    load: dict[str, int],
    kwargs: dict[str, object],
    expected: tuple[object, ...],
) -> None:
    choice = choose_hospital(disease, "520527", hospitals, load, **kwargs)  # type: ignore[arg-type]
    assert (choice.hospital_code, choice.reason, choice.green_channel) == expected


@pytest.mark.parametrize(
    ("hospital_region", "expected"),
    [
        pytest.param("520527", HospitalLocation.IN_COUNTY, id="same county"),
        pytest.param("520500", HospitalLocation.OUT_OF_COUNTY, id="own city"),
        pytest.param("520000", HospitalLocation.OUT_OF_COUNTY, id="own province"),
        pytest.param("530427", HospitalLocation.OUT_OF_PROVINCE, id="another province"),
    ],
)
def test_location_of(hospital_region: str, expected: HospitalLocation) -> None:
    assert location_of("520527", hospital_region) == expected
