"""The local Prefect server commands share (``runtime.local_server``): ``dabing server status|start|stop``."""

from __future__ import annotations

import typer

server_app = typer.Typer(no_args_is_help=True, help="The local Prefect server the commands share.")


@server_app.command()
def status() -> None:
    """Whether the local server (DABING_PREFECT_PORT) answers, and its pid when a command started it."""
    from runtime.local_server import status as server_status

    typer.echo(server_status())


@server_app.command()
def start() -> None:
    """Start the shared local server now (detached) unless one runs; commands would start it when needed."""
    from runtime.local_server import ensure_local_server

    url, proc = ensure_local_server()
    typer.echo(f"local Prefect server {url}: " + (f"started (pid {proc.pid})" if proc else "already running"))


@server_app.command()
def stop() -> None:
    """Stop the local server a command started (one `dabing up` started stops with `up`)."""
    from runtime.local_server import stop_local_server

    typer.echo(stop_local_server())
