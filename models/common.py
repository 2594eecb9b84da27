"""Column helpers shared by the tables."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Dialect, Numeric, String, TypeDecorator
from sqlalchemy import Enum as SAEnum
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeEngine
from sqlmodel import Field

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
#: A self-pay ratio's places (0.0811 = 8.11%).
RATIO_PLACES = Decimal("0.0001")
#: The largest amount a single bill (or any amount typed in) may carry: 99,999,999.99 yuan. Far above any
#: real hospital bill, and every sum the system keeps (a year's ledger, a report total over millions of bills)
#: still fits NUMERIC(18,2) and SQLite's 64-bit integer fen exactly.
MAX_AMOUNT = Decimal("99999999.99")
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


def fen(value: Decimal) -> int:
    """A yuan amount as whole fen (how SQLite stores money); refuses a value with a fraction of a fen."""
    num, den = value.as_integer_ratio()  # exact (NaN: ValueError, infinity: OverflowError); cheaper than scaleb
    if 100 % den:
        raise ValueError(f"{value} yuan is not a whole number of fen")
    return num * 100 // den


def from_fen(value: int) -> Decimal:
    """Whole fen (SQLite) back to a yuan Decimal with two places (``scaleb`` sets the exponent to -2 exactly: a
    64-bit integer's 19 digits fit the context's 28, so nothing rounds and no quantize is needed)."""
    return Decimal(int(value)).scaleb(-2)


def money_bind(dialect_name: str, amount: Decimal) -> Decimal | int:
    """An amount as raw SQL on ``dialect_name`` compares or stores it (fen on SQLite, yuan elsewhere)."""
    return fen(amount) if dialect_name == "sqlite" else amount


class Money(TypeDecorator[Decimal]):
    """Money: NUMERIC(18,2) on PostgreSQL, whole fen in a 64-bit INTEGER on SQLite (SQLAlchemy's Numeric
    stores REAL there: 1000000000000000.01 would come back as 1000000000000000). Python side: Decimal."""

    impl = Numeric(18, 2, asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(BigInteger() if dialect.name == "sqlite" else Numeric(18, 2, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return fen(value if isinstance(value, Decimal) else Decimal(str(value)))

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None or dialect.name != "sqlite":
            return value  # type: ignore[no-any-return]
        return from_fen(value)


def money_field(**kw: Any) -> Any:
    """A money column holding a Decimal (``Money``: NUMERIC(18,2); exact fen on SQLite)."""
    return Field(default=ZERO, sa_type=Money(), **kw)


def region_field(**kw: Any) -> Any:
    """A 6-digit administrative division code (GB/T 2260)."""
    return Field(min_length=6, max_length=6, regex=r"^\d{6}$", index=True, **kw)


def enum_field(enum_cls: type[StrEnum], **kw: Any) -> Any:
    """A VARCHAR column storing the enum's *value* (readable in SQL, stable across renames of members)."""
    sa_enum = SAEnum(enum_cls, values_callable=lambda e: [m.value for m in e], native_enum=False, length=40)
    return Field(sa_type=sa_enum, **kw)


class money_text(FunctionElement[str]):
    """SQL: a ``Money`` expression as text with two places ("6123.45", as ``str`` gives a yuan ``Decimal``), on
    both backends: whole fen formatted on SQLite, NUMERIC(18,2) cast on PostgreSQL."""

    type = String()
    name = "money_text"
    inherit_cache = True


@compiles(money_text, "sqlite")
def _money_text_sqlite(element: money_text, compiler: Any, **kw: Any) -> str:
    x = compiler.process(element.clauses, **kw)
    return f"printf('%s%d.%02d', CASE WHEN ({x}) < 0 THEN '-' ELSE '' END, abs({x}) / 100, abs({x}) % 100)"


@compiles(money_text)
def _money_text(element: money_text, compiler: Any, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)}) AS TEXT)"
