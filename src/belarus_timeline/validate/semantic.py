"""The semantic layer: rules across fields and tables that a Table Schema cannot express."""

from __future__ import annotations

import zoneinfo
from importlib import resources

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from belarus_timeline.edtf import parse as parse_edtf
from belarus_timeline.validate.codes import Code, emits
from belarus_timeline.validate.columns import (
    SPAN_TABLES,
    Table,
    days,
    mask,
    need,
)
from belarus_timeline.validate.keys import Coder, Ref, index_in, is_in
from belarus_timeline.validate.report import Collector, cell

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Rows that name an event and one of its actors.
_PARTIES = [("quotes", "speaker_id"), ("claims", "claimant_id")]
# Event ids and actor ids of the tables compared here, each set coded once, together.
DOMAINS: list[list[Ref]] = [
    [(n, "event_id") for n in ("events", "participants", "quotes", "claims")],
    [("participants", "actor_id"), *_PARTIES],
]


# The columns the checks below read, by table (besides the formula cells and the span order of
# each table, which run with the table's own checks when tables are read one by one): the rest
# can be dropped.
READS: dict[str, set[str]] = {
    "events": {"event_id", "start_date", "end_date", "date_precision", "edtf", "timezone"},
    "quotes": {"event_id", "said_on", "speaker_id"},
    "claims": {"event_id", "stated_on", "claimant_id", "period"},
    "evidence": {"event_id", "stance"},
    "participants": {"event_id", "actor_id"},
    "places": {"latitude", "longitude", "coordinate_precision"},
    "event_links": {"from_event_id", "to_event_id"},
}


@emits(Code.SELF_LINK, Code.NO_EVIDENCE)
def check_semantic(
    tables: dict[str, Table],
    out: Collector,
    *,
    formulas: bool = True,
    spans: list[Collector] | None = None,
    coder: Coder | None = None,
) -> None:
    """Rules across fields and tables (``formulas``: with each table's formula cells, which
    :func:`check_formulas` otherwise checks table by table; ``spans``: the findings of
    :func:`check_span_order` run on each span table as it was read, in ``SPAN_TABLES``'s
    order, None to check the spans here; ``coder``: the package's codes, shared with the
    other checks, or None for codes of this layer's own)."""
    for t in tables.values() if formulas else ():
        check_formulas(t, out)
    ev = need(
        tables,
        "events",
        [
            "event_id",
            "start_date",
            "end_date",
            "date_precision",
            "edtf",
            "timezone",
        ],
    )
    if ev is not None:
        _event_dates(ev, out)
    if spans is None:
        for name in SPAN_TABLES:
            if name in tables:
                check_span_order(tables[name], out)
    else:
        for sub in spans:
            out.merge(sub)
    codes = coder or Coder(tables, DOMAINS)
    _within_event(tables, "quotes", "said_on", codes, out)
    _within_event(tables, "claims", "stated_on", codes, out)
    claims = need(tables, "claims", ["period"])
    if claims is not None:
        _real_periods(claims, "period", out)
    p = need(tables, "participants", ["event_id", "actor_id"])
    if p is not None:
        _participants(tables, p, codes, out)
    pl = need(tables, "places", ["latitude", "longitude", "coordinate_precision"])
    if pl is not None:
        _coordinates(pl, out)
    links = need(tables, "event_links", ["from_event_id", "to_event_id"])
    if links is not None:
        out.rows(
            _same(links, "from_event_id", "to_event_id") & links.differs("from_event_id", ""),
            layer="semantic",
            code=Code.SELF_LINK,
            file=links.file,
            fld="to_event_id",
            values=links.shown("to_event_id"),
            message=lambda i: "An event cannot be linked to itself.",
            fix=lambda i: "Point to_event_id at another event, or delete the row.",
        )
    evid = need(tables, "evidence", ["event_id", "stance"])
    if ev is not None and evid is not None:
        # Only a span that supports the event (or qualifies it) counts: one that contradicts
        # it is a reason to doubt the event, not to record it.
        without = ~_backed(ev, evid, evid.differs("stance", "contradicts"))
        out.rows(
            without & ev.differs("event_id", ""),
            layer="semantic",
            code=Code.NO_EVIDENCE,
            file=ev.file,
            fld="event_id",
            values=ev.shown("event_id"),
            message=lambda i: (
                "The event has no evidence row that supports it: every event must be traced "
                "to the source text behind it."
            ),
            fix=lambda i: f"Add a row to {evid.file} with the span that supports the event.",
        )


# A cell a spreadsheet would run as a formula starts with one of these bytes (all ASCII, so the
# first byte of the UTF-8 cell decides).
_FORMULA_BYTES = np.zeros(256, dtype=bool)
_FORMULA_BYTES[np.frombuffer("".join(FORMULA_PREFIXES).encode("ascii"), dtype=np.uint8)] = True


_FORMULA = "^[" + "".join("\\" + p if p in "-+" else p for p in FORMULA_PREFIXES) + "]"


def _starts_formula(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Rows whose cell starts with a formula prefix, read from the first byte of each cell."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    parts = [np.zeros(0, dtype=bool)]
    for ch in chunks:
        data = ch.buffers()[2] if ch.type == pa.string() and not ch.null_count else None
        if data is None or ch.offset:
            parts.append(mask(pc.match_substring_regex(ch, _FORMULA)) if len(ch) else parts[0])
            continue
        offs = np.frombuffer(ch.buffers()[1], dtype=np.int32, count=len(ch) + 1)
        raw = np.frombuffer(data, dtype=np.uint8)[: offs[-1]]
        if not len(raw):
            parts.append(np.zeros(len(ch), dtype=bool))
            continue
        # The first byte of every cell (an empty cell reads another's: masked out), looked up
        # in a table of the 256 byte values.
        first = raw[np.minimum(offs[:-1], len(raw) - 1)]
        parts.append((offs[1:] > offs[:-1]) & _FORMULA_BYTES[first])
    return np.concatenate(parts)


@emits(Code.FORMULA_INJECTION)
def check_formulas(t: Table, out: Collector) -> None:
    """Text cells a spreadsheet would run as a formula, in one table."""
    for f in t.schema.fields:
        if f.type != "string" or f.name not in t.typed:
            continue
        col = t.col(f.name)
        out.rows(
            _starts_formula(col),
            layer="semantic",
            code=Code.FORMULA_INJECTION,
            file=t.file,
            fld=f.name,
            values=col,
            message=lambda i: (
                "The text starts with a character a spreadsheet would run "
                "as a formula (= + - @ tab CR)."
            ),
            fix=lambda i: (
                "Reword the text so it does not start with that character "
                "(e.g. write 'minus 5' or put the sign later)."
            ),
        )


@emits(Code.END_BEFORE_START)
def _event_dates(ev: Table, out: Collector) -> None:
    start_a, end_a = ev.values("start_date"), ev.values("end_date")
    start, end = days(start_a), days(end_a)
    has_start, has_end = mask(pc.is_valid(start_a)), mask(pc.is_valid(end_a))
    both = has_start & has_end
    before = both & (end < start)
    out.rows(
        before,
        layer="semantic",
        code=Code.END_BEFORE_START,
        file=ev.file,
        fld="end_date",
        values=ev.shown("end_date"),
        message=lambda i: f"end_date is before start_date ({ev.cell('start_date', i)}).",
        fix=lambda i: "Swap the dates or correct the one that is wrong.",
    )
    # Level-0 dates with both ends (nearly all rows) are checked over whole columns; unspecified
    # digits, open ends and a missing end_date (a handful) one by one with the EDTF parser.
    level1 = ev.per_cell("edtf", lambda c: mask(pc.match_substring_regex(c, r"X|\.\."))) | ~has_end
    _precision_and_edtf(ev, both & ~before & ~level1, out)
    _edtf_bounds(ev, has_start & level1 & ~before, out)
    _timezone(ev, out)


@emits(Code.EDTF_MISMATCH)
def _edtf_bounds(ev: Table, rows: np.ndarray, out: Collector) -> None:
    """start_date, end_date and date_precision are the EDTF's bounds and precision (one row at
    a time: only rows with unspecified digits, an open end or no end_date come here)."""
    start_a, end_a = ev.values("start_date"), ev.values("end_date")
    expected: dict[int, str] = {}
    for i in np.flatnonzero(rows).tolist():
        text = ev.cell("edtf", i)
        try:
            value = parse_edtf(text)
        except ValueError as exc:
            expected[i] = f"{exc}"
            continue
        got = (cell(start_a, i), cell(end_a, i), ev.cell("date_precision", i))
        if got != (value.lower, value.upper, value.precision):
            end = value.upper.isoformat() if value.upper else "empty (an open end)"
            expected[i] = (
                f"start_date {value.lower.isoformat()}, end_date {end} and date_precision "
                f"{value.precision!r}"
            )
    bad = np.zeros(len(rows), dtype=bool)
    bad[list(expected)] = True
    out.rows(
        bad,
        layer="semantic",
        code=Code.EDTF_MISMATCH,
        file=ev.file,
        fld="edtf",
        values=ev.shown("edtf"),
        message=lambda i: f"The EDTF does not agree with the dates and precision: {expected[i]}.",
        fix=lambda i: (
            "Make start_date, end_date and date_precision the EDTF's first day, last day and "
            "precision (end_date empty only for an open end, `/..`), or correct the EDTF."
        ),
    )


@emits(Code.PRECISION_MISMATCH, Code.EDTF_MISMATCH)
def _precision_and_edtf(ev: Table, ok: np.ndarray, out: Collector) -> None:
    """Month and year precision span whole periods; the EDTF agrees with dates and precision."""
    start_a, end_a = ev.values("start_date"), ev.values("end_date")
    start, end = days(start_a), days(end_a)
    is_day, is_month, is_year = (ev.equal("date_precision", p) for p in ("day", "month", "year"))
    aligned = np.ones(len(start), dtype=bool)
    # A whole month starts on a 1st and ends the day before one; a whole year on 1 January.
    s_month, s_day = month_day(start)
    e_month, e_day = month_day(end + 1)
    aligned[is_month] = ((s_day == 1) & (e_day == 1))[is_month]
    aligned[is_year] = ((s_month == 1) & (s_day == 1) & (e_month == 1) & (e_day == 1))[is_year]
    misaligned = ok & ~aligned & (is_month | is_year)
    out.rows(
        misaligned,
        layer="semantic",
        code=Code.PRECISION_MISMATCH,
        file=ev.file,
        fld="date_precision",
        values=ev.shown("date_precision"),
        message=lambda i: (
            f"With {ev.cell('date_precision', i)} precision the dates must span whole "
            f"{ev.cell('date_precision', i)}s, but they are {_iso(start_a, i)}..{_iso(end_a, i)}."
        ),
        fix=lambda i: (
            "Use the first and last day of the period, or set the precision "
            "to 'day'. Never put a midpoint in a date."
        ),
    )
    expected: dict[int, str] = {}
    for width, rows in ((10, is_day), (7, is_month), (4, is_year)):
        expected.update(_edtf_mismatches(ev, np.flatnonzero(ok & aligned & rows), width))
    wrong = np.zeros(len(start), dtype=bool)
    wrong[list(expected)] = True
    out.rows(
        wrong,
        layer="semantic",
        code=Code.EDTF_MISMATCH,
        file=ev.file,
        fld="edtf",
        values=ev.shown("edtf"),
        message=lambda i: (
            f"The EDTF does not agree with the dates and precision (expected {expected[i]!r})."
        ),
        fix=lambda i: f"Set edtf to {expected[i]!r}, or correct the dates.",
    )


def month_day(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The month (1-12) and day of the month of ``datetime64[D]`` dates, in integer arithmetic
    (the proleptic Gregorian calendar, as numpy's; converting units with numpy is slower)."""
    # H. Hinnant's civil_from_days: eras of 400 years (146097 days) from 0000-03-01.
    z = dates.astype(np.int64) + 719468
    doe = z - (z // 146097) * 146097  # day of the era, 0-146096
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)  # day of the year from 1 March
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    return np.where(mp < 10, mp + 3, mp - 9), day


def _iso(dates: pa.Array | pa.ChunkedArray, i: int) -> str | None:
    """The ISO text of one date (as Arrow prints it: YYYY-MM-DD)."""
    text: str | None = pc.cast(dates.take(pa.array([i], pa.int64())), pa.string())[0].as_py()
    return text


def _edtf_mismatches(ev: Table, rows: np.ndarray, width: int) -> dict[int, str]:
    """Of ``rows`` (valid dates, of one precision), those whose EDTF is not the dates' ISO text
    cut to ``width`` ("start/end" when the cut dates differ), with the EDTF expected."""
    if not len(rows):
        return {}
    picked = pa.array(rows, pa.int64())
    cut_s, cut_e = (
        pc.utf8_slice_codeunits(pc.cast(pc.take(ev.values(f), picked), pa.string()), 0, width)
        for f in ("start_date", "end_date")
    )
    edtf_a = ev.take("edtf", picked)
    same = mask(pc.equal(cut_s, cut_e))
    found: dict[int, str] = {}
    for sel, joined in ((same, False), (~same, True)):
        if not sel.any():
            continue
        keep = pa.array(sel)
        exp = pc.filter(cut_s, keep)
        if joined:  # "start/end" where the cut dates differ (joined only there: it is slow)
            exp = pc.binary_join_element_wise(exp, pc.filter(cut_e, keep), "/")
        bad = mask(pc.not_equal(exp, pc.filter(edtf_a, keep)))
        picked_exp = pc.filter(exp, pa.array(bad)).to_pylist()
        found.update(zip(rows[sel][bad].tolist(), picked_exp, strict=True))
    return found


@emits(Code.UNKNOWN_TIMEZONE, Code.DEPRECATED_TIMEZONE)
def _timezone(ev: Table, out: Collector) -> None:
    """Time zones are current IANA names (a deprecated alias gets its canonical name)."""
    tz = ev.shown("timezone")
    known = pa.array(sorted(_timezones()))
    bad_tz = ev.per_cell(
        "timezone",
        lambda c: mask(pc.and_(pc.not_equal(c, ""), pc.invert(pc.is_in(c, value_set=known)))),
    )
    out.rows(
        bad_tz,
        layer="semantic",
        code=Code.UNKNOWN_TIMEZONE,
        file=ev.file,
        fld="timezone",
        values=tz,
        message=lambda i: "Not an IANA time zone name.",
        fix=lambda i: "Use a name from the IANA tz database, e.g. Europe/Minsk.",
    )
    aliases = _deprecated_timezones()
    out.rows(
        ev.among("timezone", sorted(aliases)),
        layer="semantic",
        code=Code.DEPRECATED_TIMEZONE,
        file=ev.file,
        fld="timezone",
        values=tz,
        message=lambda i: (
            f"{_at(tz, i)} is a deprecated name kept for old software; the canonical IANA "
            f"name is {aliases[str(_at(tz, i))]}."
        ),
        fix=lambda i: f"Write {aliases[str(_at(tz, i))]}.",
    )


_TZ: set[str] = set()
_ALIASES: dict[str, str] = {}


def _timezones() -> set[str]:
    if not _TZ:
        _TZ.update(zoneinfo.available_timezones())
    return _TZ


def _deprecated_timezones() -> dict[str, str]:
    """Deprecated name -> canonical name, from the tz database the ``tzdata`` package ships: a
    link (``L target name`` in tzdata.zi) whose name is no country's zone in zone.tab (so
    Europe/Kiev -> Europe/Kyiv and US/Eastern -> America/New_York, but Europe/Oslo, a link
    since 2022 that is Norway's own name, stays)."""
    if not _ALIASES:
        folder = resources.files("tzdata").joinpath("zoneinfo")
        links = {}
        for line in folder.joinpath("tzdata.zi").read_text(encoding="utf-8").splitlines():
            if line.startswith("L "):
                _, target, name = line.split()
                links[name] = target
        tab = folder.joinpath("zone.tab").read_text(encoding="utf-8").splitlines()
        countries = {row.split("\t")[2] for row in tab if row and not row.startswith("#")}
        for name, target in links.items():
            while target in links:  # a link to a link: follow it to the zone
                target = links[target]
            if name not in countries:
                _ALIASES[name] = target
    return _ALIASES


_MONTH_DAYS = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


@emits(Code.INVALID_EDTF)
def _real_periods(t: Table, name: str, out: Collector) -> None:
    """An EDTF date (YYYY, YYYY-MM or YYYY-MM-DD; its form is the schema's pattern) must name a
    real month and day: 2022-13 and 2023-02-30 name none."""
    col = t.col(name)
    text = pc.utf8_rpad(col, 10, "0")  # YYYY -> YYYY000000: month and day 00 mean "not given"
    good = mask(pc.match_substring_regex(text, r"^[0-9]{4}[-0][0-9]{2}[-0][0-9]{2}$"))
    year = _digits(text, 0, 4)
    month, day = _digits(text, 5, 7), _digits(text, 8, 10)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    limit = _MONTH_DAYS[np.clip(month, 0, 12)] - ((month == 2) & ~leap)
    length = np.asarray(pc.utf8_length(col).to_numpy(zero_copy_only=False))
    bad = good & (
        ((length >= 7) & ((month < 1) | (month > 12)))
        | ((length == 10) & ((day < 1) | (day > limit)))
    )
    out.rows(
        bad,
        layer="semantic",
        code=Code.INVALID_EDTF,
        file=t.file,
        fld=name,
        values=col,
        message=lambda i: f"{cell(col, i)!r} names no real month or day.",
        fix=lambda i: "Write the period as YYYY, YYYY-MM (month 01-12) or YYYY-MM-DD (a real day).",
    )


def _digits(text: pa.ChunkedArray, start: int, stop: int) -> np.ndarray:
    """The digits text[start:stop] of every cell as integers (0 where they are not digits)."""
    part = pc.utf8_slice_codeunits(text, start, stop)
    digits = pc.if_else(pc.match_substring_regex(part, "^[0-9]+$"), part, "0")
    return np.asarray(pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False))


@emits(Code.EMPTY_SPAN)
def check_span_order(t: Table, out: Collector) -> None:
    """A span ends after it starts, in one table (``SPAN_TABLES``; any other has no spans)."""
    if t.name not in SPAN_TABLES or need({t.name: t}, t.name, ["char_start", "char_end"]) is None:
        return
    s, e = t.values("char_start"), t.values("char_end")
    out.rows(
        mask(pc.less_equal(e, s)),
        layer="semantic",
        code=Code.EMPTY_SPAN,
        file=t.file,
        fld="char_end",
        values=t.shown("char_end"),
        message="char_end must be greater than char_start.",
        fix="char_end is exclusive: char_start + the excerpt's length.",
    )


@emits(Code.OUTSIDE_EVENT)
def _within_event(
    tables: dict[str, Table], name: str, date_field: str, codes: Coder, out: Collector
) -> None:
    t = need(tables, name, ["event_id", date_field])
    ev = need(tables, "events", ["event_id", "start_date", "end_date"])
    if t is None or ev is None:
        return
    ids = t.shown("event_id")
    # Row of each id's event (the first, if an id repeats); -1 when there is none.
    at = index_in(codes.codes((name, "event_id")), codes.codes((ev.name, "event_id")))
    start, end = ev.values("start_date"), ev.values("end_date")
    when = t.values(date_field)
    bad = np.zeros(t.raw.num_rows, dtype=bool)
    if ev.raw.num_rows:  # a date outside known dates of its event (all three given)
        row = np.maximum(at, 0)
        known = (at >= 0) & mask(pc.is_valid(when))
        known &= mask(pc.is_valid(start))[row] & mask(pc.is_valid(end))[row]
        day = days(when)
        bad = known & ((day < days(start)[row]) | (day > days(end)[row]))
    out.rows(
        bad,
        layer="semantic",
        code=Code.OUTSIDE_EVENT,
        file=t.file,
        fld=date_field,
        values=t.shown(date_field),
        message=lambda i: (
            f"The date falls outside its event {_at(ids, i)!r} "
            f"({cell(start, int(at[i])):%Y-%m-%d}..{cell(end, int(at[i])):%Y-%m-%d})."
        ),
        fix=lambda i: "Correct the date, or attach the row to the event it belongs to.",
    )


def _participants(tables: dict[str, Table], p: Table, codes: Coder, out: Collector) -> None:
    """The speakers of quotes and the claimants of claims take part in their events."""
    present = [(n, f) for n, f in _PARTIES if need(tables, n, ["event_id", f]) is not None]
    # The (event, actor) pairs of the three tables, coded together (as joined strings compare).
    refs: list[list[Ref]] = [[(p.name, "event_id"), (p.name, "actor_id")]]
    refs += [[(n, "event_id"), (n, f)] for n, f in present]
    keys = codes.keys(*refs)
    for (name, actor_field), key in zip(present, keys[1:], strict=True):
        _is_participant(tables[name], actor_field, p, ~is_in(key, keys[0]), out)


@emits(Code.NOT_A_PARTICIPANT)
def _is_participant(
    t: Table, actor_field: str, p: Table, unknown: np.ndarray, out: Collector
) -> None:
    bad = t.differs(actor_field, "") & t.differs("event_id", "") & unknown
    ev, actor = t.shown("event_id"), t.shown(actor_field)
    out.rows(
        bad,
        layer="semantic",
        code=Code.NOT_A_PARTICIPANT,
        file=t.file,
        fld=actor_field,
        values=actor,
        message=lambda i: f"{_at(actor, i)!r} is not a participant of event {_at(ev, i)!r}.",
        fix=lambda i: (
            f"Add ({_at(ev, i)}, {_at(actor, i)}, <role>) to {p.file}, or correct {actor_field}."
        ),
    )


def _at(values: object, i: int) -> object:
    """Cell ``i`` of a column's ``Table.shown`` values."""
    return cell(values, i) if isinstance(values, pa.Array | pa.ChunkedArray) else values[i]  # type: ignore[index]


def _same(t: Table, a: str, b: str) -> np.ndarray:
    """Whether the raw cells of two columns are equal, row by row (as codes when both are
    coded in one dictionary)."""
    x, y = t.codes(a), t.codes(b)
    if x is not None and y is not None and x[0] == y[0]:
        return np.asarray(x[1] == y[1])
    return mask(pc.equal(t.col(a), t.col(b)))


def _backed(ev: Table, evid: Table, counts: np.ndarray) -> np.ndarray:
    """Whether each event's id is the event_id of an evidence row that ``counts``."""
    x, y = ev.codes("event_id"), evid.codes("event_id")
    if x is not None and y is not None and x[0] == y[0]:
        return is_in(x[1], y[1][counts])
    backing = pc.filter(evid.col("event_id"), pa.array(counts))
    return mask(pc.is_in(ev.col("event_id"), value_set=backing))


@emits(Code.HALF_COORDINATES, Code.COORDINATE_PRECISION)
def _coordinates(pl: Table, out: Collector) -> None:
    lat, lon = pl.typed["latitude"], pl.typed["longitude"]
    has_lat, has_lon = ~lat.missing, ~lon.missing
    out.rows(
        has_lat ^ has_lon,
        layer="semantic",
        code=Code.HALF_COORDINATES,
        file=pl.file,
        fld="longitude" if has_lat.any() else "latitude",
        values=None,
        message=lambda i: "Only one of latitude and longitude is given.",
        fix=lambda i: "Give both coordinates or neither.",
    )
    prec = pl.col("coordinate_precision")
    out.rows(
        (has_lat & has_lon) == mask(pc.equal(prec, "none")),
        layer="semantic",
        code=Code.COORDINATE_PRECISION,
        file=pl.file,
        fld="coordinate_precision",
        values=prec,
        message=lambda i: (
            "coordinate_precision must be 'none' exactly when there are no coordinates."
        ),
        fix=lambda i: "Say what the point stands for (e.g. 'city'), or 'none'.",
    )
