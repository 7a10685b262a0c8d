"""pandera (polars backend) schemas generated from the package's Table Schemas, for the benchmark.

Only the benchmark uses them: they let pandera run the structural checks it can express on the
same CSV files as our validator, side by side. Per field: the type, required
(``nullable=False``), ``unique``,
``enum`` (``Check.isin``), ``pattern`` (``Check.str_matches``, anchored: a Table Schema pattern
matches the whole value) and ``minimum``/``maximum`` (``Check.in_range``/``ge``/``le``); per
table: the composite primary key (``unique=[...]``), no extra column (``strict``) and the
column order (``ordered``).

The types are checked by polars as it reads the CSV with the schema's dtypes (:func:`dtypes`): a
cell that does not fit stops the read with an error instead of being reported as a finding.
pandera cannot coerce text to dates here (its polars backend casts, and polars 2 removed the
string-to-date cast), and reading typed is how pandera is used with polars.

What pandera cannot express, and so is not part of the comparison: foreign keys (a check across
tables), the semantic rules (dates within their event, participants, EDTF...), the provenance of
spans against archived texts, the ``format: uri`` of ``sources.url``, the row-width and encoding
checks and frictionless's row numbering of findings.
"""

from __future__ import annotations

from typing import Any

import pandera.polars as pa
import polars as pl

from belarus_timeline.package import DataPackage, Field, TableSchema

DTYPES: dict[str, Any] = {
    "string": pl.Utf8,
    "integer": pl.Int64,
    "number": pl.Float64,
    "date": pl.Date,
    "boolean": pl.Boolean,
}


def _anchored(pattern: str) -> str:
    return pattern if pattern.startswith("^") and pattern.endswith("$") else f"^(?:{pattern})$"


def column_for(f: Field) -> pa.Column:
    """The pandera column of one Table Schema field."""
    checks: list[pa.Check] = []
    if f.enum is not None:
        checks.append(pa.Check.isin(list(f.enum)))
    if f.pattern:
        checks.append(pa.Check.str_matches(_anchored(f.pattern)))
    if f.minimum is not None and f.maximum is not None:
        checks.append(pa.Check.in_range(f.minimum, f.maximum))
    elif f.minimum is not None:
        checks.append(pa.Check.ge(f.minimum))
    elif f.maximum is not None:
        checks.append(pa.Check.le(f.maximum))
    return pa.Column(DTYPES[f.type], checks=checks, nullable=not f.required, unique=f.unique)


def schema_for(ts: TableSchema) -> pa.DataFrameSchema:
    """The pandera schema of one Table Schema."""
    composite = list(ts.primary_key) if len(ts.primary_key) > 1 else None
    return pa.DataFrameSchema(
        {f.name: column_for(f) for f in ts.fields},
        unique=composite,
        strict=True,
        ordered=True,
    )


def dtypes(ts: TableSchema) -> dict[str, Any]:
    """The polars dtype of every field, to read a CSV file with (``schema_overrides``)."""
    return {f.name: DTYPES[f.type] for f in ts.fields}


def schemas(pkg: DataPackage) -> dict[str, tuple[pa.DataFrameSchema, dict[str, Any]]]:
    """Per resource of the package, the pandera schema and the polars dtypes generated from its
    Table Schema."""
    return {
        name: (schema_for(pkg.schema(name)), dtypes(pkg.schema(name))) for name in pkg.table_names
    }
