"""Screening intake rows: parse and validate a whole CSV before anything is written (pure)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from models import national_id
from models.common import iso_date_text, plain_text
from models.digits import ascii_code, ascii_digits
from models.enums import PovertyStatus

REQUIRED_COLUMNS = ("household_ref", "national_id", "name", "region_code", "poverty_status", "screened_on", "icd10")
OPTIONAL_COLUMNS = ("method",)


class ScreeningRow(BaseModel):
    """One suspected condition found for one person at one screening."""

    model_config = ConfigDict(str_strip_whitespace=True, frozen=True, hide_input_in_errors=True)  # no identity

    line: int
    household_ref: str = Field(min_length=1, max_length=40)
    national_id: str
    name: str = Field(min_length=1, max_length=60)
    region_code: str = Field(pattern=r"^[0-9]{6}$")
    poverty_status: PovertyStatus
    screened_on: date
    icd10: str = Field(min_length=3, max_length=16)
    method: str = Field(default="health_check", max_length=30)

    _iso_date = field_validator("screened_on", mode="before")(iso_date_text)
    _plain = field_validator("household_ref", "name", "method", mode="before")(plain_text)
    _ascii = field_validator("region_code", mode="before")(ascii_code)

    @field_validator("national_id")
    @classmethod
    def _check_digit(cls, v: str) -> str:
        return national_id.normalise(v)

    @field_validator("icd10")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.upper()


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


class ImportRejected(ValueError):
    """The batch has bad rows; nothing was written. ``errors`` lists every one (line, field, message)."""

    def __init__(self, errors: list[RowError]) -> None:
        shown = "; ".join(str(e) for e in errors[:20])
        more = f" (+{len(errors) - 20} more)" if len(errors) > 20 else ""
        super().__init__(f"{len(errors)} bad row(s), nothing imported: {shown}{more}")
        self.errors = errors


def _records(reader: csv.DictReader[str], errors: list[RowError]) -> Iterator[dict[str | Any, str | Any]]:
    """The reader's records; a malformed one (an over-long field, a stray quote at the end) is a row error
    and stops the reading: what follows cannot be lined up reliably."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            errors.append(RowError(reader.line_num, "file", f"malformed CSV: {exc}"))
            return


_REGION_SHAPE = re.compile(r"[0-9]{6}")
_ICD_SHAPE = re.compile(r"[A-Z](?=[0-9A-Z]*[0-9])[0-9A-Z]{2,3}(\.[0-9A-Z]{1,4})?")  # with a digit: not a name


def _echo(value: str, shape: re.Pattern[str]) -> str:
    """A rejected value is repeated only when it has the shape of its column: a name or an ID number in the
    wrong column (columns swapped, a comma inside a name) is never echoed into the error."""
    return value if shape.fullmatch(value) else "(value not shown)"


def _pydantic_errors(line: int, exc: ValidationError) -> Iterable[RowError]:
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "row"
        yield RowError(line, field, err["msg"].removeprefix("Value error, "))


def decode_csv(data: bytes) -> str:
    """UTF-8 text of an uploaded file (a BOM is dropped later); anything else names the line it breaks on."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportRejected([RowError(line, "file", "not UTF-8 text (save the CSV as UTF-8)")]) from None


def parse_screenings(
    text: str,
    *,
    known_region: Callable[[str], bool],
    known_icd10: Callable[[str], bool],
    settled_region: Callable[[str], str | None] = lambda _: None,
) -> list[ScreeningRow]:
    """Validate every row; raise ImportRejected listing all bad rows (header is line 1)."""
    # newline="": CR, LF and CRLF all end a line (files saved on any system), quoted line breaks stay
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise ImportRejected([RowError(1, "file", f"malformed CSV header: {exc}")]) from None
    missing_cols = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing_cols:
        raise ImportRejected([RowError(1, c, "column missing from header") for c in missing_cols])
    rows: list[ScreeningRow] = []
    errors: list[RowError] = []
    first_seen: dict[str, ScreeningRow] = {}
    household_seen: dict[str, ScreeningRow] = {}
    for raw in _records(reader, errors):
        line = reader.line_num  # physical line (blank lines and quoted newlines counted)
        data = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(data.values()):
            continue
        row_errors = [RowError(line, c, "missing") for c in REQUIRED_COLUMNS if not data.get(c)]
        region, icd = ascii_digits(data.get("region_code", "")), data.get("icd10", "").upper()
        if region and not known_region(region):
            row_errors.append(RowError(line, "region_code", f"unknown region {_echo(region, _REGION_SHAPE)}"))
        elif region and (refused := settled_region(region)):  # no settlement policy: refused (config/policies)
            row_errors.append(RowError(line, "region_code", f"region {region} {refused}"))
        if icd and not known_icd10(icd):
            row_errors.append(RowError(line, "icd10", f"unknown ICD-10 code {_echo(icd, _ICD_SHAPE)}"))
        try:
            row = ScreeningRow(line=line, **{k: v for k, v in data.items() if v})
        except ValidationError as exc:
            reported = {e.field for e in row_errors}
            row_errors.extend(e for e in _pydantic_errors(line, exc) if e.field not in reported)
        if row_errors:
            errors.extend(row_errors)
            continue
        earlier = first_seen.setdefault(row.national_id, row)
        household = household_seen.setdefault(row.household_ref, row)
        if earlier is not row and (earlier.region_code, earlier.household_ref) != (row.region_code, row.household_ref):
            errors.append(
                RowError(line, "national_id", f"same person as line {earlier.line} with another region/household")
            )
        elif household.region_code != row.region_code:
            other = f"same household as line {household.line} with another region"
            errors.append(RowError(line, "household_ref", other))
        rows.append(row)
    if not rows and not errors:
        errors.append(RowError(max(reader.line_num, 1), "file", "no screening rows (only a header)"))
    if errors:
        raise ImportRejected(errors)
    return rows
