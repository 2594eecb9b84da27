"""Digits as typed anywhere, read as ASCII (pure): an ID number, a region code or an amount typed with
full-width (``５２０５２７``), Arabic-Indic (``٥٢٠٥٢٧``) or any other Unicode decimal digits is the same value as
its ASCII form — hashed, compared and stored only in that form."""

from __future__ import annotations

import unicodedata


def ascii_digits(value: str) -> str:
    """NFKC (full-width letters, digits and punctuation to ASCII), then every remaining Unicode decimal digit
    (``str.isdecimal``) to its ASCII digit; anything else is left for the caller's validation to refuse."""
    text = unicodedata.normalize("NFKC", value)
    return "".join(str(unicodedata.decimal(c)) if not c.isascii() and c.isdecimal() else c for c in text)


def ascii_code(value: object) -> object:
    """Pydantic before-validator for a code typed as digits (region code): read as ASCII, then validated."""
    return ascii_digits(value) if isinstance(value, str) else value
