"""``dabing check-recorded FILE``: reconcile recorded settlements (2207 layout, JSON lines or CSV) against the
policy in force through the ``check-recorded`` flow; print a summary, write the discrepancies as CSV and XLSX
(registered in cli/app.py)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Annotated

import typer

from cli.params import InputFile

OutDir = Annotated[Path, typer.Option("--out", help="Directory for the discrepancy files (CSV, XLSX).")]
Workers = Annotated[int, typer.Option(min=1, max=64, help="Processes reconciling in parallel.")]


def check_recorded_cmd(file: InputFile, out: OutDir = Path("var/reconcile"), workers: Workers = 1) -> None:
    """Settle each recorded settlement of FILE under the policy in force and report where it differs."""
    from flows.recorded import check_recorded

    t0 = time.perf_counter()
    result = asyncio.run(check_recorded(str(file.resolve()), str(out.resolve()), workers))
    for line in result.lines:
        typer.echo(line)
    typer.echo(f"written: {result.csv_path} ({result.discrepancies} discrepancies)")
    typer.echo(f"written: {result.xlsx_path}" if result.xlsx_path else "not written: XLSX (too many rows; use the CSV)")
    typer.echo(f"wall time: {time.perf_counter() - t0:.1f} s")
