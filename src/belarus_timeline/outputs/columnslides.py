"""The TimelineJS export written from the package's Arrow columns, as
:mod:`belarus_timeline.outputs.columnar` writes the GeoJSON one.

A slide's HTML text is its paragraphs joined (summary, key quote, links, notes on what the
sources say, credit), each a column of text over the events: notes and credits are the
events' child rows (statements, sources) worded and joined per event through list arrays.
The bytes are those of ``formats._slide_texts`` over the shared view
(``tests/test_export_columnar.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from belarus_timeline.outputs.attribution import relation_label
from belarus_timeline.outputs.columnar import (
    _L,
    Fallback,
    Features,
    _check,
    _col,
    _full,
    _Group,
    _grouped,
    _known,
    _positions,
    _read,
    _s,
    _slice,
    cat,
    features,
    json_strings,
    kept_on,
    statement_values,
    written,
)
from belarus_timeline.outputs.dates import display_edtf
from belarus_timeline.outputs.featuretext import _close, _prefixes
from belarus_timeline.outputs.jsontext import TextStream
from belarus_timeline.outputs.rows import records
from belarus_timeline.outputs.views import _labels, _sources
from belarus_timeline.package import DataPackage

_SLIDE = _prefixes(
    ("unique_id", "start_date", "end_date", "display_date", "text", "group", "media"), 2
)
_PARTS = _prefixes(("year", "month", "day"), 3)
_TEXT = _prefixes(("headline", "text"), 3)
_MEDIA = _prefixes(("url", "caption", "credit"), 3)
_NULL = pa.scalar(None, _L)


def esc(values: pa.Array) -> pa.Array:
    """``html.escape(value, quote=True)`` of each value."""
    for old, new in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        values = pc.replace_substring(values, old, new)
    return pc.replace_substring(values, "'", "&#x27;")


def _mapped(keys: pa.Array, table: dict[str, str]) -> pa.Array:
    """``table.get(key, key)`` of each key."""
    at = pc.index_in(keys, value_set=pa.array(list(table), _L))
    return pc.coalesce(pc.take(pa.array(list(table.values()), _L), at), pc.cast(keys, _L))


def by_offsets(values: pa.Array, offsets: np.ndarray, sep: str) -> pa.Array:
    """Per group (rows ``offsets[i]:offsets[i+1]`` of ``values``) the values joined with
    ``sep``; null for an empty group."""
    offsets = np.asarray(offsets, np.int64)
    lo = int(offsets[0])
    items = pc.cast(values, _L).slice(lo, int(offsets[-1]) - lo)
    lists = pa.LargeListArray.from_arrays(pa.array(offsets - lo), items)
    return pc.if_else(pa.array(np.diff(offsets) > 0), pc.binary_join(lists, _s(sep)), _NULL)


def skip_join(parts: list[pa.Array], sep: str) -> pa.Array:
    """The non-null parts joined with ``sep`` ("" when none). (``binary_join_element_wise``
    with ``null_handling="skip"`` drops the rows where every part is null, in pyarrow 26.)"""
    joined = cat(*[pc.fill_null(cat(sep, p), _s("")) for p in parts])
    return pc.utf8_slice_codeunits(joined, len(sep))


def by_pos(values: pa.Array, pos: np.ndarray, m: int, sep: str) -> pa.Array:
    """Per event ``0..m-1`` its ``values`` (rows sorted by event, ``pos``) joined with ``sep``."""
    counts = np.bincount(pos, minlength=m) if len(pos) else np.zeros(m, np.int64)
    return by_offsets(values, np.concatenate([[0], np.cumsum(counts)]), sep)


@dataclass
class Slides:
    """What slides are written from besides the features' columns."""

    f: Features
    labels: dict[str, str]  # source id -> short name
    credits: dict[str, str]
    urls: dict[str, str]  # sources with a URL
    key_quote: np.ndarray  # per event: its key quote's row in ``f.quotes`` (-1: none)
    speakers: pa.Array  # per row of ``f.quotes``
    links: _Group  # per event: out first, by relation, by other event; with its paragraph


def _key_quotes(
    pkg: DataPackage, f: Features, names: dict[str, str]
) -> tuple[np.ndarray, pa.Array]:
    """The first whole quoted sentence, else the first fragment, among the first renderings
    of the utterances (the one named by the utterance, else the first in the source)."""
    q = f.quotes.table
    ids = _full(_col(q, "quote_id"))
    _check(pc.count_distinct(ids).as_py() == len(ids))
    utterance = _full(_col(q, "utterance_id"))
    _full(_col(q, "text"))
    full = pc.equal(_known(pkg, "quotes", "quote_kind", _col(q, "quote_kind")), "full")
    rows = len(ids)
    r = np.arange(rows, dtype=np.int64)
    named = pc.equal(ids, utterance).to_numpy(zero_copy_only=False)
    pos = _col(q, "_pos")
    leaders = (
        pa.table({"_pos": pos, "u": utterance, "k": (~named) * rows + r})
        .group_by(["_pos", "u"], use_threads=False)
        .aggregate([("k", "min")])
    )
    lead = leaders.column("k_min").to_numpy() % max(rows, 1)
    fragment = ~full.to_numpy(zero_copy_only=False)[lead]
    best = (
        pa.table({"_pos": leaders.column("_pos"), "k": fragment * rows + lead})
        .group_by(["_pos"], use_threads=False)
        .aggregate([("k", "min")])
    )
    key = np.full(f.events.num_rows, -1, np.int64)
    key[best.column("_pos").to_numpy()] = best.column("k_min").to_numpy() % max(rows, 1)
    return key, _mapped(_full(_col(q, "speaker_id")), names)


def _title(other: pa.Array, ids: pa.Array, titles: pa.Array) -> pa.Array:
    """The title of each event id, else the id (``view.titles.get(id, id)``)."""
    return pc.coalesce(pc.take(titles, pc.index_in(other, value_set=ids)), pc.cast(other, _L))


def _links(pkg: DataPackage, f: Features) -> _Group:
    """Each link seen from both its events, as the paragraph a slide gives it."""
    t = _read(pkg, "event_links")
    a, b = _full(_col(t, "from_event_id")), _full(_col(t, "to_event_id"))
    relation = pc.cast(_known(pkg, "event_links", "relation", _col(t, "relation")), _L)
    ids = _col(f.events, "event_id")
    titles = pc.cast(_col(f.events, "title"), _L)
    parts = []
    for direction, here, other in (("out", a, b), ("in", b, a)):
        labels = {r: relation_label(r, direction) for r in pc.unique(relation).to_pylist()}
        text = cat(
            "<p>", esc(_mapped(relation, labels)), ": ", esc(_title(other, ids, titles)), ".</p>"
        )
        side = pa.table(
            {
                "event_id": here,
                "_in": pa.array(np.full(len(t), direction == "in")),
                "relation": relation,
                "other": pc.cast(other, _L),
                "text": text,
            }
        )
        parts.append(side)
    both = pa.concat_tables(parts)
    n = f.events.num_rows
    return _grouped(both, _positions(both, ids), ["_in", "relation", "other"], n)


def slides(pkg: DataPackage) -> Slides:
    """The columns the slides are written from, made once per package object."""
    return kept_on(pkg, "_slides", lambda: _slides(pkg))


def _slides(pkg: DataPackage) -> Slides:
    f = features(pkg)
    sources = _sources(records(pkg, "sources"))
    names = {str(r["actor_id"]): str(r["name"]) for r in records(pkg, "actors")}
    key, speakers = _key_quotes(pkg, f, names)
    return Slides(
        f=f,
        labels=_labels(sources),
        credits={k: s.credit for k, s in sources.items()},
        urls={k: s.url for k, s in sources.items() if s.url},
        key_quote=key,
        speakers=speakers,
        links=_links(pkg, f),
    )


def _para(text: pa.Array) -> pa.Array:
    return cat("<p>", esc(text), "</p>")


def _described(s: Slides, a: int, b: int) -> tuple[pa.Array, pa.Array]:
    """The lines on a disputed date and place: each value with the sources that give it."""
    date, place = disputes(s.f, s.labels, a, b)
    return cat("Date: ", date, "."), cat("Place: ", place, ".")


def disputes(f: Features, labels: dict[str, str], a: int, b: int) -> tuple[pa.Array, pa.Array]:
    """``view.describe(ev, prop)`` of the date and the place of events ``a:b`` where they are
    disputed (else null): each value with the sources that give it."""
    st = f.statements
    rows, _ = _slice(st.group, a, b)
    m = b - a
    if rows.num_rows == 0:
        return pa.nulls(m, _L), pa.nulls(m, _L)
    lo, hi = int(st.group.offsets[a]), int(st.group.offsets[b])
    prop, _, label = statement_values(rows, f.labels)
    back, back_at = _slice(st.backing, lo, hi)
    against, against_at = _slice(st.contradicting, lo, hi)
    who = skip_join(
        [
            pc.if_else(pc.equal(_col(rows, "rank"), "deprecated"), _s("deprecated"), _NULL),
            by_offsets(_mapped(_col(back, "source_id"), labels), back_at, "; "),
            by_offsets(
                cat("contradicted by ", _mapped(_col(against, "source_id"), labels)),
                against_at,
                "; ",
            ),
        ],
        "; ",
    )
    part = pc.if_else(pc.equal(who, ""), label, cat(label, " (", who, ")"))
    pos = _col(rows, "_pos").to_numpy() - a
    lines = []
    for bit, p in ((1, "date"), (2, "place")):
        mine = pc.equal(prop, p)
        mask = mine.to_numpy(zero_copy_only=False)
        text = by_pos(pc.filter(part, mine), pos[mask], m, " · ")
        disputed = pa.array((st.disputed[a:b] & bit) > 0)
        lines.append(pc.if_else(disputed, text, _NULL))
    return lines[0], lines[1]


def _sourced(s: Slides, a: int, b: int) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Who reports the events ``a:b`` (a line when more than one source), their credit, URL."""
    f, m = s.f, b - a
    back, back_at = _slice(f.backing, a, b)
    count = np.diff(back_at)
    names = by_offsets(_mapped(_col(back, "source_id"), s.labels), back_at, ", ")
    reported = cat("Reported by ", pa.array(count.astype(str), _L), " sources: ", names, ".")
    reported = pc.if_else(pa.array(count > 1), reported, _NULL)
    used, _ = _slice(f.sources, a, b)
    ids = pc.cast(_col(used, "source_id"), _L)
    pos = _col(used, "_pos").to_numpy() - a
    known = pc.is_in(ids, value_set=pa.array(list(s.credits), _L))
    mask = known.to_numpy(zero_copy_only=False)
    credit = by_pos(_mapped(pc.filter(ids, known), s.credits), pos[mask], m, "; ")
    with_url = pc.is_in(ids, value_set=pa.array(list(s.urls), _L))
    at = with_url.to_numpy(zero_copy_only=False)
    urls = _mapped(pc.filter(ids, with_url), s.urls)
    counts = np.bincount(pos[at], minlength=m) if at.any() else np.zeros(m, np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)])[:-1]
    has = counts > 0
    first = pc.replace_with_mask(
        pa.array(np.full(m, "", object), _L), pa.array(has), pc.take(urls, pa.array(starts[has]))
    )
    return reported, credit, first


def _quoted(s: Slides, a: int, b: int) -> pa.Array:
    """The key quote's paragraph (null: none)."""
    key = s.key_quote[a:b]
    has = key >= 0
    if not has.any():
        return pa.nulls(b - a, _L)
    at = pa.array(np.where(has, key, 0))
    text = pc.take(_col(s.f.quotes.table, "text"), at)
    speaker = pc.take(s.speakers, at)
    html = cat("<blockquote>", esc(text), " <cite>— ", esc(speaker), "</cite></blockquote>")
    return pc.if_else(pa.array(has), html, _NULL)


def _body(s: Slides, a: int, b: int, pending: dict[str, str]) -> tuple[pa.Array, ...]:
    """Each slide's HTML text, media URL and credit."""
    ev = s.f.events.slice(a, b - a)
    summary = pc.fill_null(pc.cast(_col(ev, "summary"), _L), _s(""))
    links, links_at = _slice(s.links, a, b)
    date_line, place_line = _described(s, a, b)
    reported, credit, url = _sourced(s, a, b)
    status = _col(ev, "status")
    waiting = pc.take(
        pa.array(list(pending.values()), _L), pc.index_in(status, value_set=pa.array(list(pending)))
    )
    parts = [
        _para(summary),
        _quoted(s, a, b),
        by_offsets(_col(links, "text"), links_at, ""),
        *[_para(line) for line in (date_line, place_line, reported, waiting)],
        cat("<p class='credit'>Source: ", esc(credit), "</p>"),
    ]
    text = cat(*[pc.fill_null(p, _s("")) for p in parts])
    return text, url, pc.fill_null(credit, _s(""))


def _dates(ev: pa.Table) -> tuple[pa.Array, pa.Array]:
    """TimelineJS date parts down to the precision; the end's where they differ (else null)."""
    precision = _col(ev, "date_precision")
    month = pc.is_in(precision, value_set=pa.array(["month", "day"]))
    day = pc.equal(precision, "day")
    start = _col(ev, "start_date")
    end = pc.coalesce(_col(ev, "end_date"), start)

    def parts(d: pa.Array) -> tuple[pa.Array, ...]:
        return tuple(pc.cast(f(d), _L) for f in (pc.year, pc.month, pc.day))

    def text(y: pa.Array, m: pa.Array, d: pa.Array) -> pa.Array:
        return cat(
            _PARTS[0], y,
            pc.if_else(month, cat(_PARTS[1], m), _s("")),
            pc.if_else(day, cat(_PARTS[2], d), _s("")),
            _close(3) + "}",
        )  # fmt: skip

    (ys, ms, ds), (ye, me, de) = parts(start), parts(end)
    differ = pc.or_(
        pc.not_equal(ys, ye),
        pc.or_(pc.and_(month, pc.not_equal(ms, me)), pc.and_(day, pc.not_equal(ds, de))),
    )
    return text(ys, ms, ds), pc.if_else(differ, cat(_SLIDE[2], text(ye, me, de)), _s(""))


def _slide_batch(s: Slides, a: int, b: int, pending: dict[str, str]) -> pa.Array:
    """The slides of events ``a:b`` as JSON text, as ``formats._slide_texts`` writes them."""
    ev = s.f.events.slice(a, b - a)
    text, url, credit = _body(s, a, b, pending)
    start, end = _dates(ev)
    edtf = pc.cast(_col(ev, "edtf"), _L)
    distinct = pc.unique(edtf)
    shown = pa.array([display_edtf(v) for v in distinct.to_pylist()], _L)
    return cat(
        _SLIDE[0], json_strings(_col(ev, "event_id")),
        _SLIDE[1], start, end,
        _SLIDE[3], json_strings(pc.take(shown, pc.index_in(edtf, value_set=distinct))),
        _SLIDE[4], _TEXT[0], json_strings(_col(ev, "title")), _TEXT[1], json_strings(text),
        _close(3) + "}",
        _SLIDE[5], json_strings(pc.replace_substring(_col(ev, "event_type"), "_", " ")),
        _SLIDE[6], _MEDIA[0], json_strings(url), _MEDIA[1], '"Source"', _MEDIA[2],
        json_strings(credit), _close(3) + "}",
        _close(2) + "}",
    )  # fmt: skip


def slide_chunks(
    pkg: DataPackage, doc: Callable[[TextStream], dict[str, Any]], pending: dict[str, str]
) -> Iterator[bytes] | None:
    """The TimelineJS export of ``pkg`` (``doc``: the document around the slides; ``pending``:
    the note on each status not yet occurred) in chunks of bytes, the same bytes as the view's
    writer; ``None`` when the data has what only the view writes its way."""
    try:
        s = slides(pkg)
    except Fallback:
        return None
    return written(s.f.events.num_rows, doc, lambda a, b: _slide_batch(s, a, b, pending))
