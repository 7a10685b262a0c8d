"""Canonical, writer-independent forms of typed tables: sort order, cell text and content hash.

A release's CSV files are written from these cell texts, and each table's content hash is taken
over them, so "the data changed" can be told apart from "the toolchain that wrote the files
changed".
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from belarus_timeline.package import TableSchema


def sort_by_key(table: pa.Table, schema: TableSchema) -> pa.Table:
    """Rows in primary-key order (typed order: integers numerically, dates chronologically).

    The project's one row order: releases are written in it and the loader returns every
    table in it, whatever the order of the rows in the files it reads."""
    keys = list(schema.primary_key) or [f.name for f in schema.fields]
    # Dictionary-encoded columns (vocabularies read for pandas) sort by their values.
    columns = {k: _decoded(table.column(k)) for k in keys}
    if ascending(list(columns.values())):
        return table  # a release is written in this order: no sort, no copy
    order = pc.sort_indices(pa.table(columns), sort_keys=[(k, "ascending") for k in keys])
    return pa.Table.from_arrays([_take(c, order) for c in table.columns], schema=table.schema)


def _take(column: pa.ChunkedArray, order: pa.Array) -> pa.ChunkedArray:
    """``column.take(order)``, as one chunk. A column of many chunks (the CSV reader's blocks)
    is joined first: gathering from one array is some three times faster than across chunks,
    and one column at a time, the copy is brief. Dictionary columns (whose chunks may hold
    different dictionaries) are taken as they are."""
    if column.num_chunks <= 1 or pa.types.is_dictionary(column.type):
        return column.take(order)
    return pa.chunked_array([column.combine_chunks().take(order)], type=column.type)


def ascending(columns: list[pa.ChunkedArray]) -> bool:
    """Whether the rows are already in lexicographic ascending order of ``columns`` (ties
    allowed, as a stable sort keeps them): one pass comparing each row with the next, instead
    of a sort. A null in the keys answers False (the sort decides)."""
    n = len(columns[0]) if columns else 0
    if n < 2:
        return True
    if any(pa.types.is_null(c.type) for c in columns):
        return False  # a column of nulls only: nothing to compare, the sort decides
    ok: Any = None  # row i <= row i+1 on this key and the keys after it
    for col in reversed(columns):
        a, b = col.slice(0, n - 1), col.slice(1)
        if ok is None:
            ok = pc.less_equal(a, b)
        else:
            ok = pc.or_(pc.less(a, b), pc.and_(pc.equal(a, b), ok))
    return bool(pc.all(pc.fill_null(ok, False)).as_py())


def _decoded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_dictionary(column.type):
        return pc.cast(column, column.type.value_type)
    return column


def cell_strings(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Cells as text; null stays null. Floats use Python's shortest round-trip repr, which does
    not depend on the pyarrow version."""
    col = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    t = col.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return pc.cast(col, pa.string())
    if pa.types.is_floating(t):
        return _float_strings(col)
    if pa.types.is_date(t):
        return _date_strings(col)
    if pa.types.is_boolean(t):
        return pc.if_else(col, "true", "false")
    return pc.cast(col, pa.string())


# Dates whose cast to text is the same as strftime's "%Y-%m-%d" (checked for every day of
# this range in tests/test_fast_paths.py); the cast is some thirty times faster.
_ISO_DATES = (dt.date(1000, 1, 1), dt.date(9999, 12, 31))


def _date_strings(col: pa.Array) -> pa.Array:
    col = pc.cast(col, pa.date32())
    bounds = pc.min_max(col)
    lo, hi = bounds["min"], bounds["max"]
    if not lo.is_valid or (_ISO_DATES[0] <= lo.as_py() and hi.as_py() <= _ISO_DATES[1]):
        return pc.cast(col, pa.string())
    return pc.strftime(pc.cast(col, pa.timestamp("s")), format="%Y-%m-%d")


def _float_strings(col: pa.Array) -> pa.Array:
    """repr of each distinct value only (columns repeat values), told apart by their bits so
    that 0.0 and -0.0 stay apart, then looked up per cell; nulls stay null."""
    values = np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64)
    bits, inverse = np.unique(values.view(np.int64), return_inverse=True)
    text = pa.array([repr(float(v)) for v in bits.view(np.float64)], pa.string())
    strings = pc.take(text, pa.array(inverse.reshape(-1)))
    return pc.if_else(pc.is_valid(col), strings, pa.scalar(None, pa.string()))


def canonical_text(table: pa.Table) -> pa.Table:
    """Every column as canonical cell text (nulls kept as nulls)."""
    return pa.Table.from_arrays([cell_strings(c) for c in table.columns], names=table.column_names)


# Rows per slice when text is joined: bounds the memory of the joined lines (and keeps each
# joined array far below the 2 GiB of a string array).
_STEP = 500_000


def _joined_bytes(cols: list[pa.Array], sep: str) -> memoryview:
    """The cells of each row joined by ``sep``, each row ended by ``\\n``, as the bytes of one
    Arrow string buffer: no Python object per row. Cells must not be null."""
    last = pc.binary_join_element_wise(cols[-1], "\n", "")
    lines = pc.binary_join_element_wise(*cols[:-1], last, sep) if len(cols) > 1 else last
    return _string_bytes(lines)


def _written(cols: list[pa.Array], sep: str, null: str) -> memoryview | None:
    """What :func:`_joined_bytes` gives for ``cols`` with nulls written as ``null``, made by
    Arrow's CSV writer (some twice as fast), which writes each cell as it is when told not to
    quote; ``None`` when a cell holds ``sep``, a quote or a line break, which it then refuses."""
    table = pa.Table.from_arrays(cols, names=[str(i) for i in range(len(cols))])
    options = pacsv.WriteOptions(
        include_header=False, delimiter=sep, quoting_style="none", null_string=null, eol="\n"
    )
    sink = pa.BufferOutputStream()
    try:
        pacsv.write_csv(table, sink, options)
    except pa.ArrowInvalid:
        return None
    return memoryview(sink.getvalue())


def _string_bytes(arr: pa.Array) -> memoryview:
    """The bytes of a string array's values, end to end (its data buffer between the first and
    the last offset)."""
    _, offsets_buf, data = arr.buffers()
    if data is None or len(arr) == 0:
        return memoryview(b"")
    offsets = np.frombuffer(offsets_buf, dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
    return memoryview(data)[int(offsets[0]) : int(offsets[-1])]


def _hash_body(text: pa.Table) -> memoryview:
    """The rows of ``text`` as :func:`content_hash` hashes them."""
    cols = [c.combine_chunks() for c in text.columns]
    written = _written(cols, "\x1f", "\x00")
    if written is not None:
        return written
    return _joined_bytes([pc.fill_null(c, "\x00") for c in cols], "\x1f")


def content_hash(table: pa.Table, text: pa.Table | None = None) -> str:
    """sha256 over the header and the canonical cells, row by row: ``\\x1f`` between cells,
    ``\\n`` after rows, ``\\x00`` for a missing value. Independent of file format and writer.
    ``text`` is ``canonical_text(table)`` when the caller has it already."""
    h = hashlib.sha256("\x1f".join(table.column_names).encode() + b"\n")
    text = canonical_text(table) if text is None else text
    for offset in range(0, text.num_rows, _STEP):
        h.update(_hash_body(text.slice(offset, _STEP)))
    return h.hexdigest()


# Bytes that make a CSV cell need quotes: the delimiter, the quote and line breaks.
_SPECIAL = (b",", b'"', b"\r", b"\n")


def _special_bytes(col: pa.Array) -> list[bytes]:
    """Which of the bytes that need quotes some cell of ``col`` holds (a byte search over the
    column's text: exact, as these are single bytes that UTF-8 never uses inside a character)."""
    data = bytes(_string_bytes(col))  # a copy, then memchr-fast searches
    return [b for b in _SPECIAL if b in data]


def _csv_cells(col: pa.Array, found: list[bytes] | None = None) -> pa.Array:
    """RFC 4180 minimal quoting: only cells with a comma, quote or line break are quoted.
    ``found``: ``_special_bytes(col)``, when the caller has it."""
    col = pc.fill_null(col, "")
    found = _special_bytes(col) if found is None else found
    if not found:
        return col  # no cell needs quotes: the column as it is
    # Only the cells that need quotes are quoted, then put back in place; a substring search
    # is faster than the regex when commas are the only special bytes (text columns).
    if found == [b","]:
        needs = pc.match_substring(col, ",")
    else:
        needs = pc.match_substring_regex(col, '[",\r\n]')
    cells = pc.filter(col, needs)
    if b'"' in found:
        cells = pc.replace_substring(cells, '"', '""')
    return pc.replace_with_mask(col, needs, pc.binary_join_element_wise('"', cells, '"', ""))


def _csv_header(names: list[str]) -> bytes:
    return (",".join(_csv_cells(pa.array(names, pa.string())).to_pylist()) + "\n").encode()


def _csv_body(text: pa.Table) -> memoryview:
    cols = [c.combine_chunks() for c in text.columns]
    found = [_special_bytes(c) for c in cols]  # (a null's bytes, if any, only add a search)
    if not any(found):  # no cell needs quotes: the cells as they are, by Arrow's CSV writer
        written = _written(cols, ",", "")
        if written is not None:
            return written
    return _joined_bytes([_csv_cells(c, f) for c, f in zip(cols, found, strict=True)], ",")


def write_canonical(table: pa.Table, path: Path) -> tuple[str, str]:
    """Write ``table`` as canonical CSV (UTF-8, header, ``\\n`` line ends, minimal
    quoting, an empty cell for a missing value; the cells as :func:`canonical_text` gives them),
    a slice of rows at a time, so the text of the whole table never sits in memory; returns
    (:func:`content_hash`, the file's sha256), both taken in the same pass."""
    with CanonicalWriter(path, table.column_names) as writer:
        writer.write(table)
    return writer.hashes()


class CanonicalWriter:
    """:func:`write_canonical` for a table given in parts, in order (a table too large to hold
    whole): the same bytes and hashes whatever the parts, as each row's text depends on that row
    alone."""

    def __init__(self, path: Path, names: list[str]) -> None:
        self._content, self._file = hashlib.sha256(), hashlib.sha256()
        self._content.update("\x1f".join(names).encode() + b"\n")
        self._fh = path.open("wb")
        head = _csv_header(names)
        self._fh.write(head)
        self._file.update(head)

    def write(self, table: pa.Table) -> None:
        """Append the rows of ``table``."""
        for offset in range(0, table.num_rows, _STEP):
            text = canonical_text(table.slice(offset, _STEP))
            self._content.update(_hash_body(text))
            body = _csv_body(text)
            self._fh.write(body)
            self._file.update(body)

    def hashes(self) -> tuple[str, str]:
        """(:func:`content_hash`, the file's sha256) of the rows written so far."""
        return self._content.hexdigest(), self._file.hexdigest()

    def __enter__(self) -> CanonicalWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()
