"""Reading a screening file as a stream of records: CSV (UTF-8, UTF-8 with BOM, GBK, GB18030) or XLSX
(openpyxl, read-only, row by row). Nothing is held but the current row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from models.intake import ImportRejected, RowError, Rows, csv_records, header_columns
from models.intake_columns import csv_encoding

_CHUNK = 1 << 20
_ZIP_MAGIC = b"PK\x03\x04"


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            yield chunk


def is_xlsx(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == _ZIP_MAGIC


def records(path: Path, rows: Rows) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, {column: value}) per data row; the header is line 1 (XLSX: the sheet's first row)."""
    if is_xlsx(path):
        yield from _xlsx_records(path)
        return
    encoding = csv_encoding(_chunks(path))
    try:
        with path.open(encoding=encoding, newline="", errors="strict") as text:
            yield from csv_records(text, rows)
    except UnicodeDecodeError:
        message = "neither UTF-8 nor GB18030/GBK text (save the CSV as UTF-8)"
        raise ImportRejected([RowError(_undecodable_line(path, encoding), "file", message)]) from None


def _undecodable_line(path: Path, encoding: str) -> int:
    """The first physical line that does not decode (a line feed is never part of a UTF-8 or GB18030
    multi-byte character, so lines can be decoded one by one)."""
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                raw.decode(encoding)
            except UnicodeDecodeError:
                return number
    return 1


def _cell(value: object) -> str:
    """A cell as the CSV would write it: dates as YYYY-MM-DD, whole numbers without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _xlsx_records(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # a damaged or foreign zip: one line, no traceback
        raise ImportRejected([RowError(1, "file", "not a readable XLSX workbook")]) from None
    try:
        sheet = book.worksheets[0]
        cells = sheet.iter_rows(values_only=True)
        columns = header_columns(next(cells, ()))
        for line, values in enumerate(cells, start=2):
            yield line, {c: _cell(v) for c, v in zip(columns, values, strict=False)}
    finally:
        book.close()
