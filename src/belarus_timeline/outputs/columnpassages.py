"""The passages of ``timeline.html`` (each event's evidence in its archived source, cut into
segments) written from the evidence columns, as :func:`belarus_timeline.outputs.page._passages`
writes them from the view.

A passage's bounds are found with ``numpy.searchsorted`` in the positions of every blank line
("\\n\\n") and space of the sources (as ``str`` indices: the texts read as UTF-32), its spans
merged and cut into segments with array operations; only the segments' text is sliced in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from belarus_timeline.errors import PackageError
from belarus_timeline.outputs.columnar import (
    _L,
    Fallback,
    Features,
    _check,
    _col,
    _full,
    _s,
    _slice,
    cat,
    json_strings,
)
from belarus_timeline.outputs.page import CONTEXT, read_texts
from belarus_timeline.outputs.views import TimelineView

#: A source's positions are keyed ``number * _BIG + position`` so that one sorted array holds
#: the positions of every source.
_BIG = 1 << 40
_LOW = np.array([-(1 << 62)], np.int64)
_HIGH = np.array([1 << 62], np.int64)
_BOOL = pa.array(["false", "true"], _L)
_ROWS = 100_000  # excerpts compared with their texts at a time


@dataclass
class Sources:
    """The archived texts the evidence rests on and where their blank lines and spaces are."""

    ids: pa.Array  # the sources, by number
    texts: list[str]  # by number
    lengths: np.ndarray  # by number
    breaks: np.ndarray  # keys of every "\n\n" (overlapping ones too), sorted, with sentinels
    spaces: np.ndarray  # keys of every " ", sorted, with sentinels


def sources(f: Features, view: TimelineView, root: Path) -> Sources:
    """The texts of the sources the events' evidence cites; :class:`Fallback` where the view
    would stop (a source missing or unreadable, an excerpt that is not its text)."""
    ev = f.evidence.table
    ids = pc.cast(_full(_col(ev, "source_id")), _L)
    needed = sorted(pc.unique(ids).to_pylist())
    try:
        texts = read_texts(view, set(needed), root)
    except PackageError:
        raise Fallback from None
    breaks, spaces = [_LOW], [_LOW]
    for i, text in enumerate(texts.values()):
        code = np.frombuffer(text.encode("utf-32-le"), np.uint32)
        breaks.append(np.flatnonzero((code[:-1] == 10) & (code[1:] == 10)) + i * _BIG)
        spaces.append(np.flatnonzero(code == 32) + i * _BIG)
    s = Sources(
        ids=pa.array(needed, _L),
        texts=list(texts.values()),
        lengths=np.array([len(t) for t in texts.values()], np.int64),
        breaks=np.concatenate([*breaks, _HIGH]).astype(np.int64),
        spaces=np.concatenate([*spaces, _HIGH]).astype(np.int64),
    )
    _excerpts(s, ids, ev)
    return s


def _excerpts(s: Sources, ids: pa.Array, ev: pa.Table) -> None:
    """Every span within its text and equal to its excerpt (else the view says which not)."""
    number = pc.index_in(ids, value_set=s.ids).to_numpy()
    start = _full(_col(ev, "char_start")).to_numpy(zero_copy_only=False).astype(np.int64)
    end = _full(_col(ev, "char_end")).to_numpy(zero_copy_only=False).astype(np.int64)
    _check(bool(np.all((start >= 0) & (start <= end) & (end <= s.lengths[number]))))
    excerpts = _full(_col(ev, "excerpt"))
    texts = s.texts
    # A slice of rows at a time: the excerpts as Python strings all at once would take some
    # 0.5 GB at a million events, while the other exports are being written.
    for lo in range(0, len(excerpts), _ROWS):
        rows = slice(lo, lo + _ROWS)
        for n, a, b, x in zip(
            number[rows].tolist(),
            start[rows].tolist(),
            end[rows].tolist(),
            excerpts.slice(lo, _ROWS).to_pylist(),
            strict=True,
        ):
            _check(texts[n][a:b] == x)


def _at(keys: np.ndarray, query: np.ndarray, side: str) -> np.ndarray:
    found: np.ndarray = np.searchsorted(keys, query, side)  # type: ignore[call-overload]
    return found


def _bounds(
    s: Sources, k: np.ndarray, start: np.ndarray, end: np.ndarray
) -> tuple[np.ndarray, ...]:
    """``page._bounds`` of every span (``k``: its source's key base)."""
    length = s.lengths[k // _BIG]
    prev = s.breaks[_at(s.breaks, k + start - 2, "right") - 1]
    a = np.where(prev >= k, prev - k + 2, 0)
    nxt = s.breaks[_at(s.breaks, k + end, "left")]
    b = np.where(nxt < k + _BIG, nxt - k, length)
    space = s.spaces[_at(s.spaces, k + start - CONTEXT, "left")]
    cut = np.where(space < k + start, space - k + 1, start)
    a = np.where(start - a > CONTEXT, cut, a)
    space = s.spaces[_at(s.spaces, k + end + CONTEXT - 1, "right") - 1]
    cut = np.where(space >= k + end, space - k, end)
    b = np.where(b - end > CONTEXT, cut, b)
    return a, b


def _starts(*keys: np.ndarray) -> np.ndarray:
    """Whether each row starts a new run of equal ``keys``."""
    n = len(keys[0])
    new = np.zeros(n, bool)
    if n:
        new[0] = True
        for key in keys:
            new[1:] |= key[1:] != key[:-1]
    return new


def _is_break(s: Sources, keys: np.ndarray) -> np.ndarray:
    found: np.ndarray = s.breaks[_at(s.breaks, keys, "left")] == keys
    return found


def _list_at(items: pa.Array, pos: np.ndarray, m: int) -> pa.Array:
    """Per group ``0..m-1`` the JSON list of its ``items`` (rows sorted by group, ``pos``)."""
    counts = np.bincount(pos, minlength=m) if len(pos) else np.zeros(m, np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), pc.cast(items, _L))
    return cat("[", pc.binary_join(lists, _s(",")), "]")


@dataclass
class _Spans:
    """A batch's spans, in the view's order (event, source, start, end, id)."""

    pos: np.ndarray  # event in the batch
    k: np.ndarray  # its source's key base
    start: np.ndarray
    end: np.ndarray
    ids: pa.Array  # JSON text of the evidence ids


def _spans(f: Features, s: Sources, a: int, b: int) -> _Spans:
    rows, _ = _slice(f.evidence, a, b)
    number = pc.index_in(pc.cast(_col(rows, "source_id"), _L), value_set=s.ids).to_numpy()
    return _Spans(
        pos=_col(rows, "_pos").to_numpy() - a,
        k=number.astype(np.int64) * _BIG,
        start=_col(rows, "char_start").to_numpy(zero_copy_only=False).astype(np.int64),
        end=_col(rows, "char_end").to_numpy(zero_copy_only=False).astype(np.int64),
        ids=json_strings(_col(rows, "evidence_id")),
    )


def passage_lists(f: Features, s: Sources, a: int, b: int) -> pa.Array:
    """The ``passages`` of events ``a:b``: per event and source, the spans' paragraphs merged
    where they overlap, each cut at every span edge."""
    sp = _spans(f, s, a, b)
    lo, hi = _bounds(s, sp.k, sp.start, sp.end)
    group = np.cumsum(_starts(sp.pos, sp.k)) - 1
    # A span opens a passage unless it starts within the ends so far of its event and source.
    reach = np.maximum.accumulate(group * _BIG + hi) - group * _BIG
    opens = _starts(sp.pos, sp.k)
    opens[1:] |= lo[1:] > reach[:-1]
    first = np.flatnonzero(opens)
    passage = np.cumsum(opens) - 1
    p_lo = lo[first]
    p_hi = np.maximum.reduceat(hi, first) if len(first) else hi[:0]
    p_k = sp.k[first]
    segments = _segments(s, sp, passage, p_lo, p_hi, p_k, len(first))
    length = s.lengths[p_k // _BIG]
    before = (p_lo > 0) & ~((p_lo >= 2) & _is_break(s, p_k + p_lo - 2))
    after = (p_hi < length) & ~_is_break(s, p_k + p_hi)
    items = cat(
        '{"source":', json_strings(pc.take(s.ids, pa.array(p_k // _BIG))),
        ',"start":', pc.cast(pa.array(p_lo), _L),
        ',"end":', pc.cast(pa.array(p_hi), _L),
        ',"cutBefore":', pc.take(_BOOL, pa.array(before.astype(np.int64))),
        ',"cutAfter":', pc.take(_BOOL, pa.array(after.astype(np.int64))),
        ',"segments":', segments, "}",
    )  # fmt: skip
    return _list_at(items, sp.pos[first], b - a)


def _segments(
    s: Sources,
    sp: _Spans,
    passage: np.ndarray,
    p_lo: np.ndarray,
    p_hi: np.ndarray,
    p_k: np.ndarray,
    n: int,
) -> pa.Array:
    """Each passage cut at its bounds and its spans' edges: ``[[text, [ids covering it]]]``."""
    ids = np.arange(n, dtype=np.int64)
    keys = np.unique(
        np.concatenate(
            [
                ids * _BIG + p_lo,
                ids * _BIG + p_hi,
                passage * _BIG + sp.start,
                passage * _BIG + sp.end,
            ]
        )
    )
    owner, cut = keys // _BIG, keys % _BIG
    pair = np.flatnonzero(owner[1:] == owner[:-1]) if len(keys) else keys[:0]
    seg_p, seg_a, seg_b = owner[pair], cut[pair], cut[pair + 1]
    # Each segment against each span of its passage, in the passage's order.
    first = np.concatenate([[0], np.cumsum(np.bincount(passage, minlength=n))]).astype(np.int64)
    count = (first[1:] - first[:-1])[seg_p]
    seg = np.repeat(np.arange(len(seg_p), dtype=np.int64), count)
    base = np.concatenate([[0], np.cumsum(count)])[:-1].astype(np.int64)
    row = first[seg_p][seg] + np.arange(len(seg), dtype=np.int64) - base[seg]
    covers = (sp.start[row] <= seg_a[seg]) & (seg_b[seg] <= sp.end[row])
    covering = _list_at(pc.take(sp.ids, pa.array(row[covers])), seg[covers], len(seg_p))
    texts = s.texts
    number = (p_k // _BIG)[seg_p]
    pieces = [
        texts[t][x:y]
        for t, x, y in zip(number.tolist(), seg_a.tolist(), seg_b.tolist(), strict=True)
    ]
    items = cat("[", json_strings(pa.array(pieces, _L)), ",", covering, "]")
    return _list_at(items, seg_p, n)
