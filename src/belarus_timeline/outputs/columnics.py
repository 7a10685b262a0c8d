"""The iCalendar export written from the package's Arrow columns, as
:mod:`belarus_timeline.outputs.columnar` writes the GeoJSON one.

An event's lines are columns of text over the events; its description joins the pieces the
slides are written from (key quote, notes, credits) with the date derivations. Lines are folded
at 75 octets column-wise, as ``featuretext._fold`` folds each. The bytes
are those of ``formats._ics_chunks`` over the shared view (``tests/test_export_columnar.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from belarus_timeline.outputs.columnar import (
    _L,
    Fallback,
    _check,
    _col,
    _data,
    _empty_none,
    _s,
    _slice,
    cat,
)
from belarus_timeline.outputs.columnslides import (
    Slides,
    _described,
    _mapped,
    _sourced,
    by_pos,
    skip_join,
    slides,
)
from belarus_timeline.outputs.dates import display_edtf
from belarus_timeline.outputs.featuretext import _fold, _ics_text
from belarus_timeline.outputs.rows import records
from belarus_timeline.outputs.views import _places, _sources
from belarus_timeline.package import DataPackage

_NULL = pa.scalar(None, _L)


@dataclass
class Calendar:
    """What the events' lines are written from besides the slides' columns."""

    s: Slides
    cited: dict[str, str]  # source id -> its line: credit and URL
    place_lines: pa.Array  # by place (as ``place_at``): the description's line, "" last
    locations: pa.Array  # by place: LOCATION and GEO lines, folded; "" last


_BREAK = np.frombuffer(b"\r\n ", np.uint8)


def calendar(pkg: DataPackage) -> Calendar:
    s = slides(pkg)
    sources = _sources(records(pkg, "sources"))
    places = list(_places(records(pkg, "places")).values())
    where = []
    for p in places:
        lines = [f"LOCATION:{_ics_text(p.label)}"]
        if p.latitude is not None and p.longitude is not None:
            lines.append(f"GEO:{p.latitude!r};{p.longitude!r}")
        where.append("".join(_fold(line) + "\r\n" for line in lines))
    return Calendar(
        s=s,
        cited={
            k: f"Source: {x.credit}" + (f" {x.url}" if x.url else "") for k, x in sources.items()
        },
        place_lines=pa.array(
            [f"\nPlace: {p.label}. {p.coordinate_note}" for p in places] + [""], _L
        ),
        locations=pa.array([*where, ""], _L),
    )


def ics_text(values: pa.Array) -> pa.Array:
    """``featuretext._ics_text`` of each value: RFC 5545 TEXT escaping."""
    for old, new in (("\\", "\\\\"), (";", "\\;"), (",", "\\,"), ("\r\n", "\n"), ("\n", "\\n")):
        values = pc.replace_substring(values, old, new)
    return values


def fold(lines: pa.Array) -> pa.Array:
    """``featuretext._fold`` of each line, on the bytes of all the lines at once: a line
    longer than 75 octets is cut after 75, then every 74, each cut stepped back to the start
    of its UTF-8 character (an ASCII line: every cut as it is), and continued with CRLF and a
    space. (A loop per line holds the GIL, which the exports written side by side share.)"""
    lines = pc.cast(lines, _L)
    n = len(lines)
    bounds = np.frombuffer(lines.buffers()[1], np.int64)[lines.offset : lines.offset + n + 1]
    data = lines.buffers()[2]
    if not n or data is None:  # no line, or only empty ones
        return lines
    base = int(bounds[0])
    ends = bounds[1:] - base
    octets = np.frombuffer(data, np.uint8)[base : base + int(ends[-1])]
    start = bounds[:-1] - base
    limit = 75
    at = np.flatnonzero(ends - start > limit)
    cuts = []
    while len(at):
        cut = start[at] + limit
        for _ in range(3):  # at most three continuation bytes (0b10xxxxxx) end a character
            cut -= (octets[cut] & 0xC0) == 0x80
        cuts.append(cut)
        start[at] = cut
        limit = 74  # a continuation line starts with a space
        at = at[ends[at] - cut > limit]
    if not cuts:
        return lines
    every = np.sort(np.concatenate(cuts))
    per_line = np.bincount(np.searchsorted(ends, every, side="right"), minlength=n)[:n]
    shift = np.concatenate([[0], np.cumsum(per_line)]) * len(_BREAK)
    folded = np.insert(octets, np.repeat(every, len(_BREAK)), np.tile(_BREAK, len(every)))
    out = pa.LargeStringArray.from_buffers(
        n, pa.py_buffer(np.concatenate([[0], ends]) + shift), pa.py_buffer(folded)
    )
    return pc.if_else(pc.is_valid(lines), out, _NULL) if lines.null_count else out


def _line(values: pa.Array) -> pa.Array:
    return cat(fold(values), "\r\n")


def _ymd(days: pa.Array) -> pa.Array:
    """``YYYYMMDD`` of each day (years 1000 to 9999, checked)."""
    return pc.replace_substring(pc.cast(days, _L), "-", "")


def _derivations(s: Slides, a: int, b: int) -> pa.Array:
    """Per event, how the sources that resolved its preferred date did it, a line each."""
    st = s.f.statements
    rows, _ = _slice(st.group, a, b)
    preferred = rows.filter(
        pc.and_(pc.equal(_col(rows, "property"), "date"), pc.equal(_col(rows, "rank"), "preferred"))
    ).select(["_pos", "statement_id"])
    preferred = preferred.set_column(
        1, "statement_id", pc.cast(_col(preferred, "statement_id"), _L)
    )
    preferred = preferred.group_by(["_pos", "statement_id"], use_threads=False).aggregate([])
    ev, _ = _slice(s.f.evidence, a, b)
    expr = _empty_none(_col(ev, "date_expression"))
    spans = pa.table(
        {
            "_pos": _col(ev, "_pos"),
            "statement_id": _empty_none(_col(ev, "statement_id")),
            "_row": pa.array(np.arange(ev.num_rows)),
            "expr": expr,
            "anchor": _empty_none(_col(ev, "date_anchor")),
            "source_id": pc.cast(_col(ev, "source_id"), _L),
        }
    ).filter(pc.and_(pc.equal(_col(ev, "date_basis"), "resolved"), pc.is_valid(expr)))
    spans = spans.join(
        preferred, keys=["_pos", "statement_id"], join_type="inner", use_threads=False
    )
    spans = spans.take(pc.sort_indices(spans, sort_keys=[("_row", "ascending")]))
    anchor = pc.fill_null(cat(": ", _col(spans, "anchor")), _s(""))
    who = _mapped(_col(spans, "source_id"), s.labels)
    text = cat("\nResolved from “", _col(spans, "expr"), "” (", who, ")", anchor)
    pos = _col(spans, "_pos").to_numpy() - a
    return pc.fill_null(by_pos(text, pos, b - a, ""), _s(""))


def _description(c: Calendar, a: int, b: int, pending: dict[str, str]) -> pa.Array:
    """Each event's description, as ``formats._ics_description`` words it."""
    s = c.s
    f = s.f
    ev = f.events.slice(a, b - a)
    key = s.key_quote[a:b]
    has = key >= 0
    quote = pa.nulls(b - a, _L)
    if has.any():
        at = pa.array(np.where(has, key, 0))
        text = pc.take(_col(f.quotes.table, "text"), at)
        quote = pc.if_else(pa.array(has), cat("\n\n", text, " — ", pc.take(s.speakers, at)), _NULL)
    edtf = pc.cast(_col(ev, "edtf"), _L)
    distinct = pc.unique(edtf)
    shown = pa.array([display_edtf(v) for v in distinct.to_pylist()], _L)
    date = cat(
        "\n\nDate: ", pc.take(shown, pc.index_in(edtf, value_set=distinct)),
        " (precision: ", _col(ev, "date_precision"), "; EDTF ", edtf, ").",
    )  # fmt: skip
    date_line, place_line = _described(s, a, b)
    reported, _, _ = _sourced(s, a, b)
    status = _col(ev, "status")
    waiting = pc.take(
        pa.array(list(pending.values()), _L), pc.index_in(status, value_set=pa.array(list(pending)))
    )
    notes = skip_join([date_line, place_line, reported, waiting], "\n")
    used, _ = _slice(f.sources, a, b)
    ids = pc.cast(_col(used, "source_id"), _L)
    known = pc.is_in(ids, value_set=pa.array(list(c.cited), _L))
    mask = known.to_numpy(zero_copy_only=False)
    pos = _col(used, "_pos").to_numpy() - a
    cited = by_pos(cat("\n", _mapped(pc.filter(ids, known), c.cited)), pos[mask], b - a, "")
    summary = pc.fill_null(pc.cast(_col(ev, "summary"), _L), _s(""))
    return cat(
        summary,
        pc.fill_null(quote, _s("")),
        date,
        _derivations(s, a, b),
        pc.if_else(pc.equal(notes, ""), _s(""), cat("\n", notes)),
        pc.take(c.place_lines, f.place_at.slice(a, b - a)),
        pc.fill_null(cited, _s("")),
    )


def _event_batch(c: Calendar, a: int, b: int, stamp: str, pending: dict[str, str]) -> pa.Array:
    """The VEVENTs of events ``a:b``, as ``formats._ics_lines`` writes and folds them."""
    ev = c.s.f.events.slice(a, b - a)
    start = _col(ev, "start_date")
    through = pc.coalesce(_col(ev, "end_date"), start)
    after = pc.cast(pc.add(pc.cast(through, pa.int32()), pa.scalar(1, pa.int32())), pa.date32())
    status = pc.is_in(_col(ev, "status"), value_set=pa.array(list(pending)))
    return cat(
        "BEGIN:VEVENT\r\n",
        _line(cat("UID:", _col(ev, "event_id"), "@belarus-timeline")),
        _fold(f"DTSTAMP:{stamp}") + "\r\n",
        "DTSTART;VALUE=DATE:", _ymd(start), "\r\n",
        "DTEND;VALUE=DATE:", _ymd(after), "\r\n",
        _line(cat("SUMMARY:", ics_text(pc.cast(_col(ev, "title"), _L)))),
        _line(cat("DESCRIPTION:", ics_text(_description(c, a, b, pending)))),
        pc.take(c.locations, c.s.f.place_at.slice(a, b - a)),
        _line(cat("CATEGORIES:", ics_text(pc.replace_substring(_col(ev, "event_type"), "_", " ")))),
        "STATUS:", pc.if_else(status, _s("TENTATIVE"), _s("CONFIRMED")), "\r\n",
        "TRANSP:TRANSPARENT\r\nEND:VEVENT\r\n",
    )  # fmt: skip


def _days(c: Calendar) -> None:
    """Days written as ``YYYYMMDD`` directly: years 1000 to 9999 (and a day after the last)."""
    ev = c.s.f.events
    start = _col(ev, "start_date")
    through = pc.coalesce(_col(ev, "end_date"), start)
    if ev.num_rows:
        _check(pc.min(start).as_py() >= dt.date(1000, 1, 1))
        _check(pc.max(through).as_py() < dt.date(9999, 12, 31))


def ics_chunks(
    pkg: DataPackage, stamp: str, head: str, pending: dict[str, str], batch: int = 20_000
) -> Iterator[bytes] | None:
    """The iCalendar export of ``pkg`` (``stamp``: its DTSTAMP; ``head``: the calendar's
    lines before its events, folded) in chunks of bytes, the same bytes as the view's
    writer; ``None`` when the data has what only the view writes its way."""
    try:
        c = calendar(pkg)
        _days(c)
    except Fallback:
        return None
    n = c.s.f.events.num_rows

    def chunks() -> Iterator[bytes]:
        yield head.encode("utf-8")
        for a in range(0, n, batch):
            yield _data(_event_batch(c, a, min(n, a + batch), stamp, pending))
        yield b"END:VCALENDAR\r\n"

    return chunks()
