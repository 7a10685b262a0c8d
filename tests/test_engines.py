"""A release's Parquet files, read by other engines, give the same rows as our pandas loader.

Where users outgrow one machine, the release's Parquet files are what they take to a query or
distributed engine (README, "Scaling"). DuckDB and polars read each table of a tables-only
release of the repository's package; every value must equal what ``belarus_timeline.load``
gives, table by table (rows compared in primary-key order, as engines need not keep row order).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pytest

from belarus_timeline.load import load
from belarus_timeline.package import DataPackage
from belarus_timeline.release import build_release
from helpers import copy_package

Rows = list[tuple[Any, ...]]


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("engines")
    pkg = copy_package(tmp / "pkg")
    return build_release(pkg, tmp / "dist", registry=tmp / "reg", exports=False).path


def _tables(release: Path) -> list[str]:
    return sorted({r.descriptor.get("x-table", r.name) for r in DataPackage(release).resources})


def _py(v: Any) -> Any:
    """One cell as a plain Python value: None for every kind of missing, dates as dates."""
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, pd.Timestamp | dt.datetime):
        return v.date()
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def _sorted(rows: Rows, columns: list[str], key: tuple[str, ...]) -> Rows:
    at = [columns.index(k) for k in key]
    return sorted(rows, key=lambda r: tuple(str(r[i]) for i in at))


def _pandas(release: Path, table: str) -> tuple[list[str], Rows]:
    df = load(root=release)[table]
    rows = [tuple(_py(v) for v in row) for row in df.astype(object).itertuples(index=False)]
    return list(df.columns), rows


def _duckdb(path: Path) -> tuple[list[str], Rows]:
    with duckdb.connect() as con:
        rel = con.sql("SELECT * FROM read_parquet(?)", params=[str(path)])
        return list(rel.columns), [tuple(_py(v) for v in row) for row in rel.fetchall()]


def _polars(path: Path) -> tuple[list[str], Rows]:
    df = pl.read_parquet(path)
    return df.columns, [tuple(_py(v) for v in row) for row in df.rows()]


ENGINES: dict[str, Callable[[Path], tuple[list[str], Rows]]] = {
    "duckdb": _duckdb,
    "polars": _polars,
}


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_an_engine_reads_the_same_rows_as_pandas(release: Path, engine: str) -> None:
    pkg = DataPackage(release)
    tables = _tables(release)
    assert "events" in tables and len(tables) > 1
    kinds: set[type] = set()
    for table in tables:
        schema = pkg.schema(table)
        key = schema.primary_key or tuple(schema.field_names)
        columns, ours = _pandas(release, table)
        got_columns, theirs = ENGINES[engine](release / "parquet" / f"{table}.parquet")
        assert got_columns == columns == schema.field_names, table
        assert ours, f"{table}: no rows to compare"
        assert _sorted(theirs, columns, key) == _sorted(ours, columns, key), table
        kinds |= {type(v) for row in ours for v in row}
    # The comparison covers every kind of value the schemas use, and missing values.
    assert {str, int, float, dt.date, type(None)} <= kinds
