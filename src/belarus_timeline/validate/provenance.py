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


@emits()
def check_provenance(
    pkg: DataPackage, tables: dict[str, Table], base: Path, out: Collector
) -> None:
    """Every archived text matches its hash; every span's text equals its excerpt and lies off
    the page furniture. ``base`` is the folder archive paths are relative to."""
    src = need(tables, "sources", ["source_id", "archive_path", "sha256"])
    if src is None:
        return
    texts = _source_texts(src, base, out)
    names = pa.array(list(texts), pa.string())
    furniture = _furniture(tables, names)
    for name, text_field in SPAN_TABLES.items():
        t = need(tables, name, ["source_id", "char_start", "char_end", text_field])
        if t is not None:
            spans_of = furniture if name != "source_furniture" else None
            _check_spans(t, text_field, texts, names, spans_of, out)


@emits(Code.UNSAFE_PATH, Code.MISSING_SOURCE_TEXT, Code.HASH_MISMATCH, Code.ENCODING_ERROR)
def _source_texts(src: Table, base: Path, out: Collector) -> dict[str, str]:
    """The archived text of every source that is safe to read, present, unchanged and UTF-8."""
    texts: dict[str, str] = {}
    ids, paths, hashes = (
        src.strings("source_id"),
        src.strings("archive_path"),
        src.strings("sha256"),
    )
    inside = _Inside(base)
    for i, (sid, rel, expected) in enumerate(zip(ids, paths, hashes, strict=True)):
        # One iteration per source document, not per row of data.
        reason = inside.reason(rel)
        path = base / rel
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
        if not path.is_file():
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
        data = path.read_bytes()
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
            texts[sid] = data.decode("utf-8")
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
    return texts


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


@emits(Code.SPAN_OUT_OF_RANGE, Code.EXCERPT_MISMATCH, Code.SPAN_ON_FURNITURE)
def _check_spans(
    t: Table,
    text_field: str,
    texts: dict[str, str],
    names: pa.Array,
    furniture: _Furniture | None,
    out: Collector,
) -> None:
    sid = t.col("source_id")
    code = _source_codes(sid, names)
    start, end = ints(t.values("char_start")), ints(t.values("char_end"))
    excerpt = t.col(text_field)
    text_list = [texts[s] for s in names.to_pylist()]
    known = (code >= 0) & (start >= 0) & (end > start)
    lengths = np.where(code >= 0, np.array([len(x) for x in text_list] + [-1])[code], -1)
    beyond = known & (end > lengths)
    out.rows(
        beyond,
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
    check = known & ~beyond
    mismatch = _mismatches(check, text_list, code, start, end, excerpt)

    hint = partial(_offset_hint, text_field, text_list, code, start, end, excerpt)

    out.rows(
        mismatch,
        layer="provenance",
        code=Code.EXCERPT_MISMATCH,
        file=t.file,
        fld=text_field,
        values=excerpt,
        message=lambda i: (
            f"The {text_field} is not the text at {cell(sid, i)}[{start[i]}:{end[i]}]."
        ),
        fix=hint,
    )
    if furniture is not None and len(furniture.key):
        out.rows(
            check & _on_furniture(furniture, code, start, end),
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


_BLOCK = 1 << 18  # rows whose slices are built at a time


def _mismatches(
    check: np.ndarray,
    text_list: list[str],
    code: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    excerpt: pa.ChunkedArray,
) -> np.ndarray:
    """Rows to check whose excerpt is not ``text[char_start:char_end]``.

    Exact comparison needs the slice itself: one Python str slice per row (exactly the
    documented ``text[char_start:char_end]``), compared with the excerpts in Arrow a block of
    rows at a time (memory stays bounded); a block whose rows are all checked is compared with
    its excerpts in place, without gathering them."""
    mismatch = np.zeros(len(code), dtype=bool)
    block = _BLOCK
    for lo in range(0, len(code), block):
        part = np.flatnonzero(check[lo : lo + block]) + lo
        if not len(part):
            continue
        c, a, b = code[part].tolist(), start[part].tolist(), end[part].tolist()
        actual = pa.array(
            [text_list[ci][ai:bi] for ci, ai, bi in zip(c, a, b, strict=True)], pa.string()
        )
        whole = len(part) == min(block, len(code) - lo)
        expected = excerpt.slice(lo, len(part)) if whole else excerpt.take(pa.array(part))
        mismatch[part] = ~mask(pc.equal(expected, actual))
    return mismatch


def _offset_hint(
    text_field: str,
    text_list: list[str],
    code: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    excerpt: pa.ChunkedArray,
    i: int,
) -> str:
    """The fix for a mismatched excerpt: the offsets where it does occur, or what the span
    reads now."""
    text, ex = text_list[code[i]], cell(excerpt, i)
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
