"""``dabing check-recorded FILE``: reconcile recorded settlements (2207 layout, JSON lines or CSV) against the
policy in force; print a summary, write the discrepancies as CSV and XLSX (registered in cli/app.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.params import InputFile

OutDir = Annotated[Path, typer.Option("--out", help="Directory for the discrepancy files (CSV, XLSX).")]
XLSX_MAX_ROWS = 1_048_575  # a sheet's rows after the header


Workers = Annotated[int, typer.Option(min=1, max=64, help="Processes reconciling in parallel.")]


def _discrepancies(fh: Any, path: Path, reconciler: Any, workers: int) -> Iterator[Any]:
    from models.settlement.reconcile import csv_records, jsonl_records
    from models.settlement.reconcile_pool import jsonl_chunks, record_chunks

    is_csv = path.suffix.lower() == ".csv"
    if workers == 1:
        return reconciler.run(csv_records(fh) if is_csv else jsonl_records(fh))  # type: ignore[no-any-return]
    return reconciler.run(record_chunks(csv_records(fh)) if is_csv else jsonl_chunks(fh))  # type: ignore[no-any-return]


def check_recorded_cmd(file: InputFile, out: OutDir = Path("var/reconcile"), workers: Workers = 1) -> None:
    """Settle each recorded settlement of FILE under the policy in force and report where it differs."""
    from config.policies import load_policies
    from models.errors import BadInput
    from models.settlement.reconcile import Reconciler
    from models.settlement.reconcile_pool import PoolReconciler
    from models.settlement.reconcile_report import HEADER, MONEY_COLUMNS, rows, summary_lines
    from tasks.reports.spreadsheets import write_csv, write_xlsx

    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path = out / f"{file.stem}-discrepancies.csv", out / f"{file.stem}-discrepancies.xlsx"
    partial = csv_path.with_name(csv_path.name + ".partial")
    reconciler = Reconciler(load_policies()) if workers == 1 else PoolReconciler(load_policies(), workers)
    try:
        with file.open(encoding="utf-8-sig", newline="") as fh:
            n = write_csv(partial, HEADER, rows(_discrepancies(fh, file, reconciler, workers)))
    except UnicodeDecodeError:
        partial.unlink(missing_ok=True)
        raise BadInput("file", "not UTF-8 text") from None
    except BaseException:
        partial.unlink(missing_ok=True)  # nothing partial is left behind
        raise
    partial.replace(csv_path)
    for line in summary_lines(reconciler.summary):
        typer.echo(line)
    typer.echo(f"written: {csv_path} ({n} rows)")
    if n <= XLSX_MAX_ROWS:
        write_xlsx(
            xlsx_path, [("discrepancies", HEADER, dict.fromkeys(MONEY_COLUMNS, "#,##0.00"), _read_back(csv_path))]
        )
        typer.echo(f"written: {xlsx_path}")
    else:
        typer.echo(f"not written: {xlsx_path} ({n} rows exceed a sheet; use the CSV)")
    typer.echo(f"wall time: {time.perf_counter() - t0:.1f} s")


def _read_back(path: Path) -> Iterator[list[Any]]:
    """The CSV's rows again, typed for the sheet (line as a number, amounts as Decimal), one at a time."""
    import csv
    from decimal import Decimal

    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for row in reader:
            cells: list[Any] = list(row)
            cells[0] = int(row[0])
            for i in (6, 7, 8):
                cells[i] = Decimal(row[i]) if row[i] else None
            yield cells
