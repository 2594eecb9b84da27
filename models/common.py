"""Column helpers shared by the tables."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Enum as SAEnum
from sqlalchemy import Numeric
from sqlmodel import Field

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def utcnow() -> datetime:
    """Timezone-aware UTC timestamp (sqlmodel refuses naive datetimes)."""
    return datetime.now(UTC)


def local_today(timezone: str) -> date:
    """Today's date where the county is (business dates are local, timestamps UTC)."""
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(timezone)).date()


def age_on(born: date, on: date) -> int:
    """Completed years of age on a date."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def iso_date_text(value: Any) -> Any:
    """Pydantic before-validator: a business date is written YYYY-MM-DD (pydantic alone would also take
    numbers and numeric strings as Unix timestamps: ``0`` would become 1970-01-01)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        return value.strip()
    raise ValueError("must be a date written YYYY-MM-DD")


def plain_text(value: Any) -> Any:
    """Pydantic before-validator for free text: no control characters (NUL cannot even be stored in
    PostgreSQL; tabs and line breaks inside a name or reference are typing or export accidents)."""
    if isinstance(value, str) and any(unicodedata.category(c) == "Cc" for c in value):
        raise ValueError("contains control characters")
    return value


def to_fen(value: Decimal) -> Decimal:
    """Quantize to the fen (0.01 yuan), half up."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def money_field(**kw: Any) -> Any:
    """A NUMERIC(18,2) column holding a Decimal."""
    return Field(default=ZERO, sa_type=Numeric(18, 2, asdecimal=True), **kw)


def region_field(**kw: Any) -> Any:
    """A 6-digit administrative division code (GB/T 2260)."""
    return Field(min_length=6, max_length=6, regex=r"^\d{6}$", index=True, **kw)


def enum_field(enum_cls: type[StrEnum], **kw: Any) -> Any:
    """A VARCHAR column storing the enum's *value* (readable in SQL, stable across renames of members)."""
    sa_enum = SAEnum(enum_cls, values_callable=lambda e: [m.value for m in e], native_enum=False, length=40)
    return Field(sa_type=sa_enum, **kw)
