"""Referral choice: preferred level, in-county rule, capacity, green channel, two-way referral."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from models.catalogue import Disease
from models.enums import Category, HospitalLevel, HospitalLocation, ReferralDirection, ReferralReason
from models.referral import DesignatedHospital, Together, choose_hospital, has_room, location_of, waiting_rank

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


HT = TB.model_copy(update={"code": "ht", "preferred_level": L.TOWNSHIP})
DM = TB.model_copy(update={"code": "dm", "preferred_level": L.TOWNSHIP})
TH1 = h("th1", L.TOWNSHIP, "520527", diseases=("ht", "dm"))
TH2 = h("th2", L.TOWNSHIP, "520527", diseases=("ht", "dm"))
TH3 = h("th3", L.TOWNSHIP, "520527", diseases=("ht",))
COUNTY_ALL = h("county", L.LEVEL2, "520527", diseases=("ht", "dm", "tb"))
TOWNS = [TH1, TH2, TH3, COUNTY_ALL]


@pytest.mark.parametrize(
    ("disease", "hospitals", "load", "together", "exclude", "expected"),
    [
        pytest.param(HT, TOWNS, {"th1": 1}, Together(), frozenset(), "th2",
                     id="alone: the least loaded township"),
        pytest.param(DM, TOWNS, {"th1": 1}, Together(frozenset({"ht"}), frozenset({"th1"})), frozenset(), "th1",
                     id="issue 17: diabetes follows the patient's hypertension to its township, not a second one"),
        pytest.param(HT, TOWNS, {}, Together(frozenset({"dm"})), frozenset(), "th1",
                     id="first of two cases: a township treating both, not th3 (hypertension only)"),
        pytest.param(HT, [TH3, COUNTY_ALL], {}, Together(frozenset({"tb"})), frozenset(), "county",
                     id="designated for all the patient's open cases wins over the disease's preferred level"),
        pytest.param(HT, [TH3, COUNTY_ALL, CITY], {}, Together(frozenset({"tb", "chd"})), frozenset(), "th3",
                     id="nobody in the county covers all: the preferred level again"),
        pytest.param(DM, TOWNS, {"th1": 10}, Together(frozenset({"ht"}), frozenset({"th1"})), frozenset(), "th2",
                     id="preferred hospital full: another one that covers both"),
        pytest.param(TB, ALL, {}, Together(), frozenset({"county-b"}), "county-ph",
                     id="a hospital that declined the case is not asked again"),
        pytest.param(TB, [COUNTY_B], {}, Together(), frozenset({"county-b"}), None,
                     id="every designated hospital declined: none left"),
    ],
)  # fmt: skip
def test_one_hospital_for_all_open_cases(
    disease: Disease,
    hospitals: list[DesignatedHospital],
    load: dict[str, int],
    together: Together,
    exclude: frozenset[str],
    expected: str | None,
) -> None:
    assert choose_hospital(disease, "520527", hospitals, load, together=together, exclude=exclude).hospital_code == (
        expected
    )


POOLS = DesignatedHospital(
    code="ph", name="ph", level=L.LEVEL2, region="520527", capacity=2, diseases=["tb", "chd", "ht"],
    beds={"tb": 1}, monthly_slots={"ht": 3},
)  # fmt: skip


@pytest.mark.parametrize(
    ("disease", "load", "pool", "room"),
    [
        pytest.param("chd", {"ph": 1}, "ph", True, id="shared beds: one of two used"),
        pytest.param("chd", {"ph": 2}, "ph", False, id="shared beds full"),
        pytest.param("tb", {"ph": 2}, "ph/tb", True, id="own beds: the shared ones being full does not matter"),
        pytest.param("tb", {"ph/tb": 1}, "ph/tb", False, id="own beds full"),
        pytest.param("ht", {"ph/ht": 2}, "ph/ht", True, id="monthly slots: two of three used this month"),
        pytest.param("ht", {"ph/ht": 3}, "ph/ht", False, id="monthly slots used up"),
    ],
)
def test_capacity_pools(disease: str, load: dict[str, int], pool: str, room: bool) -> None:
    assert (POOLS.pool(disease), has_room(POOLS, disease, load)) == (pool, room)


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"beds": {"cataract": 1}}, id="own beds for a disease the hospital is not designated for"),
        pytest.param({"beds": {"tb": 1}, "monthly_slots": {"tb": 1}}, id="both beds and monthly slots"),
        pytest.param({"monthly_slots": {"tb": -1}}, id="negative"),
    ],
)
def test_capacity_config_is_checked(bad: dict[str, dict[str, int]]) -> None:
    with pytest.raises(ValueError, match=r"beds|monthly_slots"):
        DesignatedHospital(code="x", name="x", level=L.LEVEL2, region="520527", capacity=1, diseases=["tb"], **bad)


T0 = datetime(2017, 4, 1, 8, 0)


@pytest.mark.parametrize(
    ("rows", "order"),
    [
        pytest.param([(False, T0, 1), (True, T0 + timedelta(days=9), 2)], [2, 1],
                     id="green channel first, however recent"),
        pytest.param([(False, T0 + timedelta(days=1), 1), (False, T0, 2)], [2, 1], id="then the longest wait"),
        pytest.param([(False, T0, 7), (False, T0, 3)], [3, 7], id="same time: case id"),
    ],
)  # fmt: skip
def test_waiting_order(rows: list[tuple[bool, datetime, int]], order: list[int]) -> None:
    assert [r[2] for r in sorted(rows, key=lambda r: waiting_rank(*r))] == order
