"""Reading an external list file: CSV in UTF-8 (with or without BOM) or GBK/GB18030 — what a county office's
Excel saves by default — or an XLSX workbook (first sheet). Rows come back with their file line numbers."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import load_workbook

from models.intake import ImportRejected, RowError

Table = tuple[list[str], list[tuple[int, list[str]]]]


def decode_text(data: bytes) -> str:
    """UTF-8 first (a BOM dropped), then GB18030 (a superset of GBK); else the line it breaks on."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            error = exc
    line = data[: error.start].count(b"\n") + 1
    raise ImportRejected([RowError(line, "file", "neither UTF-8 nor GBK text")])


def read_csv(data: bytes) -> Table:
    reader = csv.reader(io.StringIO(decode_text(data), newline=""))
    try:
        header = next(reader, [])
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise ImportRejected([RowError(reader.line_num, "file", f"malformed CSV: {exc}")]) from None
    return [h.strip() for h in header], rows


def read_xlsx(path: Path) -> Table:
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file; the message would echo content
        raise ImportRejected([RowError(1, "file", "not a readable XLSX workbook")]) from None
    try:
        sheet = wb.worksheets[0]
        values = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        wb.close()
    if not values:
        return [], []
    return [h.strip() for h in values[0]], [(i, row) for i, row in enumerate(values[1:], start=2)]


def read_table(path: Path) -> Table:
    """Header and (line, cells) of a CSV or XLSX list; an unreadable file is one ``ImportRejected`` line."""
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            return read_xlsx(path)
        return read_csv(path.read_bytes())
    except OSError as exc:
        raise ImportRejected([RowError(0, "file", f"cannot read ({exc.strerror})")]) from None
