"""Dates as a reader says them, at the precision the sources allow and never more precise."""

from __future__ import annotations

import datetime as dt
import functools

from belarus_timeline.edtf import parse as parse_edtf

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_day(day: dt.date) -> str:
    """``17 February 2023``."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def format_at(day: dt.date, precision: str) -> str:
    """A date written at a precision: ``17 February 2023``, ``February 2023`` or ``2023``."""
    if precision == "year":
        return str(day.year)
    if precision == "month":
        return f"{_MONTHS[day.month - 1]} {day.year}"
    return format_day(day)


def display_range(start: dt.date, end: dt.date | None, precision: str) -> str:
    """A date range at a precision; one date when both ends fall in the same period; ``from
    … (end open)`` when there is no end."""
    a = format_at(start, precision)
    if end is None:
        return f"from {a} (end open)"
    b = format_at(end, precision)
    if a == b:
        return a
    if precision == "day" and (start.year, start.month) == (end.year, end.month):
        return f"{start.day}\N{EN DASH}{format_day(end)}"
    return f"{a} \N{EN DASH} {b}"


# Pure, and asked for the same values many times (every output words each event's date).
@functools.lru_cache(maxsize=1 << 17)
def display_edtf(text: str) -> str:
    """An EDTF value of the data's subset in words: ``17 February 2023``, ``a day in February
    2023`` (``2023-02-XX``), ``a month in 2023`` (``2023-XX``), ``from 17 February 2023 (end
    open)``. A value that does not parse is shown as it is."""
    try:
        value = parse_edtf(text)
    except ValueError:
        return text
    if value.unspecified and "/" not in text:
        unit = "day" if text.endswith("-XX") and text.count("-") == 2 else "month"
        return f"a {unit} in {format_at(value.lower, value.precision)}"
    return display_range(value.lower, value.upper, value.precision)
