"""Screening intake rows: parse and validate a whole CSV before anything is written (pure)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from models import national_id
from models.enums import PovertyStatus

REQUIRED_COLUMNS = ("household_ref", "national_id", "name", "region_code", "poverty_status", "screened_on", "icd10")
OPTIONAL_COLUMNS = ("method",)


class ScreeningRow(BaseModel):
    """One suspected condition found for one person at one screening."""

    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    line: int
    household_ref: str = Field(min_length=1, max_length=40)
    national_id: str
    name: str = Field(min_length=1, max_length=60)
    region_code: str = Field(pattern=r"^\d{6}$")
    poverty_status: PovertyStatus
    screened_on: date
    icd10: str = Field(min_length=3, max_length=16)
    method: str = Field(default="health_check", max_length=30)

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


def _pydantic_errors(line: int, exc: ValidationError) -> Iterable[RowError]:
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "row"
        yield RowError(line, field, err["msg"].removeprefix("Value error, "))


def parse_screenings(
    text: str,
    *,
    known_region: Callable[[str], bool],
    known_icd10: Callable[[str], bool],
) -> list[ScreeningRow]:
    """Validate every row; raise ImportRejected listing all bad rows (header is line 1)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing_cols = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing_cols:
        raise ImportRejected([RowError(1, c, "column missing from header") for c in missing_cols])
    rows: list[ScreeningRow] = []
    errors: list[RowError] = []
    first_seen: dict[str, ScreeningRow] = {}
    for raw in reader:
        line = reader.line_num  # physical line (blank lines and quoted newlines counted)
        data = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(data.values()):
            continue
        row_errors = [RowError(line, c, "missing") for c in REQUIRED_COLUMNS if not data.get(c)]
        region, icd = data.get("region_code", ""), data.get("icd10", "").upper()
        if region and not known_region(region):
            row_errors.append(RowError(line, "region_code", f"unknown region {region}"))
        if icd and not known_icd10(icd):
            row_errors.append(RowError(line, "icd10", f"unknown ICD-10 code {icd}"))
        try:
            row = ScreeningRow(line=line, **{k: v for k, v in data.items() if v})
        except ValidationError as exc:
            reported = {e.field for e in row_errors}
            row_errors.extend(e for e in _pydantic_errors(line, exc) if e.field not in reported)
        if row_errors:
            errors.extend(row_errors)
            continue
        earlier = first_seen.setdefault(row.national_id, row)
        if earlier is not row and (earlier.region_code, earlier.household_ref) != (row.region_code, row.household_ref):
            errors.append(
                RowError(line, "national_id", f"same person as line {earlier.line} with another region/household")
            )
        rows.append(row)
    if errors:
        raise ImportRejected(errors)
    return rows
