"""The tables being validated, and the column-wise helpers every layer uses."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from belarus_timeline.package import TableSchema
from belarus_timeline.tables import RawTable, TypedColumn, convert

# Tables that hold source spans, and the column that must equal the span's text.
SPAN_TABLES = {
    "quotes": "text",
    "claims": "excerpt",
    "link_evidence": "excerpt",
    "evidence": "excerpt",
    "source_furniture": "excerpt",
}


@dataclass
class Table:
    name: str
    file: str
    schema: TableSchema
    raw: RawTable
    # Results several checks need (e.g. a pattern's matches), computed once: see ``memo``.
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    # Columns dropped by ``slim``: reading one is an error, never a silent empty column.
    dropped: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()``, remembered under ``key``: checks running side by side on other
        threads wait for the first one instead of computing it again."""
        with self._lock:
            if key not in self._memo:
                self._memo[key] = compute()
            return self._memo[key]

    def forget(self, kind: str) -> None:
        """Drop the remembered results whose key starts with ``kind`` (no later check needs
        them: their memory is freed)."""
        with self._lock:
            for key in [k for k in self._memo if isinstance(k, tuple) and k[0] == kind]:
                del self._memo[key]

    @property
    def typed(self) -> dict[str, Any]:
        """The schema's fields converted to their types, computed on first use (a per-table
        lock, not ``cached_property``'s lock, which Python 3.11 shares by every table)."""

        def compute() -> dict[str, Any]:
            out: dict[str, Any] = {}
            for f in self.schema.fields:
                if f.name in self.raw.table.column_names:
                    out[f.name] = convert(self.col(f.name), f)
            return out

        typed: dict[str, Any] = self.memo("typed", compute)
        return typed

    def col(self, name: str) -> pa.ChunkedArray:
        """The raw cells of a column (strings, "" when empty), as the reader's chunks: every
        kernel used here takes chunked input, and combining would copy the whole column."""
        if name in self.dropped:
            raise DroppedColumn(self.name, name)
        return self.raw.table.column(name)

    def has(self, name: str) -> bool:
        """Whether the file has the column ``name``."""
        if name in self.dropped:
            raise DroppedColumn(self.name, name)
        return name in self.raw.table.column_names

    def slim(self, keep: set[str]) -> None:
        """Drop every column outside ``keep`` (raw cells, typed values, remembered matches):
        once the checks of this table alone have run, the checks across tables read only the
        columns they declare, and the rest of the memory is freed. Reading a dropped column
        afterwards raises :class:`DroppedColumn`."""
        typed = self.typed  # converted first: what is kept stays as it was
        names = frozenset(n for n in self.raw.table.column_names if n not in keep)
        with self._lock:
            self._memo["typed"] = _Fields({k: v for k, v in typed.items() if k not in names}, names)
            for key in [k for k in self._memo if isinstance(k, tuple) and k[0] == "matches"]:
                if key[1] in names:
                    del self._memo[key]
        self.dropped = names
        self.raw.table = self.raw.table.drop_columns(list(names))

    @classmethod
    def concat(cls, parts: list[Table]) -> Table:
        """One table of the rows of ``parts`` (batches of one file, in order, each slimmed
        alike): the raw cells' chunks and typed values joined without copying the cells, the
        masks concatenated, and of the remembered results those every part holds that are a
        value per row (a pattern's matches). The row numbers are the file's (``numbers`` None:
        the parts had no row set aside)."""
        first = parts[0]
        raw = RawTable(first.raw.header, pa.concat_tables([p.raw.table for p in parts]))
        typed = [p.typed for p in parts]
        fields = {
            k: TypedColumn(
                pa.chunked_array(
                    [c for t in typed for c in _chunks(t[k].values)], type=typed[0][k].values.type
                ),
                np.concatenate([t[k].missing for t in typed]),
                np.concatenate([t[k].invalid for t in typed]),
            )
            for k in typed[0]
        }
        out = cls(first.name, first.file, first.schema, raw, dropped=first.dropped)
        out._memo["typed"] = _Fields(fields, first.dropped)
        for key in first._memo:
            matches = isinstance(key, tuple) and key[0] == "matches"
            if matches and all(key in p._memo for p in parts):
                out._memo[key] = np.concatenate([p._memo[key] for p in parts])
        return out

    def strings(self, name: str) -> np.ndarray:
        """The raw cells as a numpy object array (for small tables and per-source loops)."""
        return np.asarray(self.col(name).to_numpy(zero_copy_only=False), dtype=object)

    def values(self, name: str) -> pa.Array:
        """The typed values of a column (null where the cell is empty or invalid)."""
        v: pa.Array = self.typed[name].values
        return v


class DroppedColumn(Exception):
    """A check read a column that was dropped as no later check declared it (a bug: the
    declaration of the columns that check reads is incomplete)."""

    def __init__(self, table: str, column: str) -> None:
        super().__init__(f"{table}.{column} was dropped: no check declared that it reads it")


class _Fields(dict[str, Any]):
    """The typed fields of a slimmed table: looking up a dropped one raises."""

    def __init__(self, items: dict[str, Any], dropped: frozenset[str]) -> None:
        super().__init__(items)
        self.dropped = dropped

    def _check(self, key: object) -> None:
        if key in self.dropped:
            raise DroppedColumn("a table", str(key))

    def __contains__(self, key: object) -> bool:
        self._check(key)
        return super().__contains__(key)

    def __getitem__(self, key: str) -> Any:
        self._check(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self._check(key)
        return super().get(key, default)


def _chunks(a: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return list(a.chunks) if isinstance(a, pa.ChunkedArray) else [a]


def mask(a: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(a, False).to_numpy(zero_copy_only=False), dtype=bool)


def by_runs(col: pa.ChunkedArray, per_value: Callable[[Any], np.ndarray]) -> np.ndarray:
    """``per_value(col)`` (a bool per row that depends on the row's value alone), computed on
    the first row of each run of equal values only when runs are long (tables are grouped by
    event or source): one cheap comparison per row instead of a regex or a hash look-up."""
    n = len(col)
    if n < 2:
        return per_value(col)
    starts = np.empty(n, dtype=bool)
    starts[0] = True
    starts[1:] = mask(pc.not_equal(col.slice(1), col.slice(0, n - 1)))
    heads = np.flatnonzero(starts)
    if len(heads) > n // 2:
        return per_value(col)
    result: np.ndarray = per_value(col.take(pa.array(heads)))[np.cumsum(starts) - 1]
    return result


def anchored(pattern: str) -> str:
    # Table Schema patterns match the whole value.
    return pattern if pattern.startswith("^") and pattern.endswith("$") else f"^(?:{pattern})$"


def key_column(t: Table, fields: list[str]) -> pa.Array:
    """The raw cells of ``fields`` joined by a unit separator: one string per row."""
    cols = [t.col(f) for f in fields]
    return cols[0] if len(cols) == 1 else pc.binary_join_element_wise(*cols, "\x1f")


def shown(key: pa.Array) -> pa.Array:
    return pc.replace_substring(key, "\x1f", ", ")


def need(tables: dict[str, Table], name: str, cols: list[str]) -> Table | None:
    t = tables.get(name)
    if t is None or not all(c in t.typed for c in cols):
        return None
    return t


def days(a: pa.Array) -> np.ndarray:
    """date32 values as numpy ``datetime64[D]`` (nulls become 1970-01-01: mask them)."""
    days = pc.fill_null(a.cast(pa.int32()), 0).to_numpy(zero_copy_only=False)
    return np.asarray(days, dtype="datetime64[D]")


def ints(a: pa.Array) -> np.ndarray:
    """Integer values as int64, -1 where null (a null span is never checked)."""
    return np.asarray(pc.fill_null(a, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def is_parquet(path: str) -> bool:
    return path.endswith(".parquet")
