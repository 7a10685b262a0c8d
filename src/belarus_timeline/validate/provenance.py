"""The provenance layer: archived sources match their hashes, and every excerpt equals its span."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from belarus_timeline.package import DataPackage, unsafe_path_reason
from belarus_timeline.validate.codes import Code, emits
from belarus_timeline.validate.columns import (
    SPAN_TABLES,
    Table,
    ints,
    mask,
    need,
)
from belarus_timeline.validate.report import Collector, Finding, cell, clip

# The columns the checks below read, by table: the rest can be dropped.
READS: dict[str, set[str]] = {
    "sources": {"source_id", "archive_path", "sha256"},
    **{name: {"source_id", "char_start", "char_end", text} for name, text in SPAN_TABLES.items()},
}


@emits()
def check_provenance(
    pkg: DataPackage, tables: dict[str, Table], base: Path, out: Collector
) -> None:
    """Every archived text matches its hash; every span's text equals its excerpt and lies off
    the page furniture. ``base`` is the folder archive paths are relative to."""
    src = need(tables, "sources", ["source_id", "archive_path", "sha256"])
    if src is None:
        return
    texts = _source_texts(src, base, out, _KEPT_BYTES)
    furniture = _furniture(tables, texts.names)
    spans = []
    for name, text_field in SPAN_TABLES.items():
        t = need(tables, name, ["source_id", "char_start", "char_end", text_field])
        if t is not None:
            spans.append(_spans(t, text_field, texts))
    # Every text is read once more for all the tables' spans of it together: one text in
    # memory at a time (all of them would be gigabytes at ten million events).
    compare_excerpts(spans, texts)
    for s in spans:
        _report_spans(s, texts, furniture if s.table.name != "source_furniture" else None, out)


def source_texts(tables: dict[str, Table], base: Path, out: Collector) -> Texts | None:
    """The verified texts of the sources table (None without a usable one): the first step of
    :func:`check_provenance` when tables are checked as they are read (none of their bytes
    kept: they would be held through the whole read, where memory is bounded)."""
    src = need(tables, "sources", ["source_id", "archive_path", "sha256"])
    return None if src is None else _source_texts(src, base, out, 0)


def furniture_of(tables: dict[str, Table], texts: Texts) -> _Furniture | None:
    """The furniture spans of the verified texts (None without a usable furniture table)."""
    return _furniture(tables, texts.names)


def check_spans_of(
    name: str,
    tables: dict[str, Table],
    texts: Texts,
    furniture: _Furniture | None,
    out: Collector,
) -> None:
    """The spans of one table, as :func:`check_provenance` checks them (its texts read for
    this table alone)."""
    text_field = SPAN_TABLES[name]
    t = need(tables, name, ["source_id", "char_start", "char_end", text_field])
    if t is not None:
        s = _spans(t, text_field, texts)
        compare_excerpts([s], texts)
        _report_spans(s, texts, furniture if name != "source_furniture" else None, out)


class Texts:
    """The archived texts that are safe, present, unchanged and UTF-8: their source ids (in
    order of first appearance), paths and lengths in code points. The bytes of the first
    texts read, up to ``_KEPT_BYTES`` in all, are kept; any other text is read again when it
    is needed, and the last few are remembered."""

    def __init__(self, found: dict[str, tuple[str, int]], kept: dict[str, bytes]) -> None:
        self.names = pa.array(list(found), pa.string())
        self.paths = [path for path, _ in found.values()]
        self.lengths = np.array([n for _, n in found.values()], dtype=np.int64)
        self._kept = [kept.get(path) for path in self.paths]
        self._recent: dict[int, bytes] = {}

    def data(self, code: int) -> bytes:
        """The UTF-8 bytes of the text of the source at position ``code`` of ``names``."""
        kept = self._kept[code]
        if kept is not None:
            return kept
        if code not in self._recent:
            if len(self._recent) >= _RECENT:
                del self._recent[next(iter(self._recent))]
            with open(self.paths[code], "rb", buffering=0) as fh:
                self._recent[code] = fh.read()
        return self._recent[code]

    def text(self, code: int) -> str:
        """The text of the source at position ``code`` of ``names``."""
        return self.data(code).decode("utf-8")


_RECENT = 8  # texts remembered (a finding's hint reads its row's text)
# The texts' bytes kept from their verification for the spans (read once, not twice) when
# every table is read whole: all of them at a million events (190 MB).
_KEPT_BYTES = 256 << 20


@emits(Code.UNSAFE_PATH, Code.MISSING_SOURCE_TEXT, Code.HASH_MISMATCH, Code.ENCODING_ERROR)
def _source_texts(src: Table, base: Path, out: Collector, keep: int) -> Texts:
    """The archived texts of the sources that are safe to read, present, unchanged and UTF-8
    (a source id given twice: its last such text, at the place of its first), the bytes of
    the first ones kept, up to ``keep`` bytes in all."""
    texts: dict[str, tuple[str, int]] = {}
    kept: dict[str, bytes] = {}
    room = keep
    ids, paths, hashes = (
        src.strings("source_id"),
        src.strings("archive_path"),
        src.strings("sha256"),
    )
    inside = _Inside(base)
    for i, (sid, rel, expected) in enumerate(zip(ids, paths, hashes, strict=True)):
        # One iteration per source document, not per row of data.
        # (String paths and unbuffered reads: 6.2 s -> 5.0 s for 100,000 texts, 2 GB.)
        reason = inside.reason(rel)
        path = os.path.join(base, rel)
        if reason is not None:
            out.add(
                Finding(
                    "provenance",
                    Code.UNSAFE_PATH,
                    src.file,
                    message=f"The archive path is not safe: {reason}.",
                    fix="Store the text under sources/ and give its relative path.",
                    row=src.raw.row_number(i),
                    field="archive_path",
                    value=rel,
                )
            )
            continue
        if not os.path.isfile(path):
            out.add(
                Finding(
                    "provenance",
                    Code.MISSING_SOURCE_TEXT,
                    src.file,
                    message=f"The archived text {rel} does not exist.",
                    fix="Restore the archived copy from version control.",
                    row=src.raw.row_number(i),
                    field="archive_path",
                    value=rel,
                )
            )
            continue
        with open(path, "rb", buffering=0) as fh:
            data = fh.read()
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected:
            out.add(
                Finding(
                    "provenance",
                    Code.HASH_MISMATCH,
                    src.file,
                    message=f"The archived text {rel} has sha256 {actual}: it has changed since "
                    "it was recorded.",
                    fix="Restore the archived text from version control; if the new copy is "
                    "deliberate, re-check every span and then update sha256.",
                    row=src.raw.row_number(i),
                    field="sha256",
                    value=expected,
                )
            )
            continue
        try:
            texts[sid] = (path, len(data) if data.isascii() else len(data.decode("utf-8")))
            if len(data) <= room:
                kept[path], room = data, room - len(data)
        except UnicodeDecodeError as exc:
            out.add(
                Finding(
                    "provenance",
                    Code.ENCODING_ERROR,
                    rel,
                    message=f"The archived text is not UTF-8 ({exc}).",
                    fix="Re-archive it as UTF-8.",
                )
            )
    return Texts(texts, kept)


class _Inside:
    """:func:`~belarus_timeline.package.outside_reason` for many paths below one ``base``:
    ``base`` and each folder are resolved once, not once per path (thousands of sources share
    the folder ``sources/``); a path whose last part is a link is resolved in full. String
    paths (``os.path``), as ``Path.resolve`` itself uses them, without pathlib's overhead."""

    def __init__(self, base: Path) -> None:
        self.base = str(base)
        self.root = os.path.realpath(base)
        self.prefix = self.root.rstrip("/") + "/"
        self.folders: dict[str, str] = {}

    def reason(self, rel: str) -> str | None:
        reason = unsafe_path_reason(rel)
        if reason is not None:
            return reason
        path = os.path.normpath(os.path.join(self.base, rel))  # as Path's own normalisation
        if os.path.islink(path):
            resolved = os.path.realpath(path)
        else:  # resolving the folder resolves the path: its last part is no link
            folder, name = os.path.split(path)
            if folder not in self.folders:
                self.folders[folder] = os.path.realpath(folder)
            resolved = os.path.join(self.folders[folder], name)
        if resolved != self.root and not resolved.startswith(self.prefix):
            return "it resolves (through a link) outside the package"
        return None


@dataclass
class _Furniture:
    """Furniture spans sorted by (source, start), with a running maximum of their ends, so that
    "does [a, b) overlap any furniture of its source?" is one binary search per row."""

    key: np.ndarray  # source code * _BIG + shifted start, ascending
    code: np.ndarray  # source code of each span
    max_end: np.ndarray  # running max of source code * _BIG + shifted end


_BIG = 1 << 34  # > any shifted offset: keeps sources apart in one int64 key


_SHIFT = 1 << 32  # makes (clipped) negative offsets sort correctly


def _shifted(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.clip(x, -_SHIFT, _SHIFT - 1) + _SHIFT
    return out


def _source_codes(sid: pa.Array, names: pa.Array) -> np.ndarray:
    """Position of each row's source in ``names``; -1 for a source without a verified text."""
    at = pc.index_in(sid, value_set=names)
    return np.asarray(pc.fill_null(at, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _furniture(tables: dict[str, Table], names: pa.Array) -> _Furniture | None:
    t = need(tables, "source_furniture", ["source_id", "char_start", "char_end"])
    if t is None:
        return None
    code = _source_codes(t.col("source_id"), names)
    s, e = t.values("char_start"), t.values("char_end")
    keep = (code >= 0) & mask(pc.and_(pc.is_valid(s), pc.is_valid(e)))
    code, start, end = code[keep], ints(s)[keep], ints(e)[keep]
    key = code * _BIG + _shifted(start)
    order = np.argsort(key, kind="stable")
    ends = code[order] * _BIG + _shifted(end[order])
    return _Furniture(key[order], code[order], np.maximum.accumulate(ends) if len(ends) else ends)


def _on_furniture(
    f: _Furniture, code: np.ndarray, start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    # The last furniture span of the row's source that starts before the row's end...
    pos = np.searchsorted(f.key, code * _BIG + _shifted(end), side="left") - 1
    safe = np.maximum(pos, 0)
    same = (pos >= 0) & (f.code[safe] == code) if len(f.key) else np.zeros(len(code), bool)
    # ...overlaps it if the furthest end among that source's spans up to it lies past our start.
    return same & (f.max_end[safe] - code * _BIG > _shifted(start)) if len(f.key) else same


@dataclass
class Spans:
    """One span table's spans: the source of each (its position in ``Texts.names``, -1 for a
    source without a verified text), offsets, excerpts, and the rows to compare."""

    table: Table
    text_field: str
    code: np.ndarray
    start: np.ndarray
    end: np.ndarray
    excerpt: pa.ChunkedArray
    lengths: np.ndarray  # length of each row's text, -1 without one
    beyond: np.ndarray  # spans that end after their text
    check: np.ndarray  # spans to compare with their text
    mismatch: np.ndarray  # filled by :func:`compare_excerpts`


def _spans(t: Table, text_field: str, texts: Texts) -> Spans:
    code = _source_codes(t.col("source_id"), texts.names)
    start, end = ints(t.values("char_start")), ints(t.values("char_end"))
    known = (code >= 0) & (start >= 0) & (end > start)
    lengths = np.where(code >= 0, np.append(texts.lengths, -1)[code], -1)
    beyond = known & (end > lengths)
    excerpt = t.col(text_field)
    n = len(code)
    return Spans(
        t,
        text_field,
        code,
        start,
        end,
        excerpt,
        lengths,
        beyond,
        known & ~beyond,
        np.zeros(n, dtype=bool),
    )


@emits(Code.SPAN_OUT_OF_RANGE, Code.EXCERPT_MISMATCH, Code.SPAN_ON_FURNITURE)
def _report_spans(s: Spans, texts: Texts, furniture: _Furniture | None, out: Collector) -> None:
    t, text_field, start, end, lengths = s.table, s.text_field, s.start, s.end, s.lengths
    sid = t.col("source_id")
    out.rows(
        s.beyond,
        layer="provenance",
        code=Code.SPAN_OUT_OF_RANGE,
        file=t.file,
        fld="char_end",
        values=end,
        message=lambda i: f"The span ends after the archived text ({int(lengths[i])} characters).",
        fix=lambda i: (
            "Offsets are Python str indices (code points) into the archived text; recompute them."
        ),
    )
    out.rows(
        s.mismatch,
        layer="provenance",
        code=Code.EXCERPT_MISMATCH,
        file=t.file,
        fld=text_field,
        values=s.excerpt,
        message=lambda i: (
            f"The {text_field} is not the text at {cell(sid, i)}[{start[i]}:{end[i]}]."
        ),
        fix=partial(_offset_hint, s, texts),
    )
    if furniture is not None and len(furniture.key):
        out.rows(
            s.check & _on_furniture(furniture, s.code, start, end),
            layer="provenance",
            code=Code.SPAN_ON_FURNITURE,
            file=t.file,
            fld="char_start",
            values=start,
            message=lambda i: (
                "The span overlaps page furniture (breadcrumb, comment count, "
                "another article's headline or a site tag), which supports no record."
            ),
            fix=lambda i: "Point the span at the article's own text.",
        )


_BLOCK = 1 << 16  # rows of a table whose spans are compared at a time
_BLOCK_BYTES = 8 << 20  # and bytes of the texts they cite (copied into one buffer at flush)


def compare_excerpts(spans: list[Spans], texts: Texts) -> None:
    """Set ``mismatch`` for the rows to check whose excerpt is not ``text[char_start:char_end]``.

    The texts are taken in turn, each for the rows of every table that cite it, and compared
    a block of rows at a time (memory holds a block of texts per table, and the texts kept
    when they were verified): no Python string per row. In a block, the offsets (code
    points) become the offsets of their first bytes in the texts' UTF-8, so that a span is
    the bytes between the two, which equal the excerpt's bytes exactly where the strings are
    equal (UTF-8 gives one byte string per string); the spans are an Arrow string view
    array over the texts' bytes, compared with views of the excerpts."""
    todo = []
    for s in spans:
        rows = np.flatnonzero(s.check)
        rows = rows[np.argsort(s.code[rows], kind="stable")]
        codes = s.code[rows]  # (ascending: each text's rows are a run)
        starts = (np.flatnonzero(codes[1:] != codes[:-1]) + 1).tolist()
        runs = zip([0, *starts], [*starts, len(codes)], strict=True) if len(codes) else []
        todo.append((s, rows, {int(codes[a]): (a, b) for a, b in runs}, _Block(s)))
    # Only the texts cited (a batch of a table cites a few of the sources). A text several
    # tables cite (every table read whole) has its multi-byte characters found once, for all
    # of them; a text one table cites (a batch read in turn), by its block with the others.
    shared = len(todo) > 1
    for c in sorted(set().union(*(parts for _, _, parts, _ in todo))):
        data: bytes | None = None
        leads: np.ndarray | None = None
        for _, rows, parts, block in todo:
            if c in parts:
                data = data if data is not None else texts.data(c)
                if shared and leads is None:
                    leads = _leads(data)
                block.add(rows[slice(*parts[c])], data, leads)
    for *_, block in todo:
        block.flush()


def _leads(data: bytes) -> np.ndarray:
    """Where the multi-byte characters of UTF-8 bytes (a text, or a block of texts joined)
    start (the texts are valid UTF-8: no other byte is 0xC0 or above); none in ASCII."""
    if data.isascii():
        return np.zeros(0, np.int64)
    return np.flatnonzero(np.frombuffer(data, dtype=np.uint8) >= 0xC0)


_VIEW_LIMIT = (1 << 31) - 1  # a string view's offset into its buffer is an int32
_INLINE = 12  # bytes of a string view's own 16 that hold a short string (Arrow's layout)


class _Block:
    """Rows waiting to be compared with their spans of the texts: per text (each comes once),
    its rows, its bytes and, when given, where its multi-byte characters start."""

    def __init__(self, s: Spans) -> None:
        self.s = s
        self.rows: list[np.ndarray] = []
        self.texts: list[bytes] = []
        self.leads: list[np.ndarray | None] = []
        self.n = self.size = 0

    def add(self, rows: np.ndarray, data: bytes, leads: np.ndarray | None = None) -> None:
        """The rows citing one text (``data``, its UTF-8; ``leads``, :func:`_leads` of it, or
        None: then found at flush)."""
        if len(data) > _VIEW_LIMIT:  # (beyond a view's reach: compared as Python slices)
            text, s = data.decode("utf-8"), self.s
            a, b = s.start[rows].tolist(), s.end[rows].tolist()
            slices = pa.array([text[x:y] for x, y in zip(a, b, strict=True)], pa.string())
            s.mismatch[rows] = ~mask(pc.equal(s.excerpt.take(pa.array(rows)), slices))
            return
        if self.size + len(data) > _VIEW_LIMIT:
            self.flush()
        self.rows.append(rows)
        self.texts.append(data)
        self.leads.append(leads)
        self.n += len(rows)
        self.size += len(data)
        if self.n >= _BLOCK or self.size >= _BLOCK_BYTES:
            self.flush()

    def flush(self) -> None:
        if not self.n:
            return
        s, rows = self.s, np.concatenate(self.rows)
        joined = b"".join([*self.texts, bytes(_INLINE)])  # (a view's first bytes: see _views)
        b = np.frombuffer(joined, dtype=np.uint8)
        sizes = np.array([len(t) for t in self.texts], np.int64)
        begins = np.cumsum(sizes) - sizes  # each text's first byte in ``joined``
        # Where the multi-byte characters start: as given, else found over the whole block
        # at once (:func:`_leads`). The bytes a code point takes past its first, added up
        # over the multi-byte ones: code point g (counted over the joined texts) starts at
        # byte g + the extra bytes of the characters before it.
        given = [x for x in self.leads if x is not None]
        if len(given) < len(self.leads):
            lead = _leads(joined)
        else:
            lead = np.concatenate(
                [np.zeros(0, np.int64), *(x + at for x, at in zip(given, begins, strict=True))]
            )
        extra = np.concatenate([[0], np.cumsum(1 + (b[lead] >= 0xE0) + (b[lead] >= 0xF0))])
        lead_cp = lead - extra[:-1]
        first_cp = begins - extra[np.searchsorted(lead, begins)]

        def byte(cp: np.ndarray) -> np.ndarray:
            g = np.repeat(first_cp, [len(r) for r in self.rows]) + cp
            out: np.ndarray = g + extra[np.searchsorted(lead_cp, g)]
            return out

        start, end = byte(s.start[rows]), byte(s.end[rows])
        actual = _views(b, start, end, pa.py_buffer(joined))
        # Rows in file order, one after the other (texts cited in order): compared in place.
        if (np.diff(rows) == 1).all():
            expected = s.excerpt.slice(int(rows[0]), len(rows))
        else:
            expected = s.excerpt.take(pa.array(rows))
        # (Views of both: the texts' bytes are compared where they are, never copied.)
        s.mismatch[rows] = ~mask(pc.equal(expected.cast(pa.string_view()), actual))
        self.rows, self.texts, self.leads = [], [], []
        self.n = self.size = 0


def _views(b: np.ndarray, start: np.ndarray, end: np.ndarray, data: pa.Buffer) -> pa.Array:
    """The byte strings ``b[start:end]`` as an Arrow string view array over ``data`` (``b``'s
    buffer, which ends in 12 zero bytes): per row 16 bytes, four little-endian words: its
    length, then the string itself when it has up to 12 bytes (zeros past its end), else its
    first 4 bytes, its buffer (0) and its offset."""
    size = end - start
    views = np.empty((len(size), 16), dtype=np.uint8)
    views[:, 4:] = np.lib.stride_tricks.sliding_window_view(b, _INLINE)[start]
    words = views.view("<u4")
    words[:, 0] = size
    # Of the 3 words after the length, the bytes past the string's end are zeroed.
    words[:, 1:] &= _LOW_BYTES[np.clip(size[:, None] - [0, 4, 8], 0, 4)]
    long = size > _INLINE
    words[:, 2] = np.where(long, 0, words[:, 2])
    words[:, 3] = np.where(long, start, words[:, 3])
    return pa.Array.from_buffers(
        pa.string_view(), len(size), [None, pa.py_buffer(views.reshape(-1)), data]
    )


_LOW_BYTES = np.array([0, 0xFF, 0xFFFF, 0xFFFFFF, 0xFFFFFFFF], "<u4")  # a word's first k bytes


def _offset_hint(s: Spans, texts: Texts, i: int) -> str:
    """The fix for a mismatched excerpt: the offsets where it does occur, or what the span
    reads now."""
    text_field, start, end = s.text_field, s.start, s.end
    text, ex = texts.text(int(s.code[i])), cell(s.excerpt, i)
    found = occurrences(text, ex) if ex else []
    if len(found) == 1:
        (at,) = found
        return (
            f"The {text_field} occurs at {at}..{at + len(ex)}: set "
            f"char_start={at}, char_end={at + len(ex)}."
        )
    if found:
        shown = ", ".join(f"{a}..{a + len(ex)}" for a in found[:_SHOWN])
        more = f" and {len(found) - _SHOWN} more" if len(found) > _SHOWN else ""
        return (
            f"The {text_field} occurs {len(found)} times ({shown}{more}): set char_start and "
            "char_end to the occurrence the record means (`validate --fix-offsets` leaves "
            "these to you), or quote a longer passage that occurs once."
        )
    return (
        f"Copy the {text_field} exactly from the archived text (same quotation marks "
        f"and apostrophes), or correct the offsets; the span now reads "
        f"{clip(text[start[i] : end[i]], 60)!r}."
    )


_SHOWN = 5  # occurrences listed in a hint


def occurrences(text: str, phrase: str) -> list[int]:
    """Every start offset of ``phrase`` in ``text`` (overlapping ones included)."""
    out, at = [], text.find(phrase)
    while at >= 0 and phrase:
        out.append(at)
        at = text.find(phrase, at + 1)
    return out
