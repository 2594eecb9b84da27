"""Reconcile a file of recorded settlements (2207 layout, JSON lines or CSV) against the policy in force: the
discrepancy CSV and XLSX written next to each other, the summary returned (lines and a Chinese table)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, ConfigDict

from config.policies import load_policies
from models.errors import BadInput
from models.settlement.reconcile import Reconciler, csv_records, jsonl_records
from models.settlement.reconcile_pool import PoolReconciler, jsonl_chunks, record_chunks
from models.settlement.reconcile_report import HEADER, MONEY_COLUMNS, rows, summary_lines, summary_table
from tasks.reports.spreadsheets import write_csv, write_xlsx

XLSX_MAX_ROWS = 1_048_575  # a sheet's rows after the header


class CheckResult(BaseModel):
    """What a reconciliation found and wrote (no record content: bill ids and hospital codes only)."""

    model_config = ConfigDict(frozen=True)

    records: int
    discrepancies: int
    csv_path: str
    xlsx_path: str | None
    lines: list[str]
    table: list[dict[str, str]]


def _discrepancies(fh: Any, path: Path, reconciler: Any, workers: int) -> Iterator[Any]:
    is_csv = path.suffix.lower() == ".csv"
    if workers == 1:
        return reconciler.run(csv_records(fh) if is_csv else jsonl_records(fh))  # type: ignore[no-any-return]
    return reconciler.run(record_chunks(csv_records(fh)) if is_csv else jsonl_chunks(fh))  # type: ignore[no-any-return]


def check_file(file: Path, out: Path, workers: int = 1) -> CheckResult:
    """Settle each record of ``file`` under the policy in force; nothing partial is left behind on bad input."""
    if not file.is_file():
        raise BadInput("file", f"not found: {file.name}")
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
        partial.unlink(missing_ok=True)
        raise
    partial.replace(csv_path)
    written: str | None = None
    if n <= XLSX_MAX_ROWS:
        sheet = ("discrepancies", HEADER, dict.fromkeys(MONEY_COLUMNS, "#,##0.00"), _read_back(csv_path))
        write_xlsx(xlsx_path, [sheet])
        written = str(xlsx_path)
    summary = reconciler.summary
    return CheckResult(
        records=summary.records,
        discrepancies=summary.discrepancies,
        csv_path=str(csv_path),
        xlsx_path=written,
        lines=summary_lines(summary),
        table=summary_table(summary),
    )


def _read_back(path: Path) -> Iterator[list[Any]]:
    """The CSV's rows again, typed for the sheet (line as a number, amounts as Decimal), one at a time."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for row in reader:
            cells: list[Any] = list(row)
            cells[0] = int(row[0])
            for i in MONEY_COLUMNS:
                cells[i] = Decimal(row[i]) if row[i] else None
            yield cells


@task(task_run_name="check-recorded", cache_policy=NO_CACHE)
def check_recorded_file(file: str, out: str, workers: int = 1) -> CheckResult:
    return check_file(Path(file), Path(out), workers)


@task(task_run_name="publish-check-recorded")
def publish_check_table(result: CheckResult) -> str:
    """The totals as a table artifact with Chinese columns (支付层 / 问题 / 医院 rows)."""
    description = f"结算记录核对：{result.records} 条记录，{result.discrepancies} 处不符；明细见 {result.csv_path}"
    return str(create_table_artifact(key="check-recorded", table=result.table, description=description))
