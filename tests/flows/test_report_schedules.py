"""The scheduled summaries (日报 / 周调度 / 月总结): served with their crons in the county's timezone, each
reporting the period just ended, and listed the same way in prefect.yaml for workers."""

from __future__ import annotations

from pathlib import Path

import yaml

from config.settings import get_settings
from runtime.deployments import deployments, scheduled_summaries

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {"daily": "0 7 * * *", "weekly": "30 7 * * 1", "monthly": "0 8 1 * *"}


def test_summaries_are_scheduled_in_the_county_timezone_for_the_period_just_ended() -> None:
    tz = get_settings().timezone
    specs = scheduled_summaries(tz)
    got = {o["name"]: (o["parameters"], o["schedules"][0].cron, o["schedules"][0].timezone) for _, o in specs}
    assert got == {p: ({"period": p, "previous": True, "actor": "system"}, cron, tz) for p, cron in EXPECTED.items()}
    built = deployments(specs)
    assert [(d.name, d.parameters["period"], d.schedules[0].schedule.cron) for d in built] == [
        (p, p, c) for p, c in EXPECTED.items()
    ]


def test_prefect_yaml_schedules_match_serve() -> None:
    doc = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    listed = {
        d["name"]: (d["parameters"], d["schedules"])
        for d in doc["deployments"]
        if d["entrypoint"] == "flows/reports.py:summary_report" and d["name"] != "summary"
    }
    tz = get_settings().timezone
    assert listed == {
        p: ({"period": p, "previous": True, "actor": "system"}, [{"cron": c, "timezone": tz}])
        for p, c in EXPECTED.items()
    }
