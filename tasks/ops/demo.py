"""Demo-only I/O: its own database (``tasks.ops.demo_db``), the synthetic county's screening CSV, the ledger summary."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import task

from config.catalogue import catalogue_on
from models.schemas import LedgerSummary
from models.synthetic import CSV_HEADER, county_rows, to_csv_line
from tasks.infra.db import session_scope
from tasks.ops.demo_db import prepare_demo_database
from tasks.reports.ledger import ledger_summary


@task
def prepare_demo() -> None:
    """Rebuild the configured database as a demo database: refused (``DemoRefused``, nothing changed) when it
    holds anything but an earlier demo's data."""
    prepare_demo_database()


@task
def write_county_csv(patients: int, seed: int, region_code: str, start: date, path: str) -> str:
    """The synthetic county as a screening CSV (the same file a coordinator would import)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    choices = catalogue_on(start).demo_choices()  # diseases listed when the county starts
    with out.open("w", encoding="utf-8") as fh:
        fh.write(CSV_HEADER + "\n")
        for row in county_rows(patients, seed, region_code, start, choices):
            fh.write(to_csv_line(row) + "\n")
    return str(out)


@task
def summarise_ledger(region_code: str | None = None, on: date | None = None) -> LedgerSummary:
    """The county's ledger; the contract rate counts the contracts in force ``on`` (the demo's simulated day)."""
    with session_scope() as s:
        return ledger_summary(s, region_code, on)


#: The demo database's console password for every coordinator and supervisor (README, "The coordinators' console").
DEMO_PASSWORD = "demo-password-1"


def give_demo_passwords(password_hash: str) -> list[str]:
    """Every person actor may sign in to the console on the demo's database (``password_hash`` of
    ``DEMO_PASSWORD``); refused (``DemoRefused``) on any other database. Returns who."""
    from sqlalchemy import select
    from sqlmodel import col

    from models.access import Actor
    from models.console import ConsoleUser
    from models.enums import ActorRole
    from tasks.ops.demo_db import check_demo_database

    check_demo_database()
    with session_scope() as s:
        people = list(s.execute(select(Actor).where(col(Actor.role) != ActorRole.SYSTEM)).scalars())
        for actor in people:
            user = s.get(ConsoleUser, actor.id) or ConsoleUser(actor_id=actor.id, password_hash="")
            user.password_hash = password_hash
            s.add(user)
        return sorted(a.id for a in people)
