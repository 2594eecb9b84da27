"""The environment `dabing up` gives its local Prefect server (flows/up.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.up import redis_messaging, server_env

PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/prefect"


@pytest.mark.parametrize(
    ("base", "reason"),
    [
        ({}, "nothing configured: the server's own SQLite under its home"),
        ({"PREFECT_API_DATABASE_CONNECTION_URL": PG}, "the Prefect server on PostgreSQL, by this setting alone"),
        (redis_messaging("redis://127.0.0.1:6379/0"), "Redis messaging, by these settings alone"),
        ({"PREFECT_API_URL": "http://elsewhere:4200/api"}, "a configured server is not the one being started"),
    ],
)
def test_the_local_server_gets_its_home_quiet_flags_and_the_callers_settings(
    tmp_path: Path, base: dict[str, str], reason: str
) -> None:
    env = server_env(tmp_path / "home", base)
    assert env["PREFECT_HOME"] == str((tmp_path / "home").resolve()), reason
    assert env["DO_NOT_TRACK"] == "1"
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert "PREFECT_API_URL" not in env  # the server never points at another server
    passed = {k: v for k, v in base.items() if k != "PREFECT_API_URL"}
    assert passed.items() <= env.items(), reason


def test_redis_messaging_moves_every_shared_part_of_the_server_to_redis() -> None:
    settings = redis_messaging("redis://127.0.0.1:6379/3")
    in_memory_by_default = (
        "PREFECT_MESSAGING_BROKER",
        "PREFECT_MESSAGING_CACHE",
        "PREFECT_SERVER_EVENTS_CAUSAL_ORDERING",
        "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE",
    )
    assert all(settings[key].startswith("prefect_redis.") for key in in_memory_by_default)
    assert (
        settings["PREFECT_SERVER_DOCKET_URL"] == settings["PREFECT_REDIS_MESSAGING_URL"] == "redis://127.0.0.1:6379/3"
    )
    assert settings["PREFECT_REDIS_MESSAGING_PUBLISHER_BATCH_SIZE"] == "1"
