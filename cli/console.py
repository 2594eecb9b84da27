"""`dabing console [--port]`: the coordinators' console alone (uvicorn), on the configured database, starting
runs on the configured or running local Prefect server (``dabing up`` serves the deployments)."""

from __future__ import annotations

from typing import Annotated

import typer

Port = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on (default DABING_CONSOLE_PORT or 4300).")]
Host = Annotated[str, typer.Option(help="Address to listen on (an address the coordinators' browsers reach).")]


def console(port: Port = 0, host: Host = "127.0.0.1") -> None:
    """The coordinators' console (Chinese web pages): sign in, find, patient pages, actions, upload, dashboard."""
    from web.serve import run_console

    run_console(host, port or None)
