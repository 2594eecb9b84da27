"""Every domain error of a CLI command is ONE line naming the case (or the CSV line) and the field, with exit
status 1 (refused, illegal, not found) or 2 (bad input); no traceback — neither typer's nor Prefect's console
copy of the failed run — unless ``dabing --debug``. Also: ``confirm`` reports a move, ``discharge`` prints
its episode, the pathway commands have help text."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

import cli.app
import config.logging
import runtime.up
from cli.errors import QuietDomainFailures, error_line
from models import national_id
from models.access import AccessDenied
from models.enums import AccessReason, CaseState
from models.errors import BadInput, CaseNotFound, PatientNotFound
from models.intake import ImportRejected, RowError, ScreeningRow
from models.pathway import IllegalTransition
from models.settlement.bill import BillError
from tasks.infra.db import session_scope
from tasks.pathway.hospitals import sync_hospitals
from tests.flows.helpers import NAME, case_state, import_one_patient

NID = national_id.make("520527", date(1958, 8, 8), 58)


def _validation_error() -> ValidationError:
    try:
        ScreeningRow(
            line=2,
            household_ref="H1",
            national_id=NID[:17] + ("0" if NID[17] != "0" else "1"),
            name=NAME * 40,
            region_code="520527",
            poverty_status="destitute",
            screened_on="2017-03-01",
            icd10="I10",
        )
    except ValidationError as exc:
        return exc
    raise AssertionError("the row should not validate")


@pytest.mark.parametrize(
    ("exc", "params", "line", "status"),
    [
        (
            IllegalTransition(CaseState.SCREENED, CaseState.REFERRED),
            {"case_id": 7},
            "refused: case 7: illegal case transition: screened -> referred",
            1,
        ),
        (
            AccessDenied("xinping-coordinator", "case 7", AccessReason.OUTSIDE_REGION, "scope 530427"),
            {"case_id": 7},
            "access denied: actor xinping-coordinator may not act on case 7: outside the actor's region (scope 530427)",
            1,
        ),
        (CaseNotFound(99), {"case_id": 99}, "not found: case 99 does not exist", 1),
        (PatientNotFound(12), {"patient_id": 12}, "not found: patient 12 does not exist", 1),
        (
            BillError("out_of_scope", "greater than total_cost"),
            {"case_id": 7},
            "invalid bill: case 7: out_of_scope: greater than total_cost",
            2,
        ),
        (
            BadInput("icd10", "unknown ICD-10 code U07.1"),
            {"case_id": 7},
            "invalid input: case 7: icd10: unknown ICD-10 code U07.1",
            2,
        ),
        (
            national_id.NationalIdError("check digit does not match (GB 11643)"),
            {},
            "invalid input: national_id: check digit does not match (GB 11643)",
            2,
        ),
        (
            ImportRejected([RowError(3, "national_id", "must be 17 digits followed by a digit or X")]),
            {"csv_path": Path("x.csv")},
            "import rejected: 1 bad row(s), nothing imported: line 3: national_id: must be 17 digits followed by a "
            "digit or X",
            2,
        ),
    ],
)
def test_each_domain_error_is_one_line_with_its_exit_status(
    exc: Exception, params: dict[str, Any], line: str, status: int
) -> None:
    assert error_line(exc, params) == (line, status)


def test_a_validation_error_names_fields_never_the_input() -> None:
    line, status = error_line(_validation_error(), {})
    assert status == 2 and line.startswith("invalid input: national_id: ") and "(+1 more)" in line
    assert NID[:17] not in line and NAME not in line and "\n" not in line


def test_a_wrapped_domain_error_is_found_and_a_bug_is_not_swallowed() -> None:
    from cli.errors import domain_error

    inner = CaseNotFound(5)
    try:
        raise RuntimeError("engine wrapper") from inner
    except RuntimeError as wrapped:
        assert domain_error(wrapped) is inner
    assert domain_error(ExceptionGroup("runs", [KeyError("x"), inner])) is inner
    assert domain_error(ZeroDivisionError()) is None


@pytest.fixture()
def console() -> Iterator[io.StringIO]:
    """A console handler on the root logger (like Prefect's) that the CLI quiets; removed afterwards."""
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    logging.getLogger().addHandler(handler)
    yield buf
    logging.getLogger().removeHandler(handler)
    for h in logging.getLogger().handlers:
        for f in [f for f in h.filters if isinstance(f, QuietDomainFailures)]:
            h.removeFilter(f)
    config.logging._console_filters.clear()


def test_the_console_filter_drops_only_domain_failures() -> None:
    quiet = QuietDomainFailures()

    def record(level: int, msg: str, exc: BaseException | None = None) -> logging.LogRecord:
        info = (type(exc), exc, None) if exc else None
        return logging.LogRecord("prefect.task_runs", level, __file__, 1, msg, None, info)

    failed = "Finished in state Failed('Task run encountered an exception CaseNotFound: case 9 does not exist')"
    assert not quiet.filter(record(logging.ERROR, failed))
    assert not quiet.filter(
        record(logging.ERROR, "Encountered exception", IllegalTransition(CaseState.SCREENED, CaseState.CLOSED))
    )
    assert quiet.filter(record(logging.ERROR, "Finished in state Failed('… exception KeyError: x')"))
    assert quiet.filter(record(logging.ERROR, "Encountered exception", KeyError("x")))
    assert quiet.filter(record(logging.INFO, failed)), "INFO lines (run links) stay"


@pytest.fixture()
def dabing(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setattr(runtime.up, "use_running_local_server", lambda: None)
    with session_scope() as s:
        sync_hospitals(s)
    yield CliRunner()


def _run(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(cli.app.app, list(args))


@pytest.mark.flow
@pytest.mark.usefixtures("prefect_harness")
def test_an_illegal_move_is_one_line_and_exit_1(tmp_path: Path, dabing: CliRunner, console: io.StringIO) -> None:
    case_id, nid = import_one_patient(tmp_path, "I10", region_code="520527", sequence=21)
    done = _run(dabing, "admit", str(case_id), "2017-05-10")
    assert done.exit_code == 1, done.output
    assert done.stderr == f"refused: case {case_id}: illegal case transition: screened -> in_treatment\n"
    assert "Traceback" not in console.getvalue() and "IllegalTransition" not in console.getvalue(), "Prefect's too"
    assert nid not in done.output and case_state(case_id) == CaseState.SCREENED
    assert any("screened -> in_treatment" in m and "Traceback" in m for m in _server_errors()), "server log kept"


def _server_errors() -> list[str]:
    """The ERROR lines of every run log on the Prefect test server."""
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterLevel
    from prefect.logging.handlers import APILogHandler

    APILogHandler().flush()

    async def read() -> list[str]:
        async with get_client() as client:
            logs = await client.read_logs(log_filter=LogFilter(level=LogFilterLevel(ge_=logging.ERROR)))
            return [log.message for log in logs]

    return asyncio.run(read())


@pytest.mark.flow
@pytest.mark.usefixtures("prefect_harness")
def test_debug_shows_the_traceback(tmp_path: Path, dabing: CliRunner, console: io.StringIO) -> None:
    case_id, _ = import_one_patient(tmp_path, "I10", region_code="520527", sequence=22)
    done = _run(dabing, "--debug", "refer", str(case_id), "2017-05-10")
    assert done.exit_code == 1 and isinstance(done.exception, IllegalTransition)
    assert "Traceback" in console.getvalue(), "Prefect's console log of the failed run is shown"


@pytest.mark.flow
@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize(
    ("args", "line", "status"),
    [
        (["confirm", "999999", "2017-05-10"], "not found: case 999999 does not exist", 1),
        (["screen", "999999", "I10", "2017-05-10"], "not found: patient 999999 does not exist", 1),
        (
            ["discharge", "999999", "2017-05-10", "100.00", "--out-of-scope", "200.00"],
            "invalid bill: case 999999: out_of_scope: greater than total_cost",
            2,
        ),
        (
            ["confirm", "1", "2017-02-30"],
            "invalid input: confirm: Invalid value for 'confirmed_on': not a real date written YYYY-MM-DD",
            2,
        ),
        (
            ["discharge", "1", "2017-05-10", "38734.005"],
            "invalid input: discharge: Invalid value for 'total_cost': more than 2 decimal places (fen) "
            "(yuan, e.g. 38734.00)",
            2,
        ),
    ],
)
def test_not_found_and_bad_input_are_one_line(
    dabing: CliRunner, console: io.StringIO, args: list[str], line: str, status: int
) -> None:
    done = _run(dabing, *args)
    assert (done.exit_code, done.stderr) == (status, line + "\n")
    assert "Traceback" not in console.getvalue()


@pytest.mark.flow
@pytest.mark.usefixtures("prefect_harness")
def test_a_rejected_import_is_one_line_without_identity(tmp_path: Path, dabing: CliRunner) -> None:
    bad = NID[:17] + ("0" if NID[17] != "0" else "1")
    csv = tmp_path / "bad.csv"
    csv.write_text(
        "household_ref,national_id,name,region_code,poverty_status,screened_on,icd10\n"
        f"H1,{bad},{NAME},520527,general,2017-05-02,I10\n",
        encoding="utf-8",
    )
    done = _run(dabing, "import", str(csv))
    assert done.exit_code == 2
    assert done.stderr == (
        "import rejected: 1 bad row(s), nothing imported: line 2: national_id: check digit does not match (GB 11643)\n"
    )
    assert bad not in done.output and NAME not in done.output


@pytest.mark.flow
@pytest.mark.usefixtures("prefect_harness")
def test_confirm_reports_the_move_and_discharge_its_episode(tmp_path: Path, dabing: CliRunner) -> None:
    outside, _ = import_one_patient(tmp_path, "J45", region_code="520527", sequence=23)  # not in the catalogue
    confirmed = json.loads(_run(dabing, "confirm", str(outside), "2017-05-10").stdout)
    assert (confirmed["state"], confirmed["changed"], confirmed["reason"]) == ("confirmed", True, "not_in_catalogue")
    again = json.loads(_run(dabing, "confirm", str(outside), "2017-05-10").stdout)
    assert again["changed"] is False

    case_id, _ = import_one_patient(tmp_path, "I10", region_code="520527", sequence=24)
    for step in (["confirm", "2017-05-10"], ["refer", "2017-05-11"]):
        assert _run(dabing, step[0], str(case_id), step[1]).exit_code == 0
    admitted = json.loads(_run(dabing, "admit", str(case_id), "2017-05-12").stdout)
    out = _run(dabing, "discharge", str(case_id), "2017-05-20", "38734.00", "--out-of-scope", "733.00")
    discharged = json.loads(out.stdout)
    assert discharged["state"] == "discharged" and discharged["episode_id"] == admitted["episode_id"] is not None
    with session_scope() as s:
        from models.care import TreatmentEpisode

        episode = s.get(TreatmentEpisode, discharged["episode_id"])
        assert episode is not None and episode.case_id == case_id and episode.total_cost == Decimal("38734.00")


@pytest.mark.parametrize("command", ["admit", "discharge", "follow-up"])
def test_pathway_commands_have_help_text(command: str) -> None:
    shown = CliRunner().invoke(cli.app.app, [command, "--help"]).output
    assert {"admit": "入院", "discharge": "出院", "follow-up": "随访"}[command] in shown


@pytest.mark.parametrize(
    # a bill field named " " (found by the bill fuzzer): its spaces stay, only line breaks are joined
    ("text", "line"),
    [
        ("invalid bill:  : Extra inputs are not permitted", "invalid bill:  : Extra inputs are not permitted"),
        ("a\n  b\r\nc", "a b c"),  # line breaks and the indentation after them: one space
    ],
)
def test_one_line_joins_lines_but_keeps_a_quoted_fields_spaces(text: str, line: str) -> None:
    from cli.errors import one_line

    assert one_line(text) == line
