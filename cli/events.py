"""Event outbox commands (typer), mounted on the main CLI: ``app.add_typer(events_app, name="events")``."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from cli.errors import Typer

events_app = Typer(no_args_is_help=True, help="Domain events: the outbox of events for the Prefect server.")
KEEP_HELP = "Keep events sent this many days ago or later (default: DABING_EVENTS_KEEP_DAYS; 0 keeps all)."
DatabaseUrl = Annotated[str | None, typer.Option(help="App database (default: DABING_DATABASE_URL).")]


@events_app.command()
def flush(
    chunk_size: Annotated[int, typer.Option(min=1, max=1000, help="Events per request.")] = 100,
    database_url: DatabaseUrl = None,
) -> None:
    """Send every unsent event to the Prefect server (PREFECT_API_URL, or a running `dabing up`), oldest
    first. Exits 1 if some are still unsent (the server is unreachable)."""
    from tasks.infra.db import get_engine
    from tasks.infra.outbox import flush as flush_rows

    result = flush_rows(get_engine(database_url), chunk_size)
    typer.echo(json.dumps(result.model_dump()))
    if result.error is not None:
        typer.echo(f"{result.pending} events unsent: {result.error}", err=True)
        raise typer.Exit(1)


@events_app.command()
def status(database_url: DatabaseUrl = None) -> None:
    """How many events wait in the outbox, and since when."""
    from tasks.infra.db import get_engine
    from tasks.infra.outbox import unsent

    count, oldest = unsent(get_engine(database_url))
    typer.echo(json.dumps({"unsent": count, "oldest": oldest.isoformat() if oldest else None}))


@events_app.command()
def prune(
    keep_days: Annotated[int | None, typer.Option(min=0, help=KEEP_HELP)] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Delete outbox rows sent more than KEEP_DAYS days ago (the scheduled flush-events does it too); unsent
    rows always stay."""
    from config.settings import get_settings
    from tasks.infra.db import get_engine
    from tasks.infra.outbox import prune as prune_rows

    days = get_settings().events_keep_days if keep_days is None else keep_days
    typer.echo(json.dumps({"pruned": prune_rows(get_engine(database_url), days), "keep_days": days}))
