"""Reading a large CSV table in batches of rows, for the validator to check one batch at a time.

Only a clean file is read this way: valid UTF-8 without a byte order mark, a header of distinct
non-empty names, every row as wide as the header, no blank row and no line break in a cell.
(Its bytes are checked UTF-8 as they are read, ``csvbytes.CheckedRead``: the whole file need not
be mapped at once, as ``read_raw``'s prescan does.)
Anything else raises :class:`NotClean` (possibly after some batches were read): the caller
then reads the table whole, with :func:`belarus_timeline.tables.read_raw`, whose row numbering
and findings cover every such case. The batches hold exactly the rows ``read_raw`` would read
(the same reader options), in file order.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from belarus_timeline.csvbytes import CheckedRead, as_strings
from belarus_timeline.errors import PackageError
from belarus_timeline.tables import (
    CsvProblem,
    EncodingProblem,
    any_line_break,
    blank_rows,
    column_names,
    read_header,
)

T = TypeVar("T")


class NotClean(Exception):
    """The file needs the whole-table reader (see the module's docstring)."""


def clean_batches(path: Path, batch_bytes: int) -> Iterator[tuple[list[str], pa.Table]]:
    """The header and the rows of ``path``, about ``batch_bytes`` of cells at a time. Raises
    :class:`NotClean` as soon as the file shows anything the whole-table reader must see."""
    try:
        header = read_header(path)
    except (EncodingProblem, CsvProblem, OSError) as exc:
        raise NotClean(str(exc)) from None
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    if head.startswith(b"\xef\xbb\xbf") or column_names(header) != header or not header:
        raise NotClean("a byte order mark, or an empty or repeated header cell")
    if not head.strip() or (b"\n" not in head and b"\r" not in head):
        raise NotClean("an empty file, or no line end in the first MiB")
    bad: list[int] = []

    def on_invalid(row: Any) -> str:
        bad.append(row.number)  # (raising here would not stop the reader's threads)
        return "skip"

    # The double quotes are counted and the bytes checked UTF-8 as the reader reads them (not
    # in a read of the file of its own first): an odd count, found at the end, means a quote
    # never closed; bytes that are not UTF-8 are left to the whole-table reader to report.
    with path.open("rb", buffering=0) as raw:
        counted = CheckedRead(raw)
        try:
            reader = _reader(counted, header, on_invalid, block_size=min(batch_bytes, 1 << 22))
            parts: list[pa.RecordBatch] = []
            size = 0
            for batch in reader:
                if bad or not counted.utf8:
                    raise NotClean("a row of the wrong width, or bytes that are not UTF-8")
                parts.append(batch)
                size += batch.nbytes
                if size >= batch_bytes:
                    yield header, _checked(parts)
                    parts, size = [], 0
            if bad or not counted.valid:
                raise NotClean("a row of the wrong width, or bytes that are not UTF-8")
            if counted.quotes % 2:
                raise NotClean("a double quote never closed")
            if parts:
                yield header, _checked(parts)
        except pa.ArrowInvalid as exc:  # e.g. a row longer than a block, a cell out of sync
            raise NotClean(str(exc)) from None


def _reader(
    source: CheckedRead,
    header: list[str],
    on_invalid: Any,
    *,
    block_size: int,
    columns: list[str] | None = None,
) -> pacsv.CSVStreamingReader:
    """Arrow's streaming reader of a clean file's rows (the options ``read_raw`` reads with),
    every column or ``columns``, from the file opened through ``source``. The cells are read as
    binary (see :func:`belarus_timeline.tables.as_strings`): a batch's cells are UTF-8 once
    ``source.utf8`` holds after it was read."""
    reader = pacsv.open_csv(
        source,
        # Arrow's streaming reader reads up to 32 blocks ahead of its consumer: 4 MiB blocks
        # hold that to 128 MiB (16 MiB ones read 474 MB ahead at the first batch).
        read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=block_size),
        parse_options=pacsv.ParseOptions(
            newlines_in_values=False,
            invalid_row_handler=on_invalid,
            ignore_empty_lines=False,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.binary()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            include_columns=columns,
        ),
    )
    for batch in reader:
        yield as_strings(batch)


def cells_at(path: Path, column: str, rows: np.ndarray) -> pa.Array:
    """The cells of ``column`` in ``rows`` (ascending positions among the data rows) of a file
    :func:`clean_batches` read to the end: the file read again, that column alone kept."""
    header = read_header(path)
    found: list[pa.Array] = [pa.array([], pa.string())]
    at = 0
    with path.open("rb", buffering=0) as raw:
        checked = CheckedRead(raw)
        for batch in _reader(checked, header, None, block_size=1 << 22, columns=[column]):
            lo, hi = np.searchsorted(rows, [at, at + batch.num_rows])
            if hi > lo:
                found.append(batch.column(0).take(pa.array(rows[lo:hi] - at)))
            at += batch.num_rows
    if not checked.valid:
        raise PackageError(f"{path}: changed while it was validated: validate it again.")
    return pa.concat_arrays(found)


def _checked(parts: list[pa.RecordBatch]) -> pa.Table:
    table = pa.Table.from_batches(parts)
    if any_line_break(table) or blank_rows(table).any():
        raise NotClean("a line break in a cell, or a blank row")
    return table


def prefetched(items: Iterator[T], pool: ThreadPoolExecutor | None) -> Generator[T, None, None]:
    """``items``, the next one produced on the pool while the caller works on the current one
    (memory holds two). Closing this generator waits for the pending one."""
    if pool is None:
        yield from items
        return
    done = object()
    pending: Future[Any] = pool.submit(next, items, done)
    try:
        while (item := pending.result()) is not done:
            pending = pool.submit(next, items, done)
            yield item
    finally:
        # The pending read must end before ``items`` is closed (a generator running on
        # another thread cannot be closed).
        with contextlib.suppress(Exception):  # the caller has stopped reading: ignored
            pending.result()
        close = getattr(items, "close", None)
        if close is not None:
            close()
