"""The EDTF subset: bounds and precision of every form the schemas admit, cross-checked with the
``edtf`` package (the Library of Congress specification's Python implementation), refusals of
what the data may not hold, agreement with the schemas' pattern, and dates in words."""

from __future__ import annotations

import datetime as dt
import json
import re
import time

import pytest
from edtf import parse_edtf

from belarus_timeline.edtf import PATTERN, is_edtf, parse
from belarus_timeline.outputs.dates import display_edtf
from helpers import ROOT

D = dt.date

CASES = [
    # text, lower, upper, precision, unspecified
    ("2023-02-17", D(2023, 2, 17), D(2023, 2, 17), "day", False),
    ("2023-02", D(2023, 2, 1), D(2023, 2, 28), "month", False),
    ("2024-02", D(2024, 2, 1), D(2024, 2, 29), "month", False),
    ("2023", D(2023, 1, 1), D(2023, 12, 31), "year", False),
    ("2023-02-XX", D(2023, 2, 1), D(2023, 2, 28), "month", True),
    ("2023-XX-XX", D(2023, 1, 1), D(2023, 12, 31), "year", True),
    ("2023-XX", D(2023, 1, 1), D(2023, 12, 31), "year", True),
    ("2023-02-16/2023-02-17", D(2023, 2, 16), D(2023, 2, 17), "day", False),
    ("2022-11/2023-02", D(2022, 11, 1), D(2023, 2, 28), "month", False),
    ("2023-02-17/..", D(2023, 2, 17), None, "day", False),
    ("2023-02-XX/..", D(2023, 2, 1), None, "month", True),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bounds_and_precision(case: tuple[str, D, D | None, str, bool]) -> None:
    text, lower, upper, precision, unspecified = case
    value = parse(text)
    assert (value.lower, value.upper, value.precision, value.unspecified) == (
        lower,
        upper,
        precision,
        unspecified,
    )
    assert value.open_end == (upper is None)
    assert re.fullmatch(PATTERN.strip("^$"), text)


@pytest.mark.parametrize("text", [c[0] for c in CASES if c[2] is not None])
def test_bounds_agree_with_the_edtf_package(text: str) -> None:
    theirs = parse_edtf(text)
    ours = parse(text)

    def day(t: time.struct_time) -> D:
        return D(t.tm_year, t.tm_mon, t.tm_mday)

    assert (day(theirs.lower_strict()), day(theirs.upper_strict())) == (ours.lower, ours.upper)


REFUSED = [
    "",
    "2023-02-30",
    "2023-13",
    "0000",
    "2023-XX-17",  # a day known in an unknown month
    "2023-02-1X",  # one digit unspecified: not in the subset
    "2023-02/2023-02-17",  # ends of another precision
    "2023-02-17/2023-02-16",  # ends before it starts
    "../2023-02-17",  # an open start: an event needs a first day
    "2023-02-17?",  # uncertain: not in the subset
    "17/02/2023",
]


@pytest.mark.parametrize("text", REFUSED)
def test_what_the_data_may_not_hold_is_refused(text: str) -> None:
    assert not is_edtf(text)
    with pytest.raises(ValueError):
        parse(text)


def test_the_schemas_use_the_subsets_pattern() -> None:
    for name in ("events", "statements"):
        fields = json.loads((ROOT / "schema" / f"{name}.json").read_text(encoding="utf-8"))
        (edtf,) = [f for f in fields["fields"] if f["name"] == "edtf"]
        assert edtf["constraints"]["pattern"] == PATTERN, name


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2023-02-17", "17 February 2023"),
        ("2023-02", "February 2023"),
        ("2023-02-XX", "a day in February 2023"),
        ("2023-XX-XX", "a day in 2023"),
        ("2023-XX", "a month in 2023"),
        ("2023-02-16/2023-02-17", "16\u201317 February 2023"),
        ("2023-02-17/..", "from 17 February 2023 (end open)"),
        ("not a date", "not a date"),
    ],
)
def test_dates_in_words(text: str, words: str) -> None:
    assert display_edtf(text) == words
