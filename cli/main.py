"""The CLI's group and main callback (what runs before every command): see ``prepare`` and ``Commands``."""

from __future__ import annotations

import json
from typing import Any

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from config.logging import configure_logging
from config.settings import get_settings


class Commands(TyperGroup):
    """Notes, before the main callback runs, whether the command line asks for a command's --help (then the
    callback neither checks the identity key nor starts a server); reports a committed step as done when only
    Prefect's bookkeeping failed after it (``runtime.committed``)."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        ctx.meta["dabing.help"] = "--help" in args
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        from runtime.committed import NOTHING, committed_result

        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):
            raise
        except Exception as exc:
            result = committed_result()
            if result is NOTHING:
                raise
            done = result.model_dump(mode="json") if hasattr(result, "model_dump") else result
            typer.echo(json.dumps(done, ensure_ascii=False, indent=2, default=str))
            typer.echo(
                f"warning: the step committed (above), but the Prefect server did not record its flow run "
                f"({type(exc).__name__}); nothing needs to be redone",
                err=True,
            )
            return None


#: Commands that run flows: without PREFECT_API_URL they share the one local Prefect server (started if none
#: runs, then left running: `dabing server stop`), instead of each starting Prefect's temporary one.
FLOW_COMMANDS = frozenset({"import", "screen", "confirm", "refer", "admit", "discharge", "follow-up", "settle"})
FLOW_COMMANDS |= {"nightly", "reports", "lists", "simulate"}
FLOW_COMMANDS |= {"settle-stay", "relapse"}  # cli/stays.py
FLOW_COMMANDS |= {"correct", "groups", "close", "undo", "contract"}  # cli/corrections.py, cli/contracts.py
FLOW_COMMANDS |= {"settlement", "check-recorded"}
FLOW_COMMANDS |= {"referral"}
#: Commands that hash, seal or serve identity: refused under the development key on a non-demo database.
IDENTITY_COMMANDS = frozenset({"import", "register", "serve", "up"})


def prepare(ctx: typer.Context) -> None:
    """The main callback: logging; for a command that hashes or seals identity, the key check; for one that
    runs flows, the shared local server (or a running `dabing up`'s) and the committed-result note."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    from runtime.local_server import ensure_local_server
    from runtime.up import use_running_local_server
    from tasks.infra.identity_guard import DevelopmentKeyRefused, require_real_key

    command = None if ctx.meta.get("dabing.help") or ctx.resilient_parsing else ctx.invoked_subcommand
    try:
        if command in IDENTITY_COMMANDS:
            require_real_key()
        if command in FLOW_COMMANDS and settings.local_server:
            ensure_local_server()
        else:
            use_running_local_server()  # a running `dabing up` receives this command's runs and events
    except (DevelopmentKeyRefused, RuntimeError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    if command in FLOW_COMMANDS:  # only now: importing prefect reads PREFECT_API_URL, set just above
        from runtime.committed import forget, remember_results

        remember_results()
        forget()
