"""A table too large to hold in memory, written in the project's row order.

Its CSV file is read twice, in batches: first the key columns alone, which give every row its
place in the order (:func:`belarus_timeline.canonical.sort_by_key`'s order); then every column,
each batch's rows sent to the bucket of their place (one bucket per Parquet row group, a file
on disk). Each bucket is then read back, put in order in memory and written: memory holds a
batch, a bucket and the keys, not the table. Already ordered rows skip the buckets.

A release's Parquet row groups are written one by one, each column of a group one contiguous
array (:class:`ParquetGroups`), whichever way the rows came: the same file bytes as from the
whole table (tested).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from belarus_timeline.canonical import CanonicalWriter, ascending
from belarus_timeline.csvbytes import CheckedRead, as_strings
from belarus_timeline.errors import PackageError
from belarus_timeline.package import TableSchema
from belarus_timeline.tables import (
    ARROW_TYPES,
    CsvProblem,
    EncodingProblem,
    RawTable,
    column_names,
    convert,
    read_header,
    typed_table,
    unreadable,
)

__all__ = ["ParquetGroups", "write_spilled"]

# Arrow's streaming reader reads up to 32 blocks ahead of its consumer (measured: with 16 MB
# blocks, a 474 MB file was all read ahead at the first batch), so blocks are small, and
# gathered into batches of some _BATCH bytes to be converted and sorted into buckets.
_BLOCK = 1 << 22
_BATCH = 1 << 26
_RANK = "__rank"  # the row's place in the order, carried through the buckets


class ParquetGroups:
    """A Parquet file written a row group at a time (``row_group_size`` rows, the last one
    shorter), each column of a group as one array: the file's bytes depend on the rows only, not
    on how they were cut into chunks or batches before."""

    def __init__(self, path: Path, schema: pa.Schema, options: dict[str, Any]) -> None:
        self.size = int(options["row_group_size"])
        opts = {k: v for k, v in options.items() if k != "row_group_size"}
        self._writer = pq.ParquetWriter(path, schema, **opts)
        self._held: list[pa.Table] = []
        self._rows = 0

    def write(self, table: pa.Table) -> None:
        """Append rows; a row group is written each time ``row_group_size`` rows are held."""
        while table.num_rows:
            take = min(self.size - self._rows, table.num_rows)
            self._held.append(table.slice(0, take))
            self._rows += take
            table = table.slice(take)
            if self._rows == self.size:
                self._flush()

    def close(self) -> None:
        """Write the last, shorter row group and close the file."""
        if self._rows:
            self._flush()
        self._writer.close()

    def _flush(self) -> None:
        group = pa.concat_tables(self._held).combine_chunks()
        self._writer.write_table(group, row_group_size=self.size)
        self._held, self._rows = [], 0


def write_spilled(
    path: Path,
    schema: TableSchema,
    csv_out: Path,
    parquet_out: Path,
    parquet_options: dict[str, Any],
) -> tuple[int, str, str]:
    """Write the CSV table at ``path`` (valid for ``schema``: the validator passed it) in the
    project's row order as canonical CSV ``csv_out`` and Parquet ``parquet_out``; returns
    (rows, content hash, sha256 of ``csv_out``). The buckets go to a temporary folder beside
    ``csv_out``, removed at the end."""
    try:
        names = column_names(read_header(path))
    except (EncodingProblem, CsvProblem) as exc:
        raise unreadable(path, exc) from None
    keys = list(schema.primary_key) or schema.field_names
    rows, rank = _ranks(path, names, schema, keys)
    size = int(parquet_options["row_group_size"])
    spill = Path(tempfile.mkdtemp(prefix=".spill-", dir=csv_out.parent))
    try:
        with CanonicalWriter(csv_out, schema.field_names) as csv:
            groups: ParquetGroups | None = None
            for part in _in_order(path, names, schema, rank, size, spill):
                if groups is None:
                    groups = ParquetGroups(parquet_out, part.schema, parquet_options)
                csv.write(part)
                groups.write(part)
            if groups is None:  # no rows: the schema's empty table
                empty = typed_table(RawTable(names, _strings(names, 0)), schema)
                groups = ParquetGroups(parquet_out, empty.schema, parquet_options)
            groups.close()
    finally:
        shutil.rmtree(spill, ignore_errors=True)
    return rows, *csv.hashes()


def _batches(path: Path, names: list[str], columns: list[str] | None = None) -> Iterator[pa.Table]:
    """The file's rows as strings, a batch at a time (``columns``: only these)."""
    include = [c for c in names if columns is None or c in columns]
    changed = PackageError(f"{path}: changed since it was validated: build again.")
    # Read as binary, the bytes checked UTF-8 as they are read (as the validator reads them).
    with path.open("rb", buffering=0) as raw:
        checked = CheckedRead(raw)
        try:
            reader = pacsv.open_csv(
                checked,
                read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=_BLOCK),
                # Quote-aware splitting: a cell may hold a line break.
                parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.binary()),
                    include_columns=include,
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            held: list[pa.RecordBatch] = []
            for batch in reader:
                if not checked.utf8:
                    raise changed
                held.append(batch)
                if sum(b.nbytes for b in held) >= _BATCH:
                    yield as_strings(pa.Table.from_batches(held))
                    held = []
            if not checked.valid or checked.quotes % 2:  # (a quote never closed)
                raise changed
            if held:
                yield as_strings(pa.Table.from_batches(held))
        except pa.ArrowInvalid as exc:
            # The validator read this file a moment ago: it changed since, or Arrow's streaming
            # reader disagrees with its whole-file reader.
            raise PackageError(f"{path}: cannot be read again to be written ({exc}).") from exc


def _strings(names: list[str], n: int) -> pa.Table:
    return pa.table({c: pa.array([""] * n, pa.string()) for c in names})


def _ranks(
    path: Path, names: list[str], schema: TableSchema, keys: list[str]
) -> tuple[int, np.ndarray | None]:
    """The rows, and each row's place in the order (None when they are in order already)."""
    fields = {f.name: f for f in schema.fields}
    parts: dict[str, list[pa.Array]] = {k: [] for k in keys}
    for batch in _batches(path, names, keys):
        for k in keys:
            if k in names:
                parts[k].append(convert(batch.column(k), fields[k]).values)
            else:
                parts[k].append(typed_table(RawTable(names, batch), schema).column(k))
    columns = {
        k: pa.chunked_array(_flat(v), type=v[0].type if v else ARROW_TYPES[fields[k].type])
        for k, v in parts.items()
    }
    rows = len(next(iter(columns.values())))
    if ascending(list(columns.values())):
        return rows, None
    order = pc.sort_indices(pa.table(columns), sort_keys=[(k, "ascending") for k in keys])
    del columns
    pa.default_memory_pool().release_unused()
    rank = np.empty(len(order), dtype=np.int64)
    rank[np.asarray(order)] = np.arange(len(order), dtype=np.int64)
    return rows, rank


def _flat(parts: list[Any]) -> list[pa.Array]:
    out: list[pa.Array] = []
    for p in parts:
        out.extend(p.chunks if isinstance(p, pa.ChunkedArray) else [p])
    return out


def _in_order(
    path: Path,
    names: list[str],
    schema: TableSchema,
    rank: np.ndarray | None,
    size: int,
    spill: Path,
) -> Iterator[pa.Table]:
    """The typed rows in the project's order, a batch or a bucket at a time."""
    typed = (typed_table(RawTable(names, b), schema) for b in _batches(path, names))
    if rank is None:
        yield from typed
        return
    buckets = (len(rank) + size - 1) // size
    writers: dict[int, pa.ipc.RecordBatchFileWriter] = {}
    offset = 0
    try:
        for table in typed:
            place = rank[offset : offset + table.num_rows]
            offset += table.num_rows
            bucket = place // size
            rows = np.argsort(bucket, kind="stable")
            ends = np.cumsum(np.bincount(bucket, minlength=buckets))
            table = table.append_column(_RANK, pa.array(place))
            for k in np.flatnonzero(np.diff(ends, prepend=0)).tolist():
                if k not in writers:
                    writers[k] = pa.ipc.new_file(str(spill / f"{k}.arrow"), table.schema)
                start = int(ends[k - 1]) if k else 0
                writers[k].write_table(table.take(pa.array(rows[start : int(ends[k])])))
    finally:
        for w in writers.values():
            w.close()
    for k in range(buckets):
        yield _bucket(spill / f"{k}.arrow", k * size)
        # The pool would keep the freed buckets' pages: memory would grow with the table.
        pa.default_memory_pool().release_unused()


def _bucket(file: Path, first: int) -> pa.Table:
    """A bucket read back (into memory, not mapped) and put in order; its file removed."""
    with pa.OSFile(str(file)) as fh:
        table = pa.ipc.open_file(fh).read_all()
    file.unlink()
    place = np.asarray(table.column(_RANK).to_numpy()) - first
    perm = np.empty(len(place), dtype=np.int64)
    perm[place] = np.arange(len(place), dtype=np.int64)
    return table.drop_columns([_RANK]).take(pa.array(perm))
