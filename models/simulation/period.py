"""The period a simulation covers (pure): a whole year, or two dates."""

from __future__ import annotations

from datetime import date

from models.errors import BadInput


def period_of(year: int | None, start: date | None, end: date | None) -> tuple[date, date]:
    """(first day, last day): ``year`` alone, or both dates in order; anything else is one line naming it."""
    if year is not None:
        if start is not None or end is not None:
            raise BadInput("year", "give a year or the two dates, not both")
        return date(year, 1, 1), date(year, 12, 31)
    if start is None or end is None:
        raise BadInput("date_from" if start is None else "date_to", "give a year or both dates")
    if start.year != end.year:
        raise BadInput("date_to", "a period within one year (annual ledgers restart each year)")
    if end < start:
        raise BadInput("date_to", "before date_from")
    return start, end
