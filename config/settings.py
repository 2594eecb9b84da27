"""The one settings class. Values come from environment variables prefixed ``DABING_`` (or a .env file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DATA_DIR = Path(__file__).resolve().parent / "data"
#: Works out of the box for the demo and the tests only: on any other database identity is refused under it
#: (tasks/infra/identity_guard.py), and a warning is logged whenever identity is sealed or looked up under it.
DEV_IDENTITY_KEY = "dabing-dev-identity-key-not-for-real-data"


class Settings(BaseSettings):
    # errors name the setting, never repeat its value (the identity key is a secret)
    model_config = SettingsConfigDict(env_prefix="DABING_", env_file=".env", extra="ignore", hide_input_in_errors=True)

    database_url: str = Field(
        default="sqlite:///var/dabing.db",
        description="SQLAlchemy URL of the app database (system of record).",
    )
    data_dir: Path = Field(default=DATA_DIR, description="Catalogue, hospitals, regions and policies.")
    chunk_size: int = Field(default=5000, ge=100, le=50_000, description="Ids per task in bulk work.")
    nightly_chunk_size: int | None = Field(
        default=None, ge=100, le=100_000, description="Ids per nightly chunk; unset: the backend's (tasks.nightly.run)."
    )
    nightly_cron: str = Field(default="30 1 * * *", description="When the nightly run starts (in `timezone`).")
    workers: int = Field(default=2, ge=1, le=32, description="Bounded thread pool for chunked tasks.")
    nightly_workers: int = Field(
        default=3, ge=1, le=32, description="Threads of the nightly run (a chunk's write waits its turn meanwhile)."
    )
    timezone: str = Field(default="Asia/Shanghai")
    log_level: str = Field(default="INFO")
    log_json: bool = Field(default=False, description="Render logs as JSON lines instead of console.")
    events: bool = Field(default=True, description="Emit a Prefect event for every committed state change.")
    events_flush_cron: str = Field(
        default="*/5 * * * *", description="When `serve` sends events the Prefect server missed (in `timezone`)."
    )
    events_keep_days: int = Field(
        default=90, ge=0, description="flush-events deletes outbox rows sent longer ago than this (0: keep all)."
    )
    backup_dir: Path = Field(default=Path("var/backups"), description="Where `dabing backup` writes by default.")
    backup_keep: int = Field(default=14, ge=1, description="Backups of one database kept; older ones are deleted.")
    backup_cron: str = Field(default="0 2 * * *", description="When `serve` backs the database up (in `timezone`).")
    prefect_port: int = Field(default=4200, description="Port of the local Prefect server `dabing up` starts.")
    prefect_host: str = Field(
        default="127.0.0.1",
        description="Address the local Prefect server listens on and the UI reaches its API at (an address the "
        "coordinators' browsers can reach, not 0.0.0.0).",
    )
    prefect_home: Path = Field(default=Path("var/prefect"), description="Local Prefect server's home (its SQLite).")
    local_server: bool = Field(
        default=True,
        description="Commands that run flows without PREFECT_API_URL share one local Prefect server (started "
        "detached on `prefect_port` if none runs; runtime/local_server.py); false: Prefect's temporary one each.",
    )
    prefect_sqlite_immediate: bool = Field(
        default=True,
        description="The local Prefect server on SQLite begins write transactions IMMEDIATE "
        "(runtime/prefect_internals.py); "
        "false keeps Prefect's DEFERRED (event-triggered runs then often wait for a 2 s retry).",
    )
    identity_key: SecretStr = Field(
        default=SecretStr(DEV_IDENTITY_KEY),
        min_length=16,
        description="Secret for national-ID lookup hashes (HMAC-SHA256) and sealed identity (AES-256-GCM). "
        "Generate with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`; keep it out of the "
        "database and its backups; losing it loses every stored ID number and name.",
    )
    allow_dev_key: bool = Field(
        default=False,
        description="Allow the development identity key on any database (the test suite sets it). Otherwise it "
        "is refused everywhere but the demo's own database (tasks/infra/identity_guard.py).",
    )
    warm_start: bool = Field(
        default=True, description="`serve` keeps two flow-run processes ready, imports done (runtime/warm_start.py)."
    )
    poll_seconds: float = Field(
        default=0.2, gt=0, le=60, description="How often `serve` asks for runs to start (Prefect default: 10 s)."
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
