"""The subset of EDTF (Library of Congress Extended Date/Time Format) the data uses.

A date is as precise as the sources allow, never more:

- ``2023-02-17`` a day, ``2023-02`` a month, ``2023`` a year (EDTF level 0);
- ``2023-02-XX`` one day of February 2023, which day unspecified; ``2023-XX-XX`` one day of
  2023; ``2023-XX`` one month of 2023 (level 1, unspecified digits);
- ``2023-02-16/2023-02-17`` an interval of dates of the same precision (level 0);
- ``2023-02-17/..`` an interval with an open end (level 1): begun, or due, but no end known.

:func:`parse` gives the bounds every check and output works with: the first and the last day
the value allows (``upper`` is ``None`` for an open end), and its precision (the finest part the
source specifies: ``2023-02-XX`` is month-precise). Nothing is ever a midpoint.

Why our own parser rather than the ``edtf`` package (which the tests use to cross-check the
bounds): the data admits only this subset, which the schemas' patterns spell out, and the
validator needs plain ``datetime.date`` bounds, the precision in the schema's vocabulary and
open ends without exceptions; the ``edtf`` package accepts far more than the schemas allow and
raises on open intervals' bounds.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

#: One date of the subset (anchored patterns of the schemas are built from it).
DATE_PATTERN = r"[0-9]{4}(-[0-9]{2}(-([0-9]{2}|XX))?|-XX(-XX)?)?"
#: A value of the subset: a date, an interval of two dates, or a date with an open end.
PATTERN = rf"^{DATE_PATTERN}(/({DATE_PATTERN}|\.\.))?$"
PRECISIONS = ("day", "month", "year")

_DATE = re.compile(rf"^{DATE_PATTERN}$")


@dataclass(frozen=True)
class Edtf:
    """A parsed value: its bounds (inclusive), precision, and whether digits are unspecified."""

    text: str
    lower: dt.date
    upper: dt.date | None  # None: the interval has an open end
    precision: str  # day | month | year
    unspecified: bool  # some digits are X: one day (or month) within the bounds, not all of them

    @property
    def open_end(self) -> bool:
        """Whether the value has no known end (``2023-02-17/..``)."""
        return self.upper is None


def _date(text: str) -> tuple[dt.date, dt.date, str, bool]:
    """(first day, last day, precision, unspecified) of one date of the subset."""
    if not _DATE.match(text):
        raise ValueError(f"{text!r} is not a date of the form YYYY, YYYY-MM, YYYY-MM-DD or with X")
    parts = text.split("-")
    year = int(parts[0])
    if year < 1:
        raise ValueError(f"{text!r}: the year must be 1 or later")
    month = parts[1] if len(parts) > 1 else "XX"
    day = parts[2] if len(parts) > 2 else "XX"
    unspecified = "X" in text
    if month == "XX":
        return dt.date(year, 1, 1), dt.date(year, 12, 31), "year", unspecified
    m = int(month)
    if not 1 <= m <= 12:
        raise ValueError(f"{text!r}: there is no month {month}")
    last = calendar.monthrange(year, m)[1]
    if day == "XX":
        return dt.date(year, m, 1), dt.date(year, m, last), "month", unspecified
    d = int(day)
    if not 1 <= d <= last:
        raise ValueError(f"{text!r}: {year}-{month} has no day {day}")
    return dt.date(year, m, d), dt.date(year, m, d), "day", unspecified


def parse(text: str) -> Edtf:
    """Parse a value of the subset; ``ValueError`` saying what is wrong otherwise."""
    if not isinstance(text, str) or not text:
        raise ValueError("the EDTF value is empty")
    first, sep, second = text.partition("/")
    lower, upper, precision, unspecified = _date(first)
    if not sep:
        return Edtf(text, lower, upper, precision, unspecified)
    if second == "..":
        return Edtf(text, lower, None, precision, unspecified)
    _, up2, precision2, unspecified2 = _date(second)
    if precision2 != precision:
        raise ValueError(f"{text!r}: both ends of an interval must have the same precision")
    if up2 < lower:
        raise ValueError(f"{text!r}: the interval ends before it starts")
    return Edtf(text, lower, up2, precision, unspecified or unspecified2)


def is_edtf(text: str) -> bool:
    """Whether ``text`` is a value of the subset."""
    try:
        parse(text)
    except ValueError:
        return False
    return True
