"""The tables being validated, and the column-wise helpers every layer uses."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from belarus_timeline.package import TableSchema
from belarus_timeline.tables import RawTable, TypedColumn, convert
from belarus_timeline.validate.hashing import hash64
from belarus_timeline.validate.vocab import Vocabularies, _int32
from belarus_timeline.validate.vocab import mask as mask  # (the layers import it from here)

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
    # Columns ``slim`` keeps as int32 codes into ``vocab``'s shared dictionaries, by name: the
    # dictionary's key (raw cells and typed values of a text field are then codes).
    coded: dict[str, Hashable] = field(default_factory=dict, repr=False, compare=False)
    vocab: Vocabularies | None = field(default=None, repr=False, compare=False)
    # Columns of a batch ``slim`` coded in a dictionary of the batch's own (``concat`` codes
    # them in the shared one), by name: that dictionary.
    pending: dict[str, pa.Array] = field(default_factory=dict, repr=False, compare=False)
    # Columns ``digest`` holds as 64-bit hashes of their cells (a large table's key, until its
    # unique check), and how to read the cells of some of their rows again from the file.
    digested: frozenset[str] = field(default=frozenset(), repr=False, compare=False)
    cells_of: Callable[[str, np.ndarray], pa.Array] | None = field(
        default=None, repr=False, compare=False
    )

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
        if name in self.dropped or name in self.digested:
            raise DroppedColumn(self.name, name)
        col = self.raw.table.column(name)
        if name in self.coded and self.vocab is not None:  # decoded on demand, not kept
            return self.vocab.decode(self.coded[name], col)
        if name in self.pending:
            return pa.chunked_array([pc.take(self.pending[name], col)])
        return col

    def codes(self, name: str) -> tuple[Hashable, np.ndarray] | None:
        """The key of the shared dictionary and the int32 codes of a column ``slim`` coded
        (None if it did not): equal codes of one key are equal cells."""
        if name in self.dropped:
            raise DroppedColumn(self.name, name)
        col = self.raw.table.column(name)
        if name not in self.coded or col.null_count:
            return None
        if col.num_chunks == 1:
            return self.coded[name], col.chunk(0).to_numpy()
        whole: np.ndarray = self.memo(("codes", name), lambda: _int32(col))
        return self.coded[name], whole

    def among(self, name: str, values: list[str]) -> np.ndarray:
        """Whether each raw cell of ``name`` is one of ``values`` (compared as codes when the
        column is coded: no string is decoded)."""
        found = self.codes(name)
        if found is None or self.vocab is None:
            return mask(pc.is_in(self.col(name), value_set=pa.array(values, pa.string())))
        return np.isin(found[1], self.vocab.code_of(found[0], values))

    def equal(self, name: str, value: str) -> np.ndarray:
        """Whether each raw cell of ``name`` is ``value``."""
        found = self.codes(name)
        if found is None or self.vocab is None:
            return mask(pc.equal(self.col(name), value))
        return np.isin(found[1], self.vocab.code_of(found[0], [value]))

    def differs(self, name: str, value: str) -> np.ndarray:
        """Whether each raw cell of ``name`` is not ``value`` (False where null)."""
        found = self.codes(name)
        if found is None or self.vocab is None:
            return mask(pc.not_equal(self.col(name), value))
        return ~np.isin(found[1], self.vocab.code_of(found[0], [value]))

    def per_cell(
        self, name: str, test: Callable[[pa.Array | pa.ChunkedArray], np.ndarray]
    ) -> np.ndarray:
        """``test(cells)``, a bool per cell that depends on the cell alone: run on the
        dictionary's values and looked up by code when the column is coded."""
        found = self.codes(name)
        if found is None or self.vocab is None:
            return test(self.col(name))
        values = self.vocab.values[found[0]]
        return np.asarray(test(values), dtype=bool)[found[1]] if len(values) else found[1] > 0

    def take(self, name: str, rows: pa.Array) -> pa.Array | pa.ChunkedArray:
        """The raw cells of ``rows`` (only those decoded, when the column is coded)."""
        found = self.codes(name)
        if found is None or self.vocab is None:
            return pc.take(self.col(name), rows)
        return pc.take(self.vocab.values[found[0]], pc.take(pa.array(found[1]), rows))

    def shown(self, name: str) -> Any:
        """The raw cells of ``name`` for the findings' values: a coded column is not decoded,
        only the cells of the rows listed are looked up."""
        return self.col(name) if self.codes(name) is None else _Cells(self, name)

    def cell(self, name: str, i: int) -> Any:
        """Row ``i``'s raw cell of a column (for messages: a coded column is not decoded)."""
        found = self.codes(name)
        if found is None or self.vocab is None:
            return self.col(name)[i].as_py()
        return self.vocab.values[found[0]][int(found[1][i])].as_py()

    def has(self, name: str) -> bool:
        """Whether the file has the column ``name``."""
        if name in self.dropped:
            raise DroppedColumn(self.name, name)
        return name in self.raw.table.column_names

    def slim(
        self, keep: set[str], vocab: Vocabularies | None = None, *, part: bool = False
    ) -> None:
        """Drop every column outside ``keep`` (raw cells, typed values, remembered matches):
        once the checks of this table alone have run, the checks across tables read only the
        columns they declare, and the rest of the memory is freed. Reading a dropped column
        afterwards raises :class:`DroppedColumn`. With ``vocab``, the kept columns worth it are
        held as int32 codes into its shared dictionaries (``col`` decodes them); with ``part``
        (a batch of a table), into a dictionary of the batch's own until ``concat``."""
        typed = self.typed  # converted first: what is kept stays as it was
        names = frozenset(n for n in self.raw.table.column_names if n not in keep)
        kept = {k: v for k, v in typed.items() if k not in names}
        table = self.raw.table.drop_columns(list(names))
        if vocab is not None:
            table = self._code(table, kept, vocab, part)
        for name, tc in kept.items():
            kept[name] = TypedColumn(tc.values, *_masks(tc))
        with self._lock:
            self._memo["typed"] = _Fields(kept, names)
            for key in [k for k in self._memo if isinstance(k, tuple) and k[0] == "matches"]:
                if key[1] in names:
                    del self._memo[key]
        self.coded = {k: v for k, v in self.coded.items() if k not in names}
        # (slimmed again, e.g. batches joined: the columns coded then stay coded)
        self.pending = {k: v for k, v in self.pending.items() if k not in names}
        self.vocab = (vocab or self.vocab) if self.coded or self.pending else None
        self.digested = self.digested - names
        self.dropped = names
        self.raw.table = table

    def _code(
        self, table: pa.Table, kept: dict[str, Any], vocab: Vocabularies, part: bool
    ) -> pa.Table:
        """``table`` with the columns worth it as codes (their typed values in ``kept`` too)."""
        for name in table.column_names:
            if name in self.coded or name in self.digested or name in self.pending:
                continue
            if part:
                found = vocab.encode_part(self.name, name, table.column(name))
                if found is None:
                    continue
                self.pending[name], codes = found
            else:
                codes = vocab.encode(self.name, name, table.column(name))
                if codes is None:
                    continue
                self.coded[name] = vocab.key(self.name, name)
            table = table.set_column(table.column_names.index(name), name, codes)
            tc = kept.get(name)
            if tc is not None:
                # Typed values depend on the cell alone: the same codes, null where missing or
                # invalid (``values`` takes them from the dictionary, converted).
                kept[name] = TypedColumn(_nulls_where(codes, tc.missing | tc.invalid), *_masks(tc))
        return table

    def digest(self, names: set[str]) -> None:
        """Hold the cells of the string columns ``names`` as their 64-bit hashes
        (``hashing.hash64``: a quarter or less of the strings' memory), raw cells and typed
        values alike; their missing and invalid rows stay as they were. Only the unique checks
        read them (``digests``), confirming equal hashes with the cells read again
        (``cells_of``); reading their cells raises :class:`DroppedColumn`."""
        table = self.raw.table
        typed = dict(self.typed)
        for name in sorted(names - self.digested):
            hashes = pa.chunked_array([pa.array(hash64(table.column(name)), pa.uint64())])
            table = table.set_column(table.column_names.index(name), name, hashes)
            tc = typed[name]
            typed[name] = TypedColumn(hashes, tc.missing, tc.invalid)
        with self._lock:
            self._memo["typed"] = _Fields(typed, self.dropped)
        self.digested = self.digested | names
        self.raw.table = table

    def digests(self, name: str) -> np.ndarray | None:
        """The 64-bit hashes of a column ``digest`` hashed (None if it did not)."""
        if name not in self.digested:
            return None
        col = self.raw.table.column(name)
        if col.num_chunks == 1:
            return np.asarray(col.chunk(0).to_numpy())
        whole: np.ndarray = self.memo(("digests", name), lambda: col.to_numpy())
        return whole

    @classmethod
    def concat(cls, parts: list[Table]) -> Table:
        """One table of the rows of ``parts`` (batches of one file, in order, each slimmed
        alike): the raw cells' chunks and typed values joined without copying the cells, the
        masks concatenated, and of the remembered results those every part holds that are a
        value per row (a pattern's matches). The row numbers are the file's (``numbers`` None:
        the parts had no row set aside)."""
        first = parts[0]
        table = pa.concat_tables([p.raw.table for p in parts])
        coded = dict(first.coded)
        for name in first.pending:  # the batches' own codes, as codes of the shared dictionary
            assert first.vocab is not None
            own = [(p.pending[name], p.raw.table.column(name)) for p in parts]
            at = table.column_names.index(name)
            table = table.set_column(at, name, first.vocab.join(first.name, name, own))
            coded[name] = first.vocab.key(first.name, name)
        for name in [*coded, *first.digested]:  # one chunk, as ``codes`` reads them
            at = table.column_names.index(name)
            table = table.set_column(at, name, table.column(name).combine_chunks())
        raw = RawTable(first.raw.header, table)
        typed = [p.typed for p in parts]
        fields = {}
        for k in typed[0]:
            missing = np.concatenate([t[k].missing for t in typed])
            invalid = np.concatenate([t[k].invalid for t in typed])
            if k in coded:
                # The codes joined above, null where missing or invalid (as ``_code`` makes
                # them): no second copy of the codes.
                values = _nulls_where(table.column(k), missing | invalid)
            elif k in first.digested:
                values = table.column(k)  # the hashes joined above
            else:
                values = pa.chunked_array(
                    [c for t in typed for c in _chunks(t[k].values)], type=typed[0][k].values.type
                )
            fields[k] = TypedColumn(values, *_masks(TypedColumn(values, missing, invalid)))
        out = cls(first.name, first.file, first.schema, raw, dropped=first.dropped)
        out.coded, out.vocab = coded, first.vocab
        out.digested, out.cells_of = first.digested, first.cells_of
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
        if name in self.pending:  # (a batch's own codes: read only once the batches are joined)
            raise DroppedColumn(self.name, name)
        if name in self.coded and self.vocab is not None:
            return self.vocab.typed(self.coded[name], self.schema.field(name), v)
        return v


@dataclass
class _Cells:
    """A coded column's raw cells, looked up one by one (the findings' values)."""

    table: Table
    name: str

    def __getitem__(self, i: int) -> Any:
        return self.table.cell(self.name, i)


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


def _nulls_where(codes: pa.ChunkedArray, null: np.ndarray) -> pa.ChunkedArray:
    """``codes`` (one chunk) with nulls where ``null``, sharing the codes' buffer."""
    if not null.any():
        return codes
    bitmap = pa.array(~null, pa.bool_()).buffers()[1]
    chunk = codes.chunk(0)
    return pa.chunked_array(
        [pa.Array.from_buffers(pa.int32(), len(chunk), [bitmap, chunk.buffers()[1]])]
    )


def _masks(tc: TypedColumn) -> tuple[np.ndarray, np.ndarray]:
    """A typed column's missing and invalid rows, an all-False one as a read-only view of one
    value (a byte per row less for each kept column)."""
    return tuple(  # type: ignore[return-value]
        np.broadcast_to(np.False_, len(m)) if not m.any() else m for m in (tc.missing, tc.invalid)
    )


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
