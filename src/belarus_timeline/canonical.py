"""Canonical, writer-independent forms of typed tables: sort order, cell text and content hash.

A release's CSV files are written from these cell texts, and each table's content hash is taken
over them, so "the data changed" can be told apart from "the toolchain that wrote the files
changed".
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from belarus_timeline.package import TableSchema


def sort_by_key(table: pa.Table, schema: TableSchema) -> pa.Table:
    """Rows in primary-key order (typed order: integers numerically, dates chronologically).

    The project's one row order: releases are written in it and the loader returns every
    table in it, whatever the order of the rows in the files it reads."""
    keys = list(schema.primary_key) or [f.name for f in schema.fields]
    # Dictionary-encoded columns (vocabularies read for pandas) sort by their values.
    columns = {k: _decoded(table.column(k)) for k in keys}
    if _ascending(list(columns.values())):
        return table  # a release is written in this order: no sort, no copy
    order = pc.sort_indices(pa.table(columns), sort_keys=[(k, "ascending") for k in keys])
    return table.take(order)


def _ascending(columns: list[pa.ChunkedArray]) -> bool:
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
        values = col.to_numpy(zero_copy_only=False)
        valid = pc.is_valid(col).to_numpy(zero_copy_only=False)
        text = [repr(float(v)) if ok else None for v, ok in zip(values, valid, strict=True)]
        return pa.array(text, pa.string())
    if pa.types.is_date(t):
        return pc.strftime(pc.cast(col, pa.timestamp("s")), format="%Y-%m-%d")
    if pa.types.is_boolean(t):
        return pc.if_else(col, "true", "false")
    return pc.cast(col, pa.string())


def canonical_text(table: pa.Table) -> pa.Table:
    """Every column as canonical cell text (nulls kept as nulls)."""
    return pa.Table.from_arrays([cell_strings(c) for c in table.columns], names=table.column_names)


def content_hash(table: pa.Table, text: pa.Table | None = None) -> str:
    """sha256 over the header and the canonical cells, row by row: ``\\x1f`` between cells,
    ``\\n`` after rows, ``\\x00`` for a missing value. Independent of file format and writer.
    ``text`` is ``canonical_text(table)`` when the caller has it already."""
    h = hashlib.sha256()
    h.update("\x1f".join(table.column_names).encode() + b"\n")
    text = canonical_text(table) if text is None else text
    # Chunked so a million-row table never needs one giant Python string.
    step = 200_000
    for offset in range(0, max(text.num_rows, 1), step):
        part = text.slice(offset, step)
        if part.num_rows == 0:
            break
        cols = [pc.fill_null(c, "\x00") for c in part.columns]
        rows = pc.binary_join_element_wise(*cols, "\x1f") if len(cols) > 1 else cols[0]
        joined = "\n".join(np.asarray(rows.to_numpy(zero_copy_only=False), dtype=object))
        h.update(joined.encode("utf-8") + b"\n")
    return h.hexdigest()


def _csv_cells(col: pa.Array) -> pa.Array:
    """RFC 4180 minimal quoting: only cells with a comma, quote or line break are quoted."""
    col = pc.fill_null(col, "")
    needs = pc.match_substring_regex(col, '[",\r\n]')
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(col, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, col)


def write_csv(text: pa.Table, path: Path) -> None:
    """Write canonical cell text as CSV: UTF-8, header, ``\n`` line ends, minimal quoting, an
    empty cell for a missing value. Column-wise, so a million rows take a moment, not minutes."""
    header = ",".join(_csv_cells(pa.array(text.column_names, pa.string())).to_pylist())
    step = 500_000
    with path.open("wb") as fh:
        fh.write(header.encode("utf-8") + b"\n")
        for offset in range(0, text.num_rows, step):
            part = text.slice(offset, step)
            cols = [_csv_cells(c.combine_chunks()) for c in part.columns]
            lines = pc.binary_join_element_wise(*cols, ",") if len(cols) > 1 else cols[0]
            body = "\n".join(np.asarray(lines.to_numpy(zero_copy_only=False), dtype=object))
            fh.write(body.encode("utf-8") + b"\n")
