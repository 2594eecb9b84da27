"""GB 11643-1999 citizen identity numbers: 17 digits + ISO 7064 MOD 11-2 check character."""

from __future__ import annotations

import re
from datetime import date
from operator import mul

from models.digits import ascii_digits

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ZEROS = ord("0") * sum(_WEIGHTS)
_SHAPE = re.compile(r"[0-9]{17}[0-9X]")  # ASCII only (\d would take any script's digits)


class NationalIdError(ValueError):
    """The value is not a valid GB 11643 identity number. The message never repeats the number."""


def check_char(first17: str) -> str:
    """The check character for the first 17 digits."""
    return _CHECK[(sum(map(mul, first17.encode(), _WEIGHTS)) - _ZEROS) % 11]  # bytes: ord(c), ASCII digits


def normalise(value: str) -> str:
    """Validate and return the canonical form: ASCII digits (full-width or other Unicode digits read as
    ASCII) and upper-case X. Raises NationalIdError."""
    v = (value if value.isascii() else ascii_digits(value)).strip().upper()  # NFKC leaves ASCII unchanged
    if not _SHAPE.fullmatch(v):
        raise NationalIdError("must be 17 digits followed by a digit or X")
    try:
        date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise NationalIdError("birth date part is not a real date") from None
    if check_char(v[:17]) != v[17]:
        raise NationalIdError("check digit does not match (GB 11643)")
    return v


def birth_date(value: str) -> date:
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def sex(value: str) -> str:
    """'M' or 'F' from the sequence digit (odd = male)."""
    return "M" if int(value[16]) % 2 else "F"


def make(region_code: str, born: date, sequence: int) -> str:
    """Build a valid number (synthetic data and tests)."""
    first17 = f"{region_code}{born:%Y%m%d}{sequence % 1000:03d}"
    return first17 + check_char(first17)
