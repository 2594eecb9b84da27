"""Column helpers shared by the tables."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Enum as SAEnum
from sqlalchemy import Numeric
from sqlmodel import Field

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


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
