"""Reading the CSV tables: raw cells as strings, then typed by their Table Schema.

The validator and the loader both use these functions, so what validates is exactly what loads.
Everything is column-wise (pyarrow compute), never a Python loop per cell.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from belarus_timeline.package import Field, TableSchema

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


@dataclass
class RawTable:
    """A CSV file's header and cells, every cell a string ("" when empty)."""

    header: list[str]
    table: pa.Table
    # (row number as frictionless counts it, cells found, cells expected)
    bad_rows: list[tuple[int | None, int, int]] = field(default_factory=list)

    @property
    def num_rows(self) -> int:
        return int(self.table.num_rows)


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
    return next(csv.reader(io.StringIO(text)), [])


def _encoding_problem(data: bytes, exc: UnicodeDecodeError) -> EncodingProblem:
    line = data.count(b"\n", 0, exc.start) + 1
    return EncodingProblem(exc.start, line, f"byte 0x{data[exc.start]:02x} at offset {exc.start}")


def read_raw(path: Path) -> RawTable:
    """Read a CSV file as strings, one column per header cell; rows of the wrong width are set
    aside in ``bad_rows``. Raises :class:`EncodingProblem` for bytes that are not UTF-8."""
    header = read_header(path)
    bad: list[tuple[int | None, int, int]] = []

    def on_invalid(row: Any) -> str:
        number = row.number + 1 if row.number is not None else None  # header is row 1
        bad.append((number, row.actual_columns, row.expected_columns))
        return "skip"

    names = [h if h else f"_column{i + 1}" for i, h in enumerate(header)]
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=True, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) or "utf8" in str(exc).lower():
            data = path.read_bytes()
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as uexc:
                raise _encoding_problem(data, uexc) from exc
        raise
    return RawTable(header, table, bad)


@dataclass
class TypedColumn:
    """A column converted to its schema type, with the rows whose cells did not convert."""

    values: pa.Array  # nulls where the cell was empty or invalid
    missing: np.ndarray  # bool: cell is empty (a missing value)
    invalid: np.ndarray  # bool: cell is not empty and does not fit the type/format


def _to_numpy_bool(a: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(a, False).to_numpy(zero_copy_only=False), dtype=bool)


def convert(column: pa.ChunkedArray | pa.Array, f: Field) -> TypedColumn:
    """Convert string cells to ``f``'s type; an empty cell is a missing value."""
    col = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    missing_a = pc.equal(col, "")
    missing = _to_numpy_bool(missing_a)
    present = pc.invert(missing_a)
    if f.type == "string":
        ok = pc.match_substring_regex(col, _URI) if f.format == "uri" else None
        invalid = (
            _to_numpy_bool(pc.and_(present, pc.invert(ok)))
            if ok is not None
            else ~np.ones_like(missing)
        )
        values = pc.if_else(missing_a, pa.scalar(None, pa.string()), col)
        return TypedColumn(values, missing, invalid)
    syntax_ok = pc.match_substring_regex(col, _TYPE_PATTERNS[f.type])
    good = pc.and_(present, syntax_ok)
    cleaned = pc.if_else(good, col, pa.scalar(None, pa.string()))
    if f.type == "integer":
        values = pc.cast(cleaned, pa.int64(), safe=False)
    elif f.type == "number":
        values = pc.cast(cleaned, pa.float64())
    elif f.type == "boolean":
        values = pc.if_else(
            pc.is_null(cleaned), pa.scalar(None, pa.bool_()), pc.is_in(cleaned, _TRUE)
        )
    elif f.type == "date":
        ts = pc.strptime(cleaned, format="%Y-%m-%d", unit="s", error_is_null=True)
        # strptime rolls 2023-02-30 over into March: a date is valid only if it prints back.
        same = pc.equal(pc.strftime(ts, format="%Y-%m-%d"), cleaned)
        ts = pc.if_else(same, ts, pa.scalar(None, ts.type))
        values = pc.cast(ts, pa.date32())
    else:  # pragma: no cover - schemas are checked to use known types
        raise ValueError(f"unsupported field type {f.type!r}")
    invalid = _to_numpy_bool(present) & ~_to_numpy_bool(pc.is_valid(values))
    return TypedColumn(values, missing, invalid)


def typed_table(raw: RawTable, schema: TableSchema) -> pa.Table:
    """The raw table's schema fields converted to their types (invalid cells become null)."""
    arrays, names = [], []
    for f in schema.fields:
        if f.name in raw.table.column_names:
            arrays.append(convert(raw.table.column(f.name), f).values)
        else:
            arrays.append(pa.nulls(raw.num_rows, ARROW_TYPES[f.type]))
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


def to_pandas(table: pa.Table, schema: TableSchema) -> pd.DataFrame:
    """An Arrow table (CSV- or Parquet-sourced) as a DataFrame with the schema's dtypes."""
    columns: dict[str, pd.Series] = {}
    for f in schema.fields:
        col = table.column(f.name)
        dtype = pandas_dtype(f)
        if f.type == "date":
            s = pd.Series(col.to_pandas(date_as_object=False)).astype(dtype)
        elif f.type == "integer":
            s = pd.Series(col.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get))
        else:
            s = pd.Series(col.to_pandas()).astype(dtype)
        columns[f.name] = s.rename(f.name)
    return pd.DataFrame(columns).reset_index(drop=True)
