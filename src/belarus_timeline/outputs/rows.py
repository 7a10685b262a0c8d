"""A package's tables as lists of row dicts for the shared view, straight from Arrow.

``DataFrame.to_dict("records")`` boxes every cell through pandas (most of the time of building
the view); ``pyarrow``'s ``to_pylist`` per column is many times faster. The rows are the ones the
loader gives (:func:`belarus_timeline.load.read_table`, then ``to_dict("records")``), value for
value as the view reads them: the same columns and row order, and an empty cell is what pandas
would give for the column's dtype (NaN for vocabularies and numbers, ``NaT`` for dates, else
``None``), as is a value outside a column's vocabulary. Dates come as
:class:`datetime.date` rather than ``Timestamp``: the view only reads them through
``pd.Timestamp(value).date()`` and as "empty or not".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from belarus_timeline.canonical import sort_by_key
from belarus_timeline.package import DataPackage, Field
from belarus_timeline.tables import read_arrow, table_names

Row = dict[Hashable, Any]

#: What ``to_dict("records")`` gives for an empty cell, by Table Schema type, where it is not
#: ``None`` (as for text, integers and booleans).
_EMPTY: dict[str, Any] = {"number": float("nan"), "date": pd.NaT}


def _values(col: pa.ChunkedArray, f: Field) -> list[Any]:
    """One column as Python values, empty cells (and values outside a vocabulary, which the
    loader's categoricals cannot hold) as the loader's frame gives them."""
    values: list[Any] = col.to_pylist()
    if f.enum is not None and f.type == "string":
        known = pc.fill_null(pc.is_in(col, value_set=pa.array(list(f.enum), pa.string())), False)
        if pc.all(known).as_py() is False:
            nan = float("nan")
            return [v if ok else nan for v, ok in zip(values, known.to_pylist(), strict=True)]
        return values
    if col.null_count and f.type in _EMPTY:
        empty = _EMPTY[f.type]
        return [empty if v is None else v for v in values]
    return values


def columns(pkg: DataPackage, table: str) -> dict[str, list[Any]]:
    """The columns of ``table`` by name, each a list of the values :func:`records` gives: the
    view builds its largest tables' objects from these without a dict per row."""
    name = table_names(pkg)[table]
    schema = pkg.schema(name)
    data = sort_by_key(read_arrow(pkg, name), schema)
    return {f.name: _values(data.column(f.name), f) for f in schema.fields}


def records(pkg: DataPackage, table: str) -> list[Row]:
    """The rows of ``table`` (a table name, e.g. ``events``) in primary-key order, as dicts of
    the schema's columns."""
    cols = columns(pkg, table)
    names = list(cols)
    return [dict(zip(names, row, strict=True)) for row in zip(*cols.values(), strict=True)]


def grouped_rows(rows: Iterable[Row], key: str) -> dict[str, list[Row]]:
    """Rows grouped by the text of their ``key`` cell, in row order."""
    out: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        out[str(r[key])].append(r)
    return out


def grouped_pairs(cols: dict[str, list[Any]], a: str, b: str) -> dict[str, list[tuple[str, str]]]:
    """The text of columns ``a`` and ``b`` of each row, grouped by event id in row order."""
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for event, x, y in zip(cols["event_id"], cols[a], cols[b], strict=True):
        out[str(event)].append((str(x), str(y)))
    return out
