"""The case list at province scale (bench/bench_console.py): counted through the region index, a state's page
taken from the (region, state, category) index, the same cases and order as the plain reading, in scope only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bench.cohort import build_cohort
from models.clinical import Case
from models.enums import ActorRole
from tasks.infra.db import session_scope
from web import lookup
from web.security import User

REGIONS = ["520527", "150902", "150921", "530427"]


@pytest.mark.parametrize(("prefix", "state", "category"), [
    ("1509", "", ""), ("1509", "under_management", ""), ("520527", "under_management", ""), ("1509", "", "long_term"),
    ("1509", "under_management", "long_term"), ("", "triaged", ""),
])  # fmt: skip
def test_pages_and_counts_match_the_plain_reading(db_url: str, prefix: str, state: str, category: str) -> None:
    build_cohort(1500, regions=REGIONS)
    user = User("u", "u", ActorRole.SUPERVISOR, prefix, "c")
    with session_scope() as s:
        cases = list(s.execute(select(Case)).scalars())
        plain = sorted(
            (c.id or 0 for c in cases
             if c.region_code.startswith(prefix) and (not state or c.state == state)
             and (not category or c.category == category)),
            reverse=True,
        )  # fmt: skip
        assert len(plain) > lookup.PAGE, "the filter spans more than one page"
        for page in (1, 2, len(plain) // lookup.PAGE + 1):
            rows, total = lookup.list_cases(s, user, lookup.CaseFilter(state=state, category=category, page=page))
            assert total == len(plain)
            start = (page - 1) * lookup.PAGE
            assert [c.id for c, _ in rows] == plain[start : start + lookup.PAGE]
