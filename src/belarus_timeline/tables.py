"""Reading the CSV tables: raw cells as strings, then typed by their Table Schema.

The validator and the loader both use these functions, so what validates is exactly what loads.
Everything is column-wise (pyarrow compute), never a Python loop per cell.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from belarus_timeline.csvbytes import as_strings, is_utf8, quotes_in
from belarus_timeline.errors import PackageError, UnknownTableError
from belarus_timeline.package import DataPackage, Field, TableSchema

ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "date": pa.date32(),
    "boolean": pa.bool_(),
}

# Cell syntax per type, checked before conversion (RE2 syntax, anchored).
_TYPE_PATTERNS = {
    "integer": r"^[+-]?[0-9]+$",
    "number": r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$",
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "boolean": r"^(true|false|True|False|TRUE|FALSE)$",
}
_URI = r"^[A-Za-z][A-Za-z0-9+.-]*://[^\s]+$"
_TRUE = pa.array(["true", "True", "TRUE"])


class EncodingProblem(Exception):
    """The file is not valid UTF-8; ``line`` and ``byte`` say where."""

    def __init__(self, byte: int, line: int, detail: str) -> None:
        super().__init__(detail)
        self.byte, self.line, self.detail = byte, line, detail


class CsvProblem(Exception):
    """The file is not CSV as written (e.g. a quoted cell is never closed and would swallow the
    rest of the file); ``line`` says where."""

    def __init__(self, line: int, detail: str, fix: str) -> None:
        super().__init__(detail)
        self.line, self.detail, self.fix = line, detail, fix


@dataclass
class RawTable:
    """A CSV file's header and cells, every cell a string ("" when empty).

    Rows of the wrong width and blank rows are set aside (not in ``table``); ``numbers`` then
    gives the row number of each row of ``table`` (None: no row was set aside, so row ``i`` of
    the table is row ``i + 2`` of the file)."""

    header: list[str]
    table: pa.Table
    # (row number as frictionless counts it, cells found, cells expected)
    bad_rows: list[tuple[int | None, int, int]] = field(default_factory=list)
    blank_rows: list[int] = field(default_factory=list)
    numbers: np.ndarray | None = None

    @property
    def num_rows(self) -> int:
        return int(self.table.num_rows)

    def row_number(self, i: int) -> int:
        """The file's row number (header = 1) of row ``i`` of the table."""
        return i + 2 if self.numbers is None else int(self.numbers[i])


def read_header(path: Path) -> list[str]:
    """The first record of a CSV file."""
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a multi-byte char cut at the buffer's end
            raise _encoding_problem(head, exc) from exc
        text = head[: exc.start].decode("utf-8")
    text = text.removeprefix("\ufeff")
    # newline="": CR, LF and CRLF all end the header line, as they end rows for the reader.
    try:
        return next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error as exc:
        raise CsvProblem(
            1, f"the header cannot be read ({exc})", "Write the header as one line of names."
        ) from None


def _encoding_problem(
    data: bytes, exc: UnicodeDecodeError, offset: int = 0, lines: int = 0
) -> EncodingProblem:
    """Where ``exc`` happened in ``data``, a block that starts ``offset`` bytes (``lines``
    line ends) into the file."""
    line = lines + data.count(b"\n", 0, exc.start) + 1
    at = offset + exc.start
    return EncodingProblem(at, line, f"byte 0x{data[exc.start]:02x} at offset {at}")


def column_names(header: list[str]) -> list[str]:
    """Unique column names for the reader: an empty or repeated header cell gets a name no
    schema field can have (the header itself is reported as it is)."""
    names: list[str] = []
    for i, h in enumerate(header):
        names.append(h if h and h not in names else f"\x00column{i + 1}")
    return names


def _prescan(path: Path) -> None:
    """Checks over the file's bytes before Arrow reads it: every byte must be UTF-8 (Arrow only
    checks the cells of rows it keeps) and double quotes must pair up (an unclosed quote would
    swallow every following line). Raises :class:`EncodingProblem` or :class:`CsvProblem`."""
    if path.stat().st_size == 0:
        return
    with pa.memory_map(str(path)) as mapped:
        data = mapped.read_buffer()  # no copy: the page cache, seen as one large string
        if not is_utf8(data):
            _raise_encoding_error(path)
        quotes = quotes_in(data)  # in the mapped pages: no copy
    if quotes % 2:
        _unclosed_quote(path)


def _raise_encoding_error(path: Path) -> None:
    """Raise :class:`EncodingProblem` saying where the file stops being UTF-8 (a broken file
    only: read again with Python's decoder, which says where)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = offset = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 24), b""):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                raise _encoding_problem(block, exc, offset, lines) from None
            lines += block.count(b"\n")
            offset += len(block)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise EncodingProblem(offset, lines + 1, "the file ends inside a character") from None


def _unclosed_quote(path: Path) -> NoReturn:
    data = path.read_bytes()  # only for a broken file: find the line the quote opens on
    inside, line, opened = False, 1, 1
    for m in re.finditer(rb'"|\r\n|\n|\r', data):
        if m.group() == b'"':
            inside = not inside
            opened = line if inside else opened
        elif not inside:
            line += 1
    raise CsvProblem(
        opened,
        f"a double quote on line {opened} is never closed: the reader would swallow every "
        "following line into one cell",
        f"Remove the stray '\"' on line {opened}, or close the quote (a cell holding a quote "
        "is written in quotes, with the quote doubled).",
    )


def blank_rows(table: pa.Table) -> np.ndarray:
    """Rows whose every cell is empty (a blank line, or only delimiters)."""
    blank = np.ones(table.num_rows, dtype=bool)
    for column in table.columns:
        lengths = [np.diff(_offsets(c)) for c in column.chunks] or [np.zeros(0, np.int32)]
        blank &= np.concatenate(lengths) == 0
    return blank


def _set_aside(raw: RawTable) -> RawTable:
    """Drop blank rows from the table and number the rows left (rows of the wrong width are
    already out of it)."""
    blank = blank_rows(raw.table) if raw.table.num_rows else np.zeros(0, dtype=bool)
    if not blank.any() and not raw.bad_rows:
        return raw
    total = raw.table.num_rows + len(raw.bad_rows)
    kept = np.ones(total, dtype=bool)
    kept[[n - 2 for n, _, _ in raw.bad_rows if n is not None]] = False
    numbers = np.flatnonzero(kept) + 2  # file row numbers of the table's rows
    raw.blank_rows = numbers[blank].tolist()
    raw.numbers = numbers[~blank]
    raw.table = raw.table.filter(pa.array(~blank)) if blank.any() else raw.table
    return raw


def read_raw(path: Path) -> RawTable:
    """Read a CSV file as strings, one column per header cell; rows of the wrong width are set
    aside in ``bad_rows``, blank rows in ``blank_rows``. Raises :class:`EncodingProblem` for
    bytes that are not UTF-8 and :class:`CsvProblem` for a quote that is never closed."""
    stamp = _stamp(path)
    _prescan(path)
    header = read_header(path)
    names = column_names(header)
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    if not head.strip():
        raise CsvProblem(1, "the file is empty, without even a header", "Restore the table.")
    if len(head) < 1 << 20 and b"\n" not in head and b"\r" not in head:
        # Only a header, without a line end after it: a table without rows (Arrow cannot skip
        # a header that does not end).
        empty = pa.table({n: pa.array([], pa.string()) for n in names})
        return RawTable(header, empty)
    # Arrow splits a file into blocks at line ends and parses them in parallel; when no cell
    # holds a line break that is exact and 2-3x faster than the quote-aware splitter. A cell
    # with a line break either shows up in the result or, when a block boundary falls inside
    # it, makes Arrow raise ("parser out of sync"): both re-read the file.
    newlines = False
    try:
        table, bad = _read_csv(path, names, newlines_in_values=False)
        if any_line_break(table):
            raise pa.ArrowInvalid("cells hold line breaks")
    except pa.ArrowInvalid:
        newlines = True
        table, bad = _read_csv(path, names, newlines_in_values=True)
    if any(number is None for number, _, _ in bad):
        # Parallel parsing does not know the numbers of the rows it sets aside; a broken file
        # is read again serially so that each finding names its row.
        table, bad = _read_csv(path, names, newlines_in_values=newlines, use_threads=False)
    if _stamp(path) != stamp:  # the cells read may not be the bytes the prescan checked
        _changed(path)
    return _set_aside(RawTable(header, table, bad))


def _read_csv(
    path: Path, names: list[str], *, newlines_in_values: bool, use_threads: bool = True
) -> tuple[pa.Table, list[tuple[int | None, int, int]]]:
    bad: list[tuple[int | None, int, int]] = []

    def on_invalid(row: Any) -> str:
        # Arrow numbers records from 1 counting the skipped header: frictionless's numbering.
        bad.append((row.number, row.actual_columns, row.expected_columns))
        return "skip"

    # The cells are read as binary: the prescan checked every byte of the file UTF-8 as one
    # run, many times faster than Arrow's reader checks a string column cell by cell.
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(
            column_names=names, skip_rows=1, block_size=1 << 24, use_threads=use_threads
        ),
        parse_options=pacsv.ParseOptions(
            newlines_in_values=newlines_in_values,
            invalid_row_handler=on_invalid,
            ignore_empty_lines=False,  # a blank line is a blank row (reported, as frictionless)
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.binary()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    return as_strings(table), bad


def _stamp(path: Path) -> tuple[int, int, int]:
    """What changes when a file is written: its size, modification time and inode."""
    st = path.stat()
    return st.st_size, st.st_mtime_ns, st.st_ino


def _changed(path: Path) -> NoReturn:
    """The file changed between the prescan and the reading of its cells."""
    _prescan(path)  # raises what is wrong with it now, if anything
    raise CsvProblem(
        1,
        "the file changed while it was read",
        "Validate it again once nothing is writing to it.",
    )


def any_line_break(table: pa.Table) -> bool:
    """Whether a cell of ``table`` holds a line break (CR or LF)."""
    for column in table.columns:
        for chunk in column.chunks:
            data = chunk.buffers()[2]
            if data is None:
                continue
            raw = np.frombuffer(data, dtype=np.uint8)
            if (raw == 10).any() or (raw == 13).any():
                return True
    return False


@dataclass
class TypedColumn:
    """A column converted to its schema type, with the rows whose cells did not convert."""

    values: pa.Array | pa.ChunkedArray  # nulls where the cell was empty or invalid
    missing: np.ndarray  # bool: cell is empty (a missing value)
    invalid: np.ndarray  # bool: cell is not empty and does not fit the type/format


def _to_numpy_bool(a: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(a, False).to_numpy(zero_copy_only=False), dtype=bool)


def cell_bytes(cells: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The bytes of a ``string`` or ``large_string`` array's cells, one after the other, and
    where each cell starts among them (``len + 1`` offsets, the first 0): for scanning every
    byte of a column at once (see :func:`mark_rows`)."""
    n = len(cells)
    if n == 0:
        return np.zeros(0, np.uint8), np.zeros(1, np.int64)
    wide = pa.types.is_large_string(cells.type)
    kind, width = (np.int64, 8) if wide else (np.int32, 4)
    offsets = np.frombuffer(cells.buffers()[1], kind, n + 1, width * cells.offset)
    first, size = int(offsets[0]), int(offsets[-1] - offsets[0])
    data = cells.buffers()[2]
    raw = np.frombuffer(data, np.uint8, size, first) if size else np.zeros(0, np.uint8)
    return raw, offsets - first


def mark_rows(rows: np.ndarray, offsets: np.ndarray, positions: np.ndarray) -> None:
    """Set ``rows`` (a bool per cell) where the cell holds one of the byte ``positions`` (of
    :func:`cell_bytes`, with its ``offsets``)."""
    if len(positions):
        rows[np.searchsorted(offsets, positions, side="right") - 1] = True


def _offsets(col: pa.Array) -> np.ndarray:
    """The int32 offsets of a ``string`` array (length + 1 entries)."""
    return np.frombuffer(
        col.buffers()[1], dtype=np.int32, count=len(col) + 1, offset=col.offset * 4
    )


def _with_validity(col: pa.Array, valid: np.ndarray) -> pa.Array:
    """``col`` with ``valid`` as its validity: nulls where False, the data buffers shared."""
    if col.offset != 0 or col.null_count:
        return pc.if_else(pa.array(valid), col, pa.scalar(None, col.type))
    bitmap = pa.array(valid, pa.bool_()).buffers()[1]
    return pa.Array.from_buffers(col.type, len(col), [bitmap, *col.buffers()[1:]])


def _dates(col: pa.Array, good: np.ndarray) -> pa.Array:
    """Cells of the form YYYY-MM-DD as date32, null unless they name a real day (year >= 1, as
    Python's ``date`` and so frictionless require; 2023-02-30 is not a day)."""
    n = len(col)
    rows = np.flatnonzero(good)
    # Each good cell is exactly 10 ASCII bytes: read the digits straight from the data buffer.
    data = np.frombuffer(col.buffers()[2], dtype=np.uint8) if len(rows) else np.zeros(0, np.uint8)
    at = _offsets(col)[:-1][rows]

    def number(first: int, count: int) -> np.ndarray:
        out = np.zeros(len(rows), dtype=np.int32)
        for k in range(first, first + count):
            out = out * 10 + (data[at + k].astype(np.int32) - ord("0"))
        return out

    year, month, day = number(0, 4), number(5, 2), number(8, 2)
    ok = (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1)
    first = ((year - 1970) * 12 + np.clip(month, 1, 12) - 1).astype("datetime64[M]")
    days_in_month = ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(
        np.int64
    )
    ok &= day <= days_in_month
    days = np.zeros(n, dtype="datetime64[D]")
    days[rows] = first.astype("datetime64[D]") + (day - 1).astype("timedelta64[D]")
    valid = np.zeros(n, dtype=bool)
    valid[rows] = ok
    return pa.array(days, type=pa.date32(), mask=~valid)


_INT64 = (-(2**63), 2**63 - 1)


def _fits_int64(col: pa.Array, good: np.ndarray) -> np.ndarray:
    """False for integer cells outside int64 (stored as such in Parquet); only well-formed cells
    of 19 or more characters, which are rare, are looked at one by one."""
    fits = np.ones(len(col), dtype=bool)
    for i in np.flatnonzero(good & (np.diff(_offsets(col)) >= 19)).tolist():
        fits[i] = _INT64[0] <= int(col[i].as_py()) <= _INT64[1]
    return fits


def _convert_chunk(col: pa.Array, f: Field) -> TypedColumn:
    if col.type != pa.string() or col.null_count:
        # Not the reader's plain strings (e.g. a caller's own array): the generic path.
        col = pc.fill_null(col.cast(pa.string()), "")
    missing = np.diff(_offsets(col)) == 0
    present = ~missing
    if f.type == "string":
        if f.format == "uri":
            invalid = present & ~_to_numpy_bool(pc.match_substring_regex(col, _URI))
        else:
            invalid = np.zeros(len(col), dtype=bool)
        return TypedColumn(_with_validity(col, present), missing, invalid)
    good = present & _to_numpy_bool(pc.match_substring_regex(col, _TYPE_PATTERNS[f.type]))
    values: pa.Array
    if f.type == "date":
        values = _dates(col, good)
    else:
        if f.type == "integer":
            good &= _fits_int64(col, good)
        cleaned = _with_validity(col, good)
        if f.type == "integer":
            values = pc.cast(cleaned, pa.int64(), safe=False)
        elif f.type == "number":
            # 1e999 parses as infinity, which no CSV cell can carry back: not a number here.
            values = pc.cast(cleaned, pa.float64())
            values = pc.if_else(pc.is_finite(values), values, pa.scalar(None, pa.float64()))
        elif f.type == "boolean":
            values = pc.if_else(
                pc.is_null(cleaned), pa.scalar(None, pa.bool_()), pc.is_in(cleaned, _TRUE)
            )
        else:  # pragma: no cover - schemas are checked to use known types
            raise ValueError(f"unsupported field type {f.type!r}")
    invalid = present & ~_to_numpy_bool(pc.is_valid(values))
    return TypedColumn(values, missing, invalid)


def convert(column: pa.ChunkedArray | pa.Array, f: Field) -> TypedColumn:
    """Convert string cells to ``f``'s type; an empty cell is a missing value.

    Works chunk by chunk, without copying the cells of text fields (their values share the
    CSV reader's buffers); ``values`` is chunked when ``column`` is."""
    if not isinstance(column, pa.ChunkedArray):
        return _convert_chunk(column, f)
    chunks = column.chunks or [pa.array([], pa.string())]
    parts = [_convert_chunk(c, f) for c in chunks]
    if len(parts) == 1:
        return parts[0]
    return TypedColumn(
        pa.chunked_array([p.values for p in parts], type=parts[0].values.type),
        np.concatenate([p.missing for p in parts]),
        np.concatenate([p.invalid for p in parts]),
    )


def typed_table(
    raw: RawTable, schema: TableSchema, converted: Mapping[str, TypedColumn] | None = None
) -> pa.Table:
    """The raw table's schema fields converted to their types (invalid cells become null).

    ``converted`` holds columns already converted by :func:`convert` (the validator's)."""
    arrays, names = [], []
    for f in schema.fields:
        if f.name in raw.table.column_names:
            done = converted.get(f.name) if converted is not None else None
            v = (done if done is not None else convert(raw.table.column(f.name), f)).values
            arrays.append(v if isinstance(v, pa.ChunkedArray) else pa.chunked_array([v]))
        else:
            arrays.append(pa.chunked_array([pa.nulls(raw.num_rows, ARROW_TYPES[f.type])]))
        names.append(f.name)
    return pa.Table.from_arrays(arrays, names=names)


def pandas_dtype(f: Field) -> Any:
    """The pandas dtype a field loads as: categoricals for controlled vocabularies, nullable
    integers, ``datetime64[ns]`` dates, ``string`` text."""
    if f.enum is not None and f.type == "string":
        return pd.CategoricalDtype(categories=list(f.enum), ordered=False)
    return {
        "string": pd.StringDtype(),
        "integer": pd.Int64Dtype(),
        "number": np.dtype("float64"),
        "date": np.dtype("datetime64[ns]"),
        "boolean": pd.BooleanDtype(),
    }[f.type]


def _int32(a: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(a.to_numpy(zero_copy_only=False), dtype=np.int32)


def _dictionary_codes(chunk: pa.DictionaryArray, vocabulary: pa.Array) -> np.ndarray:
    """Categorical codes (position in ``vocabulary``, -1 outside it or missing) of one chunk."""
    lookup = _int32(pc.fill_null(pc.index_in(chunk.dictionary, value_set=vocabulary), -1))
    indices = chunk.indices
    if len(lookup) == 0:
        return np.full(len(chunk), -1, dtype=np.int32)
    if indices.null_count == 0:
        gathered: np.ndarray = lookup[indices.to_numpy()]  # numpy gather, indices not copied
        return gathered
    codes: np.ndarray = lookup[np.asarray(pc.fill_null(indices, 0).to_numpy(), dtype=np.intp)]
    codes[~_to_numpy_bool(indices.is_valid())] = -1
    return codes


def to_pandas(table: pa.Table, schema: TableSchema) -> pd.DataFrame:
    """An Arrow table (CSV- or Parquet-sourced) as a DataFrame with the schema's dtypes."""
    columns: dict[str, pd.Series] = {}
    for f in schema.fields:
        col = table.column(f.name)
        dtype = pandas_dtype(f)
        if isinstance(dtype, pd.CategoricalDtype):
            # Codes by a hash look-up into the (small) vocabulary, not pandas' factorize of
            # every string; anything outside the vocabulary or missing becomes NaN, as astype.
            vocabulary = pa.array(list(dtype.categories))
            if pa.types.is_dictionary(col.type):
                # Parquet read with read_dictionary: look up the few distinct values only,
                # chunk by chunk (combining would unify the chunks' dictionaries: a copy).
                codes = np.concatenate(
                    [_dictionary_codes(c, vocabulary) for c in col.chunks]
                    or [np.empty(0, np.int32)]
                )
            else:
                codes = _int32(pc.fill_null(pc.index_in(col, value_set=vocabulary), -1))
            # Codes are -1 or a position in the vocabulary by construction: not checked again.
            s = pd.Series(pd.Categorical.from_codes(codes, dtype=dtype, validate=False))
        elif f.type == "date":
            s = pd.Series(col.to_pandas(date_as_object=False)).astype(dtype)
        elif f.type == "integer":
            s = pd.Series(col.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get))
        elif f.type == "string":
            # Straight to Arrow-backed strings: no detour through Python str objects.
            s = pd.Series(dtype.__from_arrow__(col))
        else:
            s = pd.Series(col.to_pandas()).astype(dtype)
        columns[f.name] = s
    # Every column already has a fresh 0..n-1 index: no copy, no re-indexing needed.
    return pd.DataFrame(columns, copy=False)


def unreadable(path: Path, exc: EncodingProblem | CsvProblem) -> PackageError:
    """The error for a table file that is not UTF-8 or not CSV where it is read to be loaded
    or written, not validated (e.g. written since it was validated)."""
    what = "not UTF-8" if isinstance(exc, EncodingProblem) else "not CSV as written"
    return PackageError(
        f"{path}: line {exc.line}: {what} ({exc.detail}); run `belarus-timeline validate`."
    )


def unknown_table(name: str, names: list[str]) -> UnknownTableError:
    """The error for a table name the package does not have, listing the valid names."""
    return UnknownTableError(f"No table named {name!r}. The tables are: {', '.join(names)}.")


def read_arrow(
    pkg: DataPackage, name: str, *, categorical: bool = False, columns: list[str] | None = None
) -> pa.Table:
    """One resource of a package (CSV or Parquet) as an Arrow table typed by its schema.

    With ``categorical``, Parquet vocabulary columns come dictionary-encoded (for pandas).
    ``columns``: only these fields (a Parquet file reads nothing else)."""
    if name not in pkg.table_names:
        raise unknown_table(name, pkg.table_names)
    schema = pkg.schema(name)
    path = pkg.path_of(pkg.resource(name).path)
    if path.suffix == ".parquet" and columns is not None:
        return pq.read_table(path, columns=columns)
    if path.suffix == ".parquet":
        if not categorical:
            return pq.read_table(path, columns=schema.field_names)
        # Controlled vocabularies dictionary-encoded on read: categoricals for the price of
        # looking up their few distinct values.
        vocabularies = [f.name for f in schema.fields if f.enum is not None and f.type == "string"]
        return pq.read_table(path, columns=schema.field_names, read_dictionary=vocabularies)
    try:
        raw = read_raw(path)
    except (EncodingProblem, CsvProblem) as exc:
        raise unreadable(path, exc) from None
    if raw.bad_rows:
        raise PackageError(f"{path}: rows of the wrong width; run `belarus-timeline validate`.")
    table = typed_table(raw, schema)
    return table if columns is None else table.select(columns)


def table_names(pkg: DataPackage) -> dict[str, str]:
    """Table name -> resource name. A release lists each table twice (``events`` as CSV and
    ``events-parquet``); Parquet is preferred as it is faster to read and already typed."""
    out: dict[str, str] = {}
    for r in pkg.resources:
        table = r.descriptor.get("x-table", r.name)
        table = table if isinstance(table, str) else r.name
        if table not in out or r.path.endswith(".parquet"):
            out[table] = r.name
    return out
