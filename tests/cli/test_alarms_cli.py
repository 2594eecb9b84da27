"""``dabing alarms list`` speaks to a coordinator in Chinese: the kind's label (its code beside it, for
``--kind``) and the stored reason as the console reads it."""

from __future__ import annotations

from datetime import date

from typer.testing import CliRunner

import cli.app
from tasks.infra.db import session_scope
from tests.tasks.test_alarm_lifecycle import NIGHT, maintenance_case, night
from tests.tasks.test_nightly import World


def test_list_shows_kind_and_reason_in_chinese(db_url: str) -> None:
    with session_scope() as s:
        case_id = maintenance_case(World(s), "tb", date(2017, 6, 1))
    night(NIGHT)
    result = CliRunner().invoke(cli.app.app, ["alarms", "list", "--actor", "coordinator"])
    assert result.exit_code == 0, result.output
    (line,) = [x for x in result.output.splitlines() if f"case:{case_id}" in x]
    fields = line.split("\t")
    assert fields[3] == "随访逾期（overdue_follow_up）" and fields[4] == "预警"
    assert fields[-1] == "超过随访间隔未随访"
