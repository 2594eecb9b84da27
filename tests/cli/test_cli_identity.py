"""Identity never on the command line (issue 22, item 10): `register` takes the ID number and the name at
the prompt (the number hidden) or from --identity-file; a value given as --national-id / --name is refused
with one line, before anything runs."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

import cli.app
from models import national_id
from models.people import Patient
from tasks.infra.db import session_scope

NID = national_id.make("520527", date(1960, 1, 2), 5)
BASE = ["register", "--household-ref", "H1", "--region-code", "520527", "--poverty-status", "general"]


def _patients() -> int:
    with session_scope() as s:
        return len(list(s.execute(select(Patient.id)).scalars()))


def _flat(output: str) -> str:
    return " ".join(output.replace("│", " ").split())


@pytest.mark.parametrize("given", [["--national-id", NID], ["--name", "张三"], [f"--national-id={NID}", "--name=张三"]])
def test_identity_on_the_command_line_is_refused(db_url: str, given: list[str]) -> None:
    done = CliRunner().invoke(cli.app.app, [*BASE, *given], input=f"{NID}\n张三\n")
    assert done.exit_code == 2, done.output
    assert "never on the command line (shell history, ps)" in _flat(done.output)
    assert NID not in done.output and _patients() == 0


def test_identity_at_the_prompt(db_url: str) -> None:
    done = CliRunner().invoke(cli.app.app, BASE, input=f"{NID}\n张三\n")
    assert done.exit_code == 0, done.output
    assert json.loads(done.output.splitlines()[-1]) == {"patient_id": 1}
    assert NID not in done.output, "the number is not echoed"


@pytest.mark.parametrize(
    ("content", "suffix"),
    [(json.dumps({"national_id": NID, "name": "张三"}), "json"), (f"national_id,name\n{NID},张三\n", "csv")],
)
def test_identity_from_a_file(db_url: str, tmp_path: Path, content: str, suffix: str) -> None:
    path = tmp_path / f"id.{suffix}"
    path.write_text(content, encoding="utf-8")
    done = CliRunner().invoke(cli.app.app, [*BASE, "--identity-file", str(path)])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output.splitlines()[-1]) == {"patient_id": 1}


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (json.dumps({"national_id": "5205271960010200", "name": "张三"}), "national_id: must be 17 digits"),
        (json.dumps({"national_id": NID}), "name: missing"),
        (json.dumps({"national_id": NID, "name": "张\t三"}), "name: contains control characters"),
        ("national_id,name\n", "a CSV with a header national_id,name and exactly one row"),
        ('{"national_id": ', "not a UTF-8 JSON object or CSV file"),
    ],
)
def test_a_bad_identity_file_is_named_in_one_line(db_url: str, tmp_path: Path, content: str, named: str) -> None:
    path = tmp_path / "id.txt"
    path.write_text(content, encoding="utf-8")
    done = CliRunner().invoke(cli.app.app, [*BASE, "--identity-file", str(path)])
    assert done.exit_code == 2, done.output
    assert f"--identity-file: {named}" in _flat(done.output) and _patients() == 0
