"""Free text typed into a form or a command (a file path, a screening method, an output folder) must not carry
an identity number: a run's parameters are stored by Prefect and shown to everyone who opens the run. Pure."""

from __future__ import annotations

import re

#: 15 digits in a row (an old 15-digit ID, or the start of an 18-digit one / 17 digits + X), ASCII or full-width
ID_SHAPED = r"[0-9０-９]{15}"
_ID_SHAPED = re.compile(ID_SHAPED)
#: the same rule as a JSON-schema pattern (the Prefect server refuses such a run before it stores it)
NO_ID_PATTERN = rf"^(?![\s\S]*{ID_SHAPED})[\s\S]*$"


class IdNumberInText(ValueError):
    """Free text contained an ID-shaped number. The message never repeats the text."""


def no_id_number(value: str) -> str:
    """Pydantic after-validator: refuse text holding an ID-shaped number (15+ digits, 17 digits + X)."""
    if _ID_SHAPED.search(value):
        raise IdNumberInText("contains an ID-shaped number (15 or more digits): identity goes in the CSV file only")
    return value
