"""A release's table files: each table in the project's row order, as canonical CSV and as
Parquet, with its schema; the sha256 of each file taken as it is written.

The work is cut into jobs run by a thread per core (pyarrow and zlib release the GIL): one job
sorts a table, then its CSV and its Parquet file are written by two jobs side by side. Tables
are taken largest first: the largest one (evidence) bounds the time, and taken last it ran
alone while the other cores idled. For the zip, each CSV's deflate stream is made as soon as
the CSV is written (:func:`belarus_timeline.files.deflate_file`), so that the zip's deflating,
most of its time, overlaps the writing of the other tables instead of following it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from belarus_timeline.canonical import sort_by_key, write_canonical
from belarus_timeline.files import deflate_file, json_bytes, sha256_file
from belarus_timeline.package import DataPackage
from belarus_timeline.tables import read_arrow, table_names, typed_table
from belarus_timeline.tablespill import ParquetGroups, write_spilled
from belarus_timeline.validate.columns import Table

__all__ = ["SPILL_MIN_BYTES", "Deflate", "Written", "csv_bytes", "typed", "write_tables"]

# A table's CSV above this size, when the validator did not keep the table, is written from its
# file in batches, its rows put in order on disk (:mod:`tablespill`): memory for a batch and a
# row group instead of the whole table (evidence at 10M events is 5 GB of CSV).
SPILL_MIN_BYTES = 256 * 1024**2


@dataclass(frozen=True)
class Written:
    """One table as written: its name, resource, rows and content hash."""

    name: str
    resource: str
    rows: int
    content_sha256: str


@dataclass(frozen=True)
class Deflate:
    """Where the CSV files' deflate streams go (``folder``), at which zlib ``level``; the
    streams made are recorded in ``made`` (member path in the release -> stream file)."""

    folder: Path
    level: int
    made: dict[str, Path]


@dataclass(frozen=True)
class _Job:
    pkg: DataPackage
    out: Path
    parquet_options: dict[str, Any]
    known: dict[str, str]
    deflate: Deflate | None


def write_tables(
    pkg: DataPackage,
    out: Path,
    kept: dict[str, Table],
    parquet_options: dict[str, Any],
    known: dict[str, str],
    deflate: Deflate | None = None,
    progress: Callable[[], object] = lambda: None,
) -> list[Written]:
    """Write every table of ``pkg`` into ``out`` (``data/<name>.csv``, ``parquet/<name>.parquet``,
    ``schema/<name>.json``); returns them in table order. ``kept`` holds the tables the
    validator read (each popped as it is used); the sha256 of the CSV and Parquet files go to
    ``known`` (by path in ``out``); with ``deflate``, each CSV's deflate stream is made too.
    ``progress`` is called as each table is done."""
    job = _Job(pkg, out, parquet_options, known, deflate)
    names = table_names(pkg)
    largest = sorted(names.items(), key=lambda item: -_size(pkg, item[1]))
    pool = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1))

    def start(i: int) -> Future[pa.Table] | None:
        """The job that puts table ``i`` in order (None: it is written from disk)."""
        if i >= len(largest) or _spilled(job, largest[i][1], kept):
            return None
        return pool.submit(_ordered, job, *largest[i], kept)

    try:
        files: dict[str, tuple[Future[tuple[int, str]], Future[None] | None]] = {}
        ordered = start(0)
        for i, (name, res) in enumerate(largest):
            if ordered is None:
                files[name] = (pool.submit(_spill, job, name, res), None)
            else:
                table = ordered.result()
                files[name] = (
                    pool.submit(_csv, job, name, table),
                    pool.submit(_parquet, job, name, table),
                )
                del table  # freed once both files are written
            # The next table is put in order once a thread is free: ordered tables do not pile
            # up beside the validator's (memory), and the threads always have work queued.
            ordered = start(i + 1)
        done = []
        for name, res in names.items():
            written, parquet = files[name]
            rows, content = written.result()
            if parquet is not None:
                parquet.result()
            done.append(Written(name, res, rows, content))
            progress()
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return done


def csv_bytes(pkg: DataPackage) -> int:
    """The size of the package's table files, in bytes."""
    return sum(_size(pkg, res) for res in table_names(pkg).values())


def _size(pkg: DataPackage, res_name: str) -> int:
    path = pkg.path_of(pkg.resource(res_name).path)
    return path.stat().st_size if path.is_file() else 0


def _ordered(job: _Job, name: str, res_name: str, kept: dict[str, Table]) -> pa.Table:
    """The typed table in primary-key order, its schema written beside it."""
    schema = job.pkg.schema(res_name)
    (job.out / "schema" / f"{name}.json").write_bytes(json_bytes(schema.descriptor))
    return sort_by_key(typed(job.pkg, res_name, kept), schema)


def _spilled(job: _Job, res_name: str, kept: dict[str, Table]) -> bool:
    """Whether the table is written from its file in batches (:mod:`tablespill`): a CSV file
    above ``SPILL_MIN_BYTES`` that the validator did not keep."""
    path = job.pkg.resource(res_name).path
    return (
        res_name not in kept
        and not path.endswith(".parquet")
        and _size(job.pkg, res_name) > SPILL_MIN_BYTES
    )


def _spill(job: _Job, name: str, res_name: str) -> tuple[int, str]:
    """Write the table from its file in batches (memory for a batch and a row group); returns
    (rows, content hash)."""
    schema = job.pkg.schema(res_name)
    (job.out / "schema" / f"{name}.json").write_bytes(json_bytes(schema.descriptor))
    csv_path, parquet_path = f"data/{name}.csv", f"parquet/{name}.parquet"
    rows, content, job.known[csv_path] = write_spilled(
        job.pkg.path_of(job.pkg.resource(res_name).path),
        schema,
        job.out / csv_path,
        job.out / parquet_path,
        job.parquet_options,
    )
    job.known[parquet_path] = sha256_file(job.out / parquet_path)
    _deflate(job, name)
    return rows, content


def _csv(job: _Job, name: str, table: pa.Table) -> tuple[int, str]:
    """Write the canonical CSV, then its deflate stream; returns (rows, content hash)."""
    path = f"data/{name}.csv"
    content, job.known[path] = write_canonical(table, job.out / path)
    _deflate(job, name)
    return table.num_rows, content


def _deflate(job: _Job, name: str) -> None:
    """The CSV file's deflate stream for the zip, made as soon as the file is written."""
    if job.deflate is not None:
        path = f"data/{name}.csv"
        into = job.deflate.folder / f"{name}.csv.deflate"
        job.deflate.made[path] = deflate_file(job.out / path, into, job.deflate.level)


def _parquet(job: _Job, name: str, table: pa.Table) -> None:
    path = f"parquet/{name}.parquet"
    # Row group by row group, as a table written from disk is: the same bytes either way.
    groups = ParquetGroups(job.out / path, table.schema, job.parquet_options)
    groups.write(table)
    groups.close()
    job.known[path] = sha256_file(job.out / path)


def typed(pkg: DataPackage, res_name: str, kept: dict[str, Table], *, pop: bool = True) -> pa.Table:
    """The typed table of resource ``res_name``: from the validator's cells and conversions
    when it read this CSV file with this schema (the same :func:`typed_table` of the same
    file), else read (:func:`read_arrow`). With ``pop``, the validator's table is let go."""
    t = kept.pop(res_name, None) if pop else kept.get(res_name)
    schema = pkg.schema(res_name)
    if t is None or t.raw.bad_rows or t.file != pkg.resource(res_name).path or t.schema != schema:
        return read_arrow(pkg, res_name)  # (which refuses rows of the wrong width)
    return typed_table(t.raw, schema, t.typed)
