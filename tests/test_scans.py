"""The byte scans of the semantic layer (formula prefixes, control and bidi characters) against
the plain computation, on cells made to trip them: empty cells (first, last, all), multi-byte
characters, the bytes that only start a forbidden character, sliced and chunked columns."""

from __future__ import annotations

import random
from itertools import pairwise

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from belarus_timeline.validate.columns import mask
from belarus_timeline.validate.semantic import _FORMULA, _starts_formula, month_day
from belarus_timeline.validate.text import _scan

PIECES = ["", "a", "=", "+", "-", "@", "\t", "\n", "\r", "\x00", "\x1b", "\x7f", "\x85", "\xa0"]
PIECES += ["«", "Ж", "—", "\u202a", "\u202e", "\u2066", "\u2069", "\u2029", " ", "é"]


def _column(rng: random.Random) -> pa.ChunkedArray:
    cells = ["".join(rng.choices(PIECES, k=rng.randrange(0, 4))) for _ in range(rng.randrange(60))]
    cuts = sorted({0, len(cells), *(rng.randrange(len(cells) + 1) for _ in range(3))})
    chunks = [pa.array(cells[a:b], pa.string()) for a, b in pairwise(cuts)]
    if cells and rng.random() < 0.3:  # a chunk that is a slice of a larger array
        chunks.append(pa.array(["=x", *cells], pa.string()).slice(1))
    return pa.chunked_array(chunks, pa.string())


def _control(s: str, layout_ok: bool) -> bool:
    return any(
        (ord(c) < 0x20 and not (layout_ok and c in "\t\n\r")) or 0x7F <= ord(c) <= 0x9F for c in s
    )


def _bidi(s: str) -> bool:
    return any(0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069 for c in s)


@pytest.mark.parametrize("seed", range(30))
def test_scans_agree_with_the_plain_computation(seed: int) -> None:
    rng = random.Random(seed)
    col = _column(rng)
    cells = col.to_pylist()
    regex = mask(pc.match_substring_regex(col, _FORMULA)) if len(col) else []
    assert _starts_formula(col).tolist() == list(regex)
    for layout_ok in (False, True):
        control, bidi = _scan(col, layout_ok)
        assert control.tolist() == [_control(s, layout_ok) for s in cells]
        assert bidi.tolist() == [_bidi(s) for s in cells]


def test_month_and_day_agree_with_numpy_on_every_day() -> None:
    """Every day from year -1000 to 10000 (leap years, centuries, 400-year eras, negatives)."""
    dates = np.arange(np.datetime64("-1000-01-01"), np.datetime64("10001-01-01"))
    month, day = month_day(dates)
    months = dates.astype("datetime64[M]")
    assert (month == months.astype(np.int64) % 12 + 1).all()
    assert (day == (dates - months.astype("datetime64[D]")).astype(np.int64) + 1).all()
