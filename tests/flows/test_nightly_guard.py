"""The nightly flow refuses a night after today and an actor outside the region it would assess (issue 22,
item 6): checked in the flow, so a run started through the API is refused as `dabing nightly` is."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from config.settings import get_settings
from flows.nightly import nightly_adjustment
from models.access import AccessDenied
from models.common import local_today
from models.findings import NightlyRun
from models.nightly import NightInFuture
from tasks.infra.db import session_scope

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_harness")]


def _runs() -> list[tuple[date, str]]:
    with session_scope() as s:
        return [(r.night, r.scope) for r in s.execute(select(NightlyRun)).scalars()]


def test_a_night_after_today_is_refused_and_nothing_is_written(db_url: str) -> None:
    tomorrow = local_today(get_settings().timezone) + timedelta(days=1)
    for night in (tomorrow, date(2099, 12, 31)):
        with pytest.raises(NightInFuture, match=f"night {night.isoformat()} is after today"):
            asyncio.run(nightly_adjustment(night=night))
    assert _runs() == []


@pytest.mark.parametrize(
    ("actor", "region", "allowed"),
    [
        ("xinping-coordinator", "520527", False),  # another county's night (the case)
        ("xinping-coordinator", None, False),  # every region's night
        ("xinping-coordinator", "530427", True),
        ("bijie-supervisor", "520527", True),  # a prefecture's supervisor, a county within it
        ("nightly", None, True),  # system actors: everything
        ("nobody", "520527", False),
    ],
)
def test_the_nightly_actor_is_checked_like_every_step(
    db_url: str, actor: str, region: str | None, allowed: bool
) -> None:
    night = date(2017, 6, 30)
    if allowed:
        assert asyncio.run(nightly_adjustment(night=night, region_code=region, actor=actor)).status == "finished"
        assert _runs() == [(night, region or "*")]
    else:
        with pytest.raises(AccessDenied, match=f"actor {actor} may not act on"):
            asyncio.run(nightly_adjustment(night=night, region_code=region, actor=actor))
        assert _runs() == []
