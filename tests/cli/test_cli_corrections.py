"""The correction and contract commands as a coordinator types them: each runs its flow and prints what it did;
a refusal is one line (exit 1), a bad value one line naming the option (exit 2) that never repeats it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col
from typer.testing import CliRunner

import cli.app
import runtime.up
from models.clinical import Case
from models.corrections import CaseCorrection
from tasks.infra.db import session_scope
from tasks.pathway.hospitals import sync_hospitals
from tests.flows.helpers import import_one_patient

ID = "520527195003040115"


@pytest.fixture()
def dabing(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setattr(runtime.up, "use_running_local_server", lambda: None)
    with session_scope() as s:
        sync_hospitals(s)
    yield CliRunner()


def _run(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(cli.app.app, list(args))


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["close", "1", "--why", f"张三 {ID}", "--reason", "x"], "'--why'"),
        (["undo", "1", "--reason", f"身份证 {ID}"], "'--reason'"),
        (["correct", "status", "1", "--to", ID, "--from", "2017-06-01", "--reason", "x"], "'--to'"),
        (["groups", "add", "1", ID, "--from", "2017-06-01", "--reason", "x"], "GROUP"),
        (["correct", "diagnosis", "1", "--icd", "ZZ9", "--reason", "x"], "'--icd'"),
        (["contract", "end", "1", "--on", "2017-02-30", "--reason", "x"], "'--on'"),
        (["close", "1", "--why", "died"], "--reason"),  # a reason is required
    ],
)
def test_bad_values_are_refused_before_anything_runs(args: list[str], option: str) -> None:
    done = CliRunner().invoke(cli.app.app, args)
    assert done.exit_code == 2 and option in done.output, done.output
    assert ID not in done.output and "张三" not in done.output


@pytest.mark.flow
@pytest.mark.usefixtures("prefect_harness")
def test_a_coordinator_corrects_closes_undoes_and_signs(tmp_path: Any, dabing: CliRunner) -> None:
    case_id, _ = import_one_patient(tmp_path, "I10", region_code="520527", sequence=41)
    with session_scope() as s:
        patient = s.execute(select(col(Case.patient_id)).where(col(Case.id) == case_id)).scalar_one()
    out = _run(dabing, "correct", "status", str(patient), "--to", "minimum_living", "--from", "2017-06-01",
               "--reason", "民政复核为低保")  # fmt: skip
    assert json.loads(out.stdout)["poverty_status"] == "minimum_living", out.output
    out = _run(dabing, "groups", "add", str(patient), "severe_illness", "--from", "2017-06-01", "--reason", "重病")
    assert json.loads(out.stdout)["groups"] == ["severe_illness"], out.output
    out = _run(dabing, "close", str(case_id), "--why", "refused", "--reason", "本人拒绝")
    assert json.loads(out.stdout)["state"] == "closed", out.output
    out = _run(dabing, "undo", str(case_id), "--reason", "本人同意救治")
    assert json.loads(out.stdout)["state"] == "screened", out.output
    out = _run(dabing, "undo", str(case_id), "--reason", "again")
    assert (out.exit_code, out.stderr) == (
        1,
        f"refused: case {case_id}: nothing to undo: the case is at its first step\n",
    )
    out = _run(dabing, "contract", "sign", str(patient), "--team", "城关-1团队", "--institution", "520527-TH1",
               "--from", "2017-04-01", "--reason", "入户签约")  # fmt: skip
    assert json.loads(out.stdout)["expires_on"] == "2018-03-31", out.output
    out = _run(dabing, "contract", "end", str(patient), "--on", "2017-09-01", "--reason", "迁出")
    assert json.loads(out.stdout)["ended_on"] == "2017-09-01", out.output
    with session_scope() as s:
        audit = s.execute(select(col(CaseCorrection.kind), col(CaseCorrection.reason))).tuples().all()
    assert sorted(audit) == [("close", "本人拒绝"), ("undo", "本人同意救治")]
