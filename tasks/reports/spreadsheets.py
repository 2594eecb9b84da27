"""Streaming file writers for the ledger exports: CSV (UTF-8 with BOM) and write-only XLSX workbooks.

Both consume an iterable of rows one at a time, so a 100,000-row ledger never sits in memory.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, cast

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from models.ledger_rows import Cell, text_cell


def write_csv(path: Path, header: list[str], rows: Iterable[list[Cell]]) -> int:
    """UTF-8 with BOM (Excel on a Chinese Windows desktop opens it as UTF-8), one line per row."""
    n = 0
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        for row in rows:
            out.writerow([text_cell(v) for v in row])
            n += 1
    return n


Sheet = tuple[str, list[str], dict[int, str], Iterable[list[Cell]]]


def write_xlsx(path: Path, sheets: Sequence[Sheet]) -> list[int]:
    """A write-only workbook (rows go to disk as they come; header frozen, number formats per column);
    returns the rows appended per sheet after the header."""
    wb = Workbook(write_only=True)
    counts = []
    for title, header, fmts, rows in sheets:
        ws = wb.create_sheet(title)
        ws.freeze_panes = "A2"
        for i in range(len(header)):
            ws.column_dimensions[get_column_letter(i + 1)].width = 14
        ws.append(header)
        n = 0
        for row in rows:
            cells: list[Any] = row
            for i, fmt in fmts.items():
                if row[i] is not None:
                    cells[i] = WriteOnlyCell(ws, cast(Any, row[i]))
                    cells[i].number_format = fmt
            ws.append(cells)
            n += 1
        counts.append(n)
    wb.save(path)
    return counts
