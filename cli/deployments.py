"""Deployment registry commands (typer), mounted on the main CLI: ``app.add_typer(deployments_app, ...)``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.errors import Typer

deployments_app = Typer(no_args_is_help=True, help="The deployments registry (runtime/deployments.py).")


@deployments_app.command("write-yaml")
def write_yaml(
    path: Annotated[Path, typer.Option(help="Where to write it.")] = Path("prefect.yaml"),
) -> None:
    """Write prefect.yaml (workers on a process pool) from the registry `dabing serve` uses."""
    from runtime.prefect_yaml import write

    typer.echo(f"wrote {path}: {write(path)} deployments")
