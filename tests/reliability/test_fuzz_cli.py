"""Property-based fuzzing of every coordinator command's parameters (typer CliRunner): ids, dates,
amounts, ICD-10 codes, region codes, session counts, actor, outcome and the identity options. One bad
value → exit status 2, one line ``invalid input: <command>: Invalid value for '<parameter>'…`` and no flow
started; all-good values → the flow is started with exactly the parsed values. Flows are replaced by recording
stubs (no Prefect)."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import cli.app
import cli.render
import flows.demo
import flows.intake
import flows.nightly
import flows.pathway
import flows.settlement
import runtime.up
import tasks.ops.demo_db
import tasks.pathway.intake
import tasks.reports.ledger
from cli.params import MAX_INT
from models import national_id
from models.catalogue import is_known_icd10
from models.common import MAX_AMOUNT
from models.enums import FollowUpOutcome, PovertyStatus
from tests.reliability.conftest import FIGURES
from tests.reliability.strategies import BAD, REGIONS, icd10, longer_than, text_of

CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []


class _Out:
    """What a stubbed flow returns: dumps as {} and answers every other attribute (a count, a list) falsy."""

    def model_dump(self, mode: str = "json") -> dict[str, Any]:
        return {}

    def __getattr__(self, name: str) -> Any:
        return 0


def _stub(name: str, is_async: bool, returns: Any = None) -> Any:
    def record(*args: Any, **kwargs: Any) -> Any:
        CALLS.append((name, args, kwargs))
        return _Out() if returns is None else returns

    async def record_async(*args: Any, **kwargs: Any) -> Any:
        return record(*args, **kwargs)

    return record_async if is_async else record


@pytest.fixture()
def stubs(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    for module, name, is_async in [
        (flows.intake, "import_screenings", True),
        (flows.intake, "screen_patient", True),
        (flows.pathway, "confirm_diagnosis", True),
        (flows.pathway, "refer", True),
        (flows.pathway, "admit", True),
        (flows.pathway, "discharge", True),
        (flows.settlement, "settle_discharge", True),
        (flows.nightly, "nightly_adjustment", True),
        (flows.demo, "county_demo", False),
        (cli.render, "print_ledger", False),
        (tasks.reports.ledger, "ledger_for", False),  # the actor check and the ledger
        (tasks.ops.demo_db, "check_demo_database", False),  # the fixture's database is not a demo's
    ]:
        monkeypatch.setattr(module, name, _stub(name, is_async))
    monkeypatch.setattr(tasks.pathway.intake, "register_patient", _stub("register_patient", False, returns=1))
    monkeypatch.setattr(flows.pathway, "record_follow_up", _stub("record_follow_up", True, returns=0))
    monkeypatch.setattr(runtime.up, "use_running_local_server", lambda: None)
    monkeypatch.setattr(cli.app, "_use_database", lambda url: None)
    csv = tmp_path / "in.csv"
    csv.write_text("x\n", encoding="utf-8")
    nid = national_id.make("520527", date(1960, 1, 2), 5)
    IDENTITY.write_text(json.dumps({"national_id": nid, "name": "张三"}), encoding="utf-8")
    yield csv


# --- values: (good strategy, bad strategy, how the command receives a good one) --------------------------

letters = st.text(st.characters(exclude_categories=["Nd", "Cs"]), min_size=1, max_size=8)
ID = (
    st.integers(1, MAX_INT),
    st.one_of(st.integers(max_value=0), st.integers(min_value=MAX_INT + 1), letters, st.sampled_from(["1.5", "1e3"])),
)
DATE = (st.dates(date(1900, 1, 1), date(2100, 12, 31)).map(date.isoformat), BAD["screened_on"])
#: a night after today is refused (tests/flows/test_nightly_guard.py); yesterday is in the past in every timezone
PAST = (st.dates(date(1900, 1, 1), date.today() - timedelta(days=1)).map(date.isoformat), BAD["screened_on"])
AMOUNT = (
    st.decimals(min_value=0, max_value=MAX_AMOUNT, places=2).map(str),
    st.one_of(
        st.decimals(max_value=Decimal("-0.01"), places=2).map(str),
        st.decimals(min_value=MAX_AMOUNT + Decimal("0.01"), max_value=10**16, places=2).map(str),  # over the bound
        st.decimals(min_value=0, max_value=10**6, places=3).filter(lambda d: d != d.quantize(Decimal("0.01"))).map(str),
        st.sampled_from(["", "abc", "NaN", "Infinity", "1e16", "1e400", "12,50", "¥5", "0x10"]),
    ),
)
ICD = (
    icd10,
    st.one_of(
        st.sampled_from(["U07.1", "I١٠", "I1O", "1I0", "I10.12345", "I10-I15"]),
        text_of(16).filter(lambda t: t.strip() != "" and not is_known_icd10(t)),
    ),
)
REGION = (
    st.sampled_from(REGIONS),
    st.one_of(
        st.from_regex(r"[0-9]{6}", fullmatch=True).filter(lambda r: r not in REGIONS),
        st.sampled_from(["52052", "", "all", "５２０５２"]),  # full-width digits are read as ASCII: 52052
    ),
)
SESSIONS = (st.integers(0, MAX_INT), st.one_of(st.integers(max_value=-1), st.integers(min_value=MAX_INT + 1), letters))
ACTOR = (text_of(60).filter(lambda t: not re.search("[0-9]{15}", t)), BAD["name"])
OUTCOME = (
    st.sampled_from([o.value for o in FollowUpOutcome] + [" Stable ", "DIED"]),
    st.one_of(st.sampled_from(["", " ", "张三丰 520527195003040115 stable"]), longer_than(40)),
)
HOUSEHOLD = (text_of(40), BAD["household_ref"])
#: register reads the ID number and name from a file (never the command line); its fields are fuzzed in
#: tests/cli/test_cli_identity.py
IDENTITY = Path(tempfile.gettempdir()) / "dabing-fuzz-identity.json"
IDENTITY_FILE = (st.just(str(IDENTITY)), st.just(str(IDENTITY.with_name("dabing-fuzz-missing.json"))))
POVERTY = (st.sampled_from([s.value for s in PovertyStatus]), text_of(12).filter(lambda t: t not in set(PovertyStatus)))

#: command → ordered positional parameters and options: (click's name for it, values)
COMMANDS: dict[str, tuple[list[tuple[str, Any]], list[tuple[str, Any]]]] = {
    "screen": ([("patient_id", ID), ("icd10", ICD), ("screened_on", DATE)], [("--actor", ACTOR)]),
    "confirm": ([("case_id", ID), ("confirmed_on", DATE)], [("--icd10", ICD), ("--actor", ACTOR)]),
    "refer": ([("case_id", ID), ("referred_on", DATE)], [("--actor", ACTOR)]),
    "admit": ([("case_id", ID), ("admitted_on", DATE)], [("--actor", ACTOR)]),
    "discharge": (
        [("case_id", ID), ("discharged_on", DATE), ("total_cost", AMOUNT)],
        [("--out-of-scope", AMOUNT), ("--sessions", SESSIONS), ("--actor", ACTOR)],
    ),
    "follow-up": ([("case_id", ID), ("followed_on", DATE)], [("--outcome", OUTCOME), ("--actor", ACTOR)]),
    "settle": ([("case_id", ID)], [("--actor", ACTOR)]),
    "ledger": ([], [("--region-code", REGION)]),
    "nightly": ([], [("--night", PAST), ("--region-code", REGION)]),
    "demo": ([], [("--region-code", REGION), ("--start", DATE)]),
    "import": ([], [("--actor", ACTOR)]),
    "register": (
        [],
        [
            ("--household-ref", HOUSEHOLD),
            ("--identity-file", IDENTITY_FILE),
            ("--region-code", REGION),
            ("--poverty-status", POVERTY),
        ],
    ),
}


def _argv(command: str, options: list[tuple[str, str]], positional: list[str], csv: Path) -> list[str]:
    """Options as --name=value (a value may start with '-'), then '--' and the positional values."""
    extra = [str(csv)] if command == "import" else []
    return [command, *(f"{name}={value}" for name, value in options), "--", *extra, *positional]


def _flat(output: str) -> str:
    return " ".join(output.replace("│", " ").split())


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_a_bad_parameter_is_named_and_starts_nothing(stubs: Path, data: st.DataObject) -> None:
    command = data.draw(st.sampled_from(sorted(COMMANDS)), label="command")
    positional, options = COMMANDS[command]
    params = positional + options
    bad_name, (_, bad_values) = data.draw(st.sampled_from(params), label="spoiled parameter")
    bad = str(data.draw(bad_values, label="bad value"))
    values = {name: bad if name == bad_name else str(data.draw(good)) for name, (good, _) in params}
    argv = _argv(command, [(n, values[n]) for n, _ in options], [values[n] for n, _ in positional], stubs)
    CALLS.clear()
    result = CliRunner().invoke(cli.app.app, argv)
    FIGURES["fuzz: CLI bad parameters"] += 1
    out = _flat(result.output)
    assert result.exit_code == 2, (argv, result.output, result.exception)
    assert f"Invalid value for '{bad_name}'" in out, (argv, out)
    assert result.stderr.startswith(f"invalid input: {command}: ") and result.stderr.count("\n") == 1, "one line"
    assert not CALLS, "no flow may start"


def _expected(command: str, v: dict[str, str]) -> tuple[str, tuple[Any, ...]]:
    """The stub a good command line must reach, with the values it must receive."""
    d, actor = date.fromisoformat, v.get("--actor", "").strip()
    expected = {
        "screen": lambda: ("screen_patient", (int(v["patient_id"]), v["icd10"].strip().upper(), d(v["screened_on"]))),
        "confirm": lambda: (
            "confirm_diagnosis",
            (int(v["case_id"]), d(v["confirmed_on"]), v["--icd10"].strip().upper(), actor),
        ),
        "admit": lambda: ("admit", (int(v["case_id"]), d(v["admitted_on"]), actor)),
        "discharge": lambda: (
            "discharge",
            (
                int(v["case_id"]),
                d(v["discharged_on"]),
                Decimal(v["total_cost"]),
                Decimal(v["--out-of-scope"]),
                int(v["--sessions"]),
                actor,
            ),
        ),
        "follow-up": lambda: (
            "record_follow_up",
            (int(v["case_id"]), d(v["followed_on"]), FollowUpOutcome(v["--outcome"].strip().lower()), actor),
        ),
        "settle": lambda: ("settle_discharge", (int(v["case_id"]), actor)),
    }
    return expected[command]() if command in expected else ("", ())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_good_parameters_reach_the_flow_parsed(stubs: Path, data: st.DataObject) -> None:
    command = data.draw(st.sampled_from(sorted(COMMANDS)), label="command")
    positional, options = COMMANDS[command]
    values = {name: str(data.draw(good)) for name, (good, _) in positional + options}
    argv = _argv(command, [(n, values[n]) for n, _ in options], [values[n] for n, _ in positional], stubs)
    CALLS.clear()
    result = CliRunner().invoke(cli.app.app, argv)
    FIGURES["fuzz: CLI good invocations"] += 1
    assert result.exit_code == 0, (argv, result.output, result.exception)
    assert len(CALLS) >= 1
    name, args = _expected(command, values)
    if name:
        called = next(c for c in CALLS if c[0] == name)
        assert called[1][: len(args)] == args, (called, args)
