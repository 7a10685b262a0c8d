"""The fast paths of the semantic layer (byte scans for formula prefixes, control and bidi
characters; the event dates' month arithmetic and expected EDTF) against the plain computation,
on inputs made to trip them: empty cells (first, last, all), multi-byte characters, the bytes
that only start a forbidden character, sliced and chunked columns, period boundaries."""

from __future__ import annotations

import datetime as dt
import random
from itertools import pairwise

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from belarus_timeline.package import TableSchema
from belarus_timeline.tables import RawTable
from belarus_timeline.validate.columns import Table, days, mask
from belarus_timeline.validate.report import Collector, Report
from belarus_timeline.validate.semantic import (
    _FORMULA,
    _precision_and_edtf,
    _starts_formula,
    month_day,
)
from belarus_timeline.validate.text import _scan

PIECES = ["", "a", "=", "+", "-", "@", "\t", "\n", "\r", "\x00", "\x1b", "\x7f", "\x85", "\xa0"]
PIECES += ["«", "Ж", "—", "\u202a", "\u202e", "\u2066", "\u2069", "\u2029", " ", "é", "\u3000"]


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
    blank = list(mask(pc.utf8_is_space(col))) if len(col) else []
    for layout_ok in (False, True):
        control, bidi, spaces = _scan(col, layout_ok)
        assert control.tolist() == [_control(s, layout_ok) for s in cells]
        assert bidi.tolist() == [_bidi(s) for s in cells]
        assert spaces.tolist() == blank


def test_whitespace_starts_with_a_byte_the_scan_looks_for() -> None:
    """Every character utf8_is_space counts as whitespace starts with a byte <= 0x20 or >= 0xC2
    (so a chunk with none of those bytes holds no blank cell)."""
    points = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    space = mask(pc.utf8_is_space(pa.array([chr(c) for c in points])))
    leads = {chr(c).encode("utf-8")[0] for c in np.array(points)[space].tolist()}
    assert leads and all(b <= 0x20 or b >= 0xC2 for b in leads), sorted(leads)


def test_month_and_day_agree_with_numpy_on_every_day() -> None:
    """Every day from year -1000 to 10000 (leap years, centuries, 400-year eras, negatives)."""
    dates = np.arange(np.datetime64("-1000-01-01"), np.datetime64("10001-01-01"))
    month, day = month_day(dates)
    months = dates.astype("datetime64[M]")
    assert (month == months.astype(np.int64) % 12 + 1).all()
    assert (day == (dates - months.astype("datetime64[D]")).astype(np.int64) + 1).all()


def _reference_precision_and_edtf(ev: Table, ok: np.ndarray) -> tuple[list[int], dict[int, str]]:
    """The plain computation (whole columns of text): rows whose dates do not span whole
    periods, and rows whose EDTF is not the expected one (with it)."""
    start_a, end_a = ev.values("start_date"), ev.values("end_date")
    start, end = days(start_a), days(end_a)
    prec = np.asarray(ev.col("date_precision").to_numpy(zero_copy_only=False), dtype=object)
    is_day, is_month, is_year = prec == "day", prec == "month", prec == "year"
    aligned = np.ones(len(prec), dtype=bool)
    m_start = start.astype("datetime64[M]").astype("datetime64[D]") == start
    m_end = (end + 1).astype("datetime64[M]") != end.astype("datetime64[M]")
    y_start = start.astype("datetime64[Y]").astype("datetime64[D]") == start
    y_end = (end + 1).astype("datetime64[Y]") != end.astype("datetime64[Y]")
    aligned[is_month] = (m_start & m_end)[is_month]
    aligned[is_year] = (y_start & y_end)[is_year]
    s_day, e_day = pc.cast(start_a, pa.string()), pc.cast(end_a, pa.string())
    width = np.where(is_year, 4, np.where(is_month, 7, 10))
    expected = {}
    for i in np.flatnonzero(ok & aligned & (is_day | is_month | is_year)).tolist():
        s, e = s_day[i].as_py()[: width[i]], e_day[i].as_py()[: width[i]]
        text = s if s == e else f"{s}/{e}"
        if text != ev.col("edtf")[i].as_py():
            expected[i] = text
    return np.flatnonzero(ok & ~aligned & (is_month | is_year)).tolist(), expected


@pytest.mark.parametrize("seed", range(6))
def test_precision_and_edtf_agree_with_the_plain_computation(seed: int) -> None:
    rng = random.Random(seed)
    rows: dict[str, list[str]] = {
        f: [] for f in ("start_date", "end_date", "date_precision", "edtf")
    }
    for _ in range(300):
        start = dt.date(rng.choice([1, 999, 1900, 2000, 2023]), 1, 1) + dt.timedelta(
            rng.choice([0, 30, 31, 58, 59, 364, 365, rng.randrange(400)])
        )
        end = start + dt.timedelta(rng.choice([0, 0, 1, 27, 28, 29, 30, 364, rng.randrange(800)]))
        prec = rng.choice(["day", "month", "year", "week", ""])
        cut = {"year": 4, "month": 7}.get(prec, 10)
        s, e = start.isoformat()[:cut], end.isoformat()[:cut]
        edtf = rng.choice([s if s == e else f"{s}/{e}", s, f"{s}/{e}", e, "", start.isoformat()])
        for f, v in zip(rows, (start.isoformat(), end.isoformat(), prec, edtf), strict=True):
            rows[f].append(v)
    fields = [{"name": f, "type": "date" if f.endswith("_date") else "string"} for f in rows]
    raw = RawTable(header=list(rows), table=pa.table({f: pa.array(v) for f, v in rows.items()}))
    ev = Table("events", "data/events.csv", TableSchema.from_descriptor({"fields": fields}), raw)
    ok = np.array([rng.random() < 0.9 for _ in range(300)])
    out = Collector(Report("x"), None)
    _precision_and_edtf(ev, ok, out)
    misaligned, expected = _reference_precision_and_edtf(ev, ok)
    found = out.report.findings
    assert [f.row - 2 for f in found if f.code == "precision-mismatch"] == misaligned
    wrong = [f for f in found if f.code == "edtf-mismatch"]
    assert [f.row - 2 for f in wrong] == list(expected)
    assert all(repr(expected[f.row - 2]) in f.fix for f in wrong)
    assert len(expected) > 10 and len(misaligned) > 10
