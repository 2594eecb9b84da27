"""Screening intake rows (pure): each row checked on its own, fast (no pydantic per row: a province file has a
million rows), with one error per bad field naming line and field. Checks across rows (the same person twice,
a household in two regions, duplicates, rows already imported) run on the staged file (``tasks.pathway.stage``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models import national_id
from models.common import iso_date_text, plain_text
from models.digits import ascii_code, ascii_digits
from models.enums import PovertyStatus
from models.icd import icd10_problem
from models.intake_columns import POVERTY_CHOICES, POVERTY_VALUES, REQUIRED_COLUMNS, columns_of, missing_columns

__all__ = ["REQUIRED_COLUMNS", "Checked", "ImportRejected", "RowChecker", "RowError", "ScreeningRow"]

#: errors kept to show (a file of a million bad rows is counted, not listed)
MAX_ERRORS = 1000


class ScreeningRow(BaseModel):
    """One suspected condition found for one person at one screening (callers building rows in code)."""

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


class Checked(NamedTuple):
    """A row that passed every check of its own (values normalised)."""

    line: int
    household_ref: str
    national_id: str
    name: str
    region_code: str
    poverty_status: PovertyStatus
    screened_on: date
    icd10: str
    method: str
    born: date  # from the ID number
    sex: str  # M or F, from the ID number

    @classmethod
    def of(cls, row: ScreeningRow) -> Checked:
        nid = row.national_id
        return cls(row.line, row.household_ref, nid, row.name, row.region_code, row.poverty_status, row.screened_on,
                   row.icd10, row.method, national_id.birth_date(nid), national_id.sex(nid))  # fmt: skip


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


class ImportRejected(ValueError):
    """The file has bad rows; nothing was written. ``errors`` lists them (line, field, message), up to
    ``MAX_ERRORS``; ``total`` counts them all."""

    def __init__(self, errors: list[RowError], total: int | None = None) -> None:
        total = max(total or 0, len(errors))
        shown = "; ".join(str(e) for e in errors[:20])
        more = f" (+{total - 20} more)" if total > 20 else ""
        super().__init__(f"{total} bad row(s), nothing imported: {shown}{more}")
        self.errors = errors
        self.total = total


_REGION_SHAPE = re.compile(r"[0-9]{6}")
_ICD_SHAPE = re.compile(r"[A-Z](?=[0-9A-Z]*[0-9])[0-9A-Z]{2,3}(\.[0-9A-Z]{1,8})?")  # with a digit: not a name
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_CACHED_DAYS = 100_000  # distinct date texts remembered (a file of any size: the cache stays bounded)


def _echo(value: str, shape: re.Pattern[str]) -> str:
    """A rejected value is repeated only when it has the shape of its column: a name or an ID number in the
    wrong column (columns swapped, a comma inside a name) is never echoed into the error."""
    return value if shape.fullmatch(value) else "(value not shown)"


def _ascii(value: str) -> str:
    return value if value.isascii() else ascii_digits(value)


def _plain(value: str, limit: int) -> str | None:
    """What is wrong with free text (length, control characters), or None."""
    if len(value) > limit:
        return f"longer than {limit} characters"
    if not value.isprintable() and any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value):
        return "contains control characters"
    return None


class RowChecker:
    """Checks one row at a time: every field, the ICD-10 code (``models.icd``), the screening date neither after
    ``today`` nor before the birth date in the ID number. Region lookups are cached."""

    def __init__(
        self, known_region: Callable[[str], bool], today: date, refusal: Callable[[str], str | None] = lambda _: None
    ) -> None:
        self._known_region, self._refusal = known_region, refusal
        self._regions: dict[str, str | None] = {}
        self._days: dict[str, date | str] = {}
        self.today = today

    def _region_problem(self, code: str) -> str | None:
        """Why a 6-digit region is not taken in (unknown, or no policy settles it), or None."""
        if code not in self._regions:
            refused = self._refusal(code)
            known = self._known_region(code)
            self._regions[code] = (
                None if known and not refused else (f"region {code} {refused}" if known else f"unknown region {code}")
            )
        return self._regions[code]

    def check(self, line: int, data: Mapping[str, str]) -> tuple[Checked | None, list[RowError]]:
        errors = [RowError(line, c, "missing") for c in REQUIRED_COLUMNS if not data.get(c)]
        ref, name, method = data.get("household_ref", ""), data.get("name", ""), data.get("method") or "health_check"
        for field, value, limit in (("household_ref", ref, 40), ("name", name, 60), ("method", method, 30)):
            problem = _plain(value, limit) if value else None
            if problem:
                errors.append(RowError(line, field, problem))
        nid, born = "", None
        if raw_id := data.get("national_id"):
            try:
                nid = national_id.normalise(raw_id)
                born = national_id.birth_date(nid)
            except national_id.NationalIdError as exc:
                errors.append(RowError(line, "national_id", str(exc)))
        region = _ascii(data.get("region_code", ""))
        if region and not _REGION_SHAPE.fullmatch(region):
            errors.append(RowError(line, "region_code", "must be 6 digits"))
        elif region and (refused := self._region_problem(region)):
            errors.append(RowError(line, "region_code", refused))
        raw_status = data.get("poverty_status", "")
        status = POVERTY_VALUES.get(raw_status)
        if raw_status and status is None:
            errors.append(RowError(line, "poverty_status", f"must be one of {POVERTY_CHOICES}"))
        screened, problem = self._screened_on(data.get("screened_on", ""), born)
        if problem:
            errors.append(RowError(line, "screened_on", problem))
        icd = data.get("icd10", "").upper()
        if icd and (problem := icd10_problem(icd)) is not None:
            errors.append(RowError(line, "icd10", f"unknown ICD-10 code {_echo(icd, _ICD_SHAPE)}: {problem}"))
        if errors or status is None or screened is None or born is None:
            return None, errors
        sex = "M" if int(nid[16]) % 2 else "F"
        return Checked(line, ref, nid, name, region, status, screened, icd, method, born, sex), errors

    def _day(self, raw: str) -> date | str:
        """The day written YYYY-MM-DD, or what is wrong with its form (cached: a file repeats a few hundred dates)."""
        day = self._days.get(raw)
        if day is None:
            m = _ISO_DATE.fullmatch(raw)
            if m is None:
                day = "must be a date written YYYY-MM-DD"
            else:
                try:
                    day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                except ValueError:
                    day = "not a real date"
            if len(self._days) < _CACHED_DAYS:
                self._days[raw] = day
        return day

    def _screened_on(self, raw: str, born: date | None) -> tuple[date | None, str | None]:
        """The screening date, or what is wrong with it: its form, a real day, not after today, not before birth."""
        if not raw:
            return None, None
        day = self._day(raw)
        if isinstance(day, str):
            return None, day
        if day > self.today:
            return None, f"in the future (after today, {self.today.isoformat()})"
        if born is not None and day < born:
            return None, "before the birth date in the ID number"
        return day, None


class Rows:
    """The checked rows of a file, streamed: ``good`` yields each row that passed, ``errors`` collects the bad
    ones (up to MAX_ERRORS, ``bad`` counts all). Blank rows are skipped."""

    def __init__(self, checker: RowChecker) -> None:
        self.checker = checker
        self.errors: list[RowError] = []
        self.bad = 0
        self.seen = 0

    def add_error(self, error: RowError) -> None:
        self.bad += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(error)

    def good(self, records: Iterable[tuple[int, Mapping[str, str]]]) -> Iterator[Checked]:
        for line, data in records:
            if not any(data.values()):
                continue
            self.seen += 1
            row, errors = self.checker.check(line, data)
            for e in errors:
                self.add_error(e)
            if row is not None:
                yield row

    def raise_if_bad(self, last_line: int) -> None:
        if not self.seen and not self.bad:
            self.add_error(RowError(max(last_line, 1), "file", "no screening rows (only a header)"))
        if self.bad:
            raise ImportRejected(self.errors, self.bad)


def header_columns(header: Iterable[object]) -> list[str]:
    """The header's columns (English or Chinese); ImportRejected naming each missing one (line 1)."""
    columns = columns_of(header)
    missing = missing_columns(columns)
    if missing:
        raise ImportRejected([RowError(1, c, "column missing from header") for c in missing])
    return columns


def csv_records(text: Iterable[str], errors: Rows) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, {column: stripped value}) per CSV record of a text stream (a file opened with ``newline=""``);
    a malformed record is a file error and ends the reading (what follows cannot be lined up reliably)."""
    reader = csv.reader(text)
    try:
        columns = header_columns(next(reader, []))
    except csv.Error as exc:
        raise ImportRejected([RowError(1, "file", f"malformed CSV header: {exc}")]) from None
    width = len(columns)
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            errors.add_error(RowError(reader.line_num, "file", f"malformed CSV: {exc}"))
            return
        if len(values) < width:
            values += [""] * (width - len(values))
        yield reader.line_num, {c: v.strip() for c, v in zip(columns, values, strict=False)}


def parse_screenings(text: str, *, known_region: Callable[[str], bool], today: date | None = None) -> list[Checked]:
    """Check every row of a small CSV text (tests, previews); ImportRejected lists all bad rows (header: line 1)."""
    rows = Rows(RowChecker(known_region, today or date.max))
    stream = io.StringIO(text.lstrip("\ufeff"), newline="")
    good = list(rows.good(csv_records(stream, rows)))
    rows.raise_if_bad(text.count("\n") + 1)
    return good
