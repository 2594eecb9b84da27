"""Property-based fuzzing of the bill JSON (``settle-preview``): every bad value of every field is
rejected with ``BillError`` naming that field; good bills always settle to their total; arbitrary JSON
never escapes as another exception. A sample goes through the CLI too (exit 2, ``invalid bill: FIELD:``)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from config.policies import load_policies
from models.enums import CareSetting, HospitalLevel, HospitalLocation, PovertyStatus
from models.settlement.bill import BillError, shown
from models.settlement.policy import PayerLayer
from models.settlement.preview import preview
from tests.reliability.conftest import FIGURES

POLICIES = load_policies()
BASE: dict[str, Any] = {
    "region": "520527",
    "service_date": "2017-02-10",
    "setting": "inpatient",
    "hospital_level": "level2",
    "hospital_location": "in_county",
    "patient": {"poverty_status": "destitute", "age": 76, "groups": []},
    "total": "39467.00",
    "out_of_scope": "733.00",
    "sessions": 0,
}
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- bad values, by construction ----------------------------------------------------------------------

letters = st.text(st.characters(exclude_categories=["Nd", "Cs"]), min_size=1).filter(lambda t: t.strip() != "")
not_json_scalar = st.one_of(st.none(), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(), st.integers()))
too_many_decimals = st.decimals(min_value=0, max_value=10**6, places=3).filter(
    lambda d: d != d.quantize(Decimal("0.01"))
)
bad_money = st.one_of(
    letters.filter(lambda t: not _decimal_text(t)),
    st.integers(max_value=-1),
    st.decimals(max_value=Decimal("-0.01"), places=2).map(str),
    too_many_decimals.map(str),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "sNaN", "1e16", "1e400", "12,50", "¥12", ""]),
    st.integers(min_value=10**16, max_value=10**40),
    st.booleans(),
    not_json_scalar,
)
not_a_count = st.one_of(
    st.integers(max_value=-1),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f != int(f)),
    letters.filter(lambda t: not t.strip().lstrip("+-").isdigit()),
    not_json_scalar,
)
bad_date = st.one_of(
    letters.filter(lambda t: not t.strip()[:1].isdigit()),
    st.integers().map(str),
    st.integers(),
    st.floats(allow_nan=False),
    st.dates().map(lambda d: d.strftime("%Y/%m/%d")),
    st.dates().map(lambda d: d.strftime("%d.%m.%Y")),
    st.dates().map(lambda d: d.strftime("%Y%m%d")),
    st.tuples(st.integers(2000, 2030), st.integers(13, 99), st.integers(1, 28)).map(
        lambda t: f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}"
    ),
    st.sampled_from(["2017-02-29", "2016-02-30", "2017-04-31", "2017-00-10", "2017-01-00"]),
    st.dates(max_value=date(2015, 12, 31)).map(date.isoformat),  # before any policy of 520527
    st.datetimes().map(lambda d: d.isoformat()),
    not_json_scalar,
)


def _decimal_text(t: str) -> bool:
    try:
        Decimal(t.strip())
    except ArithmeticError:
        return False
    return True


def not_in(values: set[str]) -> st.SearchStrategy[Any]:
    return st.one_of(st.text().filter(lambda t: t not in values), st.integers(), not_json_scalar)


SETTINGS, LEVELS, LOCATIONS = ({m.value for m in e} for e in (CareSetting, HospitalLevel, HospitalLocation))
STATUSES, LAYERS = {m.value for m in PovertyStatus}, {m.value for m in PayerLayer}
REGIONS_WITH_POLICY = {p.region for p in POLICIES.policies}

#: (field path as BillError names it, strategy of bill documents with exactly that field spoiled)
CASES: list[tuple[str, st.SearchStrategy[dict[str, Any]]]] = [
    (f, bad.map(lambda v, f=f: {**BASE, f: v}))
    for f, bad in [
        ("total", bad_money),
        ("out_of_scope", bad_money),
        ("sessions", not_a_count),
        ("service_date", bad_date),
        ("setting", not_in(SETTINGS)),
        ("hospital_level", not_in(LEVELS)),
        ("hospital_location", not_in(LOCATIONS)),
        (
            "region",
            st.one_of(
                st.text().filter(lambda t: not (t.isascii() and t.isdigit() and len(t) == 6)),
                st.integers(),
                st.sampled_from(["５２０５２７", "520527 ", "52052"]),
            ),
        ),
        ("region", st.from_regex(r"[0-9]{6}", fullmatch=True).filter(lambda r: r not in REGIONS_WITH_POLICY)),
        ("patient", st.one_of(st.text(), st.integers(), st.lists(st.integers(), max_size=2))),
        ("prior_paid", st.one_of(st.text(), st.integers(), st.lists(st.integers(), max_size=2))),
    ]
] + [
    ("patient.age", not_a_count.map(lambda v: {**BASE, "patient": {**BASE["patient"], "age": v}})),
    ("patient.age", st.integers(min_value=131).map(lambda v: {**BASE, "patient": {**BASE["patient"], "age": v}})),
    (
        "patient.poverty_status",
        not_in(STATUSES).map(lambda v: {**BASE, "patient": {**BASE["patient"], "poverty_status": v}}),
    ),
    (
        "patient.groups",
        st.lists(st.text(min_size=1), min_size=1, max_size=3)
        .filter(lambda g: not set(g) <= POLICIES.known_groups())
        .map(lambda g: {**BASE, "patient": {**BASE["patient"], "groups": g}}),
    ),
    (
        "out_of_scope",
        st.decimals(min_value=0, max_value=10**6, places=2).map(
            lambda t: {**BASE, "total": str(t), "out_of_scope": str(t + Decimal("0.01"))}
        ),
    ),
]


@st.composite
def spoiled(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """One bad value in one field — or a missing required field, an unknown field, a bad prior layer."""
    kind = draw(st.sampled_from(["field", "field", "field", "missing", "extra", "prior_layer", "prior_money"]))
    if kind == "field":
        field, strategy = draw(st.sampled_from(CASES))
        return field, draw(strategy)
    if kind == "missing":
        field = draw(
            st.sampled_from(
                ["region", "service_date", "setting", "hospital_level", "hospital_location", "patient", "total"]
            )
        )
        return field, {k: v for k, v in BASE.items() if k != field}
    if kind == "extra":
        key = draw(st.text(min_size=1).filter(lambda k: k not in BASE and k != "prior_paid"))
        return key, {**BASE, key: draw(st.integers())}
    layer = draw(st.sampled_from(sorted(LAYERS)))
    if kind == "prior_layer":
        key = draw(st.text().filter(lambda k: k not in LAYERS))
        return f"prior_paid.{key}", {**BASE, "prior_paid": {key: {"paid": "0"}}}
    which = draw(st.sampled_from(["paid", "deductible"]))
    return f"prior_paid.{layer}.{which}", {**BASE, "prior_paid": {layer: {which: draw(bad_money)}}}


@FUZZ
@given(spoiled())
def test_every_bad_value_is_rejected_naming_its_field(case: tuple[str, dict[str, Any]]) -> None:
    field, bill = case
    FIGURES["fuzz: bad bills"] += 1
    try:
        preview(bill, POLICIES)
    except BillError as exc:
        assert exc.field == field or exc.field.startswith(f"{field}."), (exc.field, field, str(exc))
        assert str(exc).startswith(f"{shown(exc.field)}: ") and len(str(exc)) > len(shown(exc.field)) + 4
    else:
        raise AssertionError(f"accepted a bad {field}: {bill.get(field.split('.')[0])!r}")


money = st.decimals(min_value=0, max_value=10**7, places=2)


@st.composite
def good_bills(draw: st.DrawFn) -> dict[str, Any]:
    region = draw(st.sampled_from(sorted(REGIONS_WITH_POLICY)))
    start = min(p.effective_from for p in POLICIES.policies if p.region == region)
    total = draw(money)
    as_text = draw(st.sampled_from([str, lambda d: float(d) if d < 10**6 else str(d), lambda d: f" {d} "]))
    return {
        "region": region,
        "service_date": (start + timedelta(days=draw(st.integers(0, 2000)))).isoformat(),
        "setting": draw(st.sampled_from(sorted(SETTINGS))),
        "hospital_level": draw(st.sampled_from(sorted(LEVELS))),
        "hospital_location": draw(st.sampled_from(sorted(LOCATIONS))),
        "patient": {
            "poverty_status": draw(st.sampled_from(sorted(STATUSES))),
            "age": draw(st.integers(0, 130)),
            "groups": draw(st.lists(st.sampled_from(sorted(POLICIES.known_groups())), max_size=3, unique=True)),
        },
        "total": as_text(total),
        "out_of_scope": str(draw(st.decimals(min_value=0, max_value=total, places=2))),
        "sessions": draw(st.integers(0, 400)),
    }


@FUZZ
@given(good_bills())
def test_good_bills_settle_to_their_total(bill: dict[str, Any]) -> None:
    FIGURES["fuzz: good bills"] += 1
    out = preview(bill, POLICIES)
    paid = sum((Decimal(ln["paid"]) for ln in out["layers"]), Decimal(out["patient_pays"]))
    assert paid == Decimal(out["total"]) == Decimal(str(bill["total"]).strip()).quantize(Decimal("0.01"))
    assert all(Decimal(ln["paid"]) >= 0 for ln in out["layers"]) and Decimal(out["patient_pays"]) >= 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@FUZZ
@given(st.one_of(json_values, st.dictionaries(st.sampled_from(sorted(BASE)), json_values).map(lambda d: {**BASE, **d})))
def test_arbitrary_json_is_a_bill_or_a_bill_error(doc: Any) -> None:
    FIGURES["fuzz: arbitrary bill documents"] += 1
    try:
        preview(doc, POLICIES)
    except BillError as exc:
        assert exc.field and str(exc).startswith(exc.field)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spoiled())
def test_cli_settle_preview_exits_2_naming_the_field(tmp_path: Path, case: tuple[str, dict[str, Any]]) -> None:
    from cli.app import app

    field, bill = case
    FIGURES["fuzz: settle-preview CLI runs"] += 1
    path = tmp_path / "bill.json"
    path.write_text(json.dumps(bill, ensure_ascii=False, default=str), encoding="utf-8")
    result = CliRunner().invoke(app, ["settle-preview", str(path)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"invalid bill: {shown(field)}"), (field, result.stderr)
    assert result.stderr.count("\n") == 1 and "\r" not in result.stderr, "one line, whatever the field name"
