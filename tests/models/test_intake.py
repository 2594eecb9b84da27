"""CSV screening import: every bad row reported by line and field; good files parse completely."""

from __future__ import annotations

from datetime import date

import pytest

from models import national_id
from models.intake import ImportRejected, RowError, parse_screenings

HEADER = "household_ref,national_id,name,region_code,poverty_status,screened_on,icd10"
GOOD_ID = national_id.make("520527", date(1961, 5, 4), 17)
OTHER_ID = national_id.make("520527", date(1990, 1, 2), 18)
BAD_CHECK = GOOD_ID[:17] + ("0" if GOOD_ID[17] != "0" else "1")


def parse(*lines: str) -> list[object]:
    text = "\n".join((HEADER, *lines))
    return parse_screenings(
        text, known_region=lambda c: c in {"520527", "530427"}, known_icd10=lambda c: c[:3] in {"I10", "Q21", "N18"}
    )  # type: ignore[return-value]


def test_good_rows_parse_and_normalise() -> None:
    rows = parse(
        f"H1,{GOOD_ID.lower()},张三,520527,registered_poor,2017-03-02,i10",
        f"H1,{GOOD_ID},张三,520527,registered_poor,2017-03-02,N18.5",
        "",
        f"H2,{OTHER_ID},李四,530427,destitute,2017-03-03,Q21.0",
    )
    assert [r.line for r in rows] == [2, 3, 5]  # type: ignore[attr-defined]
    assert rows[0].icd10 == "I10"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param(
            f"H1,{BAD_CHECK},张三,520527,general,2017-03-02,I10",
            RowError(2, "national_id", "check digit does not match (GB 11643)"),
            id="bad ID check digit",
        ),
        pytest.param(
            f"H1,{GOOD_ID},张三,999999,general,2017-03-02,I10",
            RowError(2, "region_code", "unknown region 999999"),
            id="unknown region",
        ),
        pytest.param(
            f"H1,{GOOD_ID},张三,520527,general,2017-03-02,ZZ9",
            RowError(2, "icd10", "unknown ICD-10 code ZZ9"),
            id="unknown ICD code",
        ),
        pytest.param(
            f"H1,{GOOD_ID},,520527,general,2017-03-02,I10", RowError(2, "name", "missing"), id="missing field"
        ),
        pytest.param(
            f"H1,{GOOD_ID},张三,520527,rich,2017-03-02,I10",
            RowError(
                2,
                "poverty_status",
                "Input should be 'registered_poor', 'minimum_living', 'destitute', 'edge', 'monitored' or 'general'",
            ),
            id="unknown poverty status",
        ),
        pytest.param(
            f"H1,{GOOD_ID},张三,520527,general,2017-02-30,I10",
            RowError(2, "screened_on", "Input should be a valid date or datetime, day value is outside expected range"),
            id="impossible date",
        ),
    ],
)
def test_each_bad_value_names_line_and_field(line: str, expected: RowError) -> None:
    with pytest.raises(ImportRejected) as err:
        parse(line)
    assert err.value.errors == [expected]
    assert GOOD_ID not in str(err.value)


def test_all_bad_rows_are_reported_not_just_the_first() -> None:
    with pytest.raises(ImportRejected) as err:
        parse(
            f"H1,{GOOD_ID},张三,520527,general,2017-03-02,I10",
            f"H2,{BAD_CHECK},李四,999999,general,2017-03-02,ZZ9",
            "H3,,王五,520527,general,2017-03-02,I10",
        )
    assert {(e.line, e.field) for e in err.value.errors} == {
        (3, "national_id"),
        (3, "region_code"),
        (3, "icd10"),
        (4, "national_id"),
    }
    assert "nothing imported" in str(err.value)


def test_same_person_in_two_regions_is_rejected() -> None:
    with pytest.raises(ImportRejected) as err:
        parse(f"H1,{GOOD_ID},张三,520527,general,2017-03-02,I10", f"H1,{GOOD_ID},张三,530427,general,2017-03-02,N18.5")
    assert err.value.errors == [RowError(3, "national_id", "same person as line 2 with another region/household")]


def test_missing_column_in_header() -> None:
    with pytest.raises(ImportRejected) as err:
        parse_screenings("household_ref,name\nH1,x", known_region=lambda c: True, known_icd10=lambda c: True)
    assert {e.field for e in err.value.errors} == {
        "national_id",
        "region_code",
        "poverty_status",
        "screened_on",
        "icd10",
    }
    assert all(e.line == 1 for e in err.value.errors)


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def _arabic_indic(text: str) -> str:
    return "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in text)


def test_ids_and_region_codes_in_other_digits_are_read_as_ascii() -> None:
    rows = parse(
        f"H1,{GOOD_ID},张三,520527,registered_poor,2017-03-02,I10",
        f"H1,{_fullwidth(GOOD_ID)},张三,{_fullwidth('520527')},registered_poor,2017-03-02,N18.5",
        f"H1,{_arabic_indic(GOOD_ID)},张三,{_arabic_indic('520527')},registered_poor,2017-03-02,Q21.0",
    )
    assert {(r.national_id, r.region_code) for r in rows} == {(GOOD_ID, "520527")}  # type: ignore[attr-defined]


def test_the_same_person_in_other_digits_is_still_one_person() -> None:
    with pytest.raises(ImportRejected) as err:
        parse(
            f"H1,{GOOD_ID},张三,520527,registered_poor,2017-03-02,I10",
            f"H2,{_fullwidth(GOOD_ID)},张三,520527,registered_poor,2017-03-02,N18.5",
        )
    assert err.value.errors == [RowError(3, "national_id", "same person as line 2 with another region/household")]


def test_one_household_ref_cannot_span_two_regions() -> None:
    with pytest.raises(ImportRejected) as err:
        parse(
            f"H1,{GOOD_ID},张三,520527,registered_poor,2017-03-02,I10",
            f"H1,{OTHER_ID},李四,530427,destitute,2017-03-03,Q21.0",
        )
    assert err.value.errors == [RowError(3, "household_ref", "same household as line 2 with another region")]


def test_a_region_without_a_settlement_policy_is_refused_by_line() -> None:
    """乌兰察布 (150902…): its seed text (003 篇2: "基本+补充" … "先垫付、后结算") gives no reimbursement figure, so
    no policy settles it and intake refuses its rows, naming the line, the field and the reason."""
    from config.policies import settlement_refusal

    text = "\n".join(
        (
            HEADER,
            f"H1,{GOOD_ID},张三,150902,general,2017-03-02,I10",
            f"H2,{OTHER_ID},李四,520527,general,2017-03-02,I10",
        )
    )
    with pytest.raises(ImportRejected) as err:
        parse_screenings(
            text, known_region=lambda c: True, known_icd10=lambda c: True, settled_region=settlement_refusal
        )
    assert err.value.errors == [
        RowError(
            2,
            "region_code",
            "region 150902 has no settlement policy (its seed text gives no reimbursement figures): not taken in",
        )
    ]
