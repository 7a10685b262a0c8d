"""Running the layers in order (independent checks side by side) into one report."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from functools import partial
from pathlib import Path

from belarus_timeline.errors import PackageError
from belarus_timeline.package import DataPackage
from belarus_timeline.validate.codes import Code, emits
from belarus_timeline.validate.columns import Table
from belarus_timeline.validate.descriptor import (
    check_declared_files,
    check_metadata,
    check_resources,
    load_tables,
)
from belarus_timeline.validate.graph import check_graph
from belarus_timeline.validate.provenance import check_provenance
from belarus_timeline.validate.release import check_parquet_twins
from belarus_timeline.validate.report import Collector, Finding, Report
from belarus_timeline.validate.semantic import check_semantic
from belarus_timeline.validate.statements import check_statements
from belarus_timeline.validate.structural import check_foreign_keys, check_table
from belarus_timeline.validate.text import check_text


@emits(Code.PACKAGE_ERROR)
def validate_package(
    root: Path | str,
    *,
    limit: int | None = 100,
    sources_root: Path | str | None = None,
    tables_out: dict[str, Table] | None = None,
) -> Report:
    """Validate the data package at ``root`` (a folder or its ``datapackage.json``).

    ``limit`` caps the findings listed per (file, field, check); the rest are counted in
    ``Report.truncated``. ``None`` lists them all. ``sources_root`` is the folder the sources'
    ``archive_path`` is relative to (default: the package itself). A release folder carries no
    archived texts: without ``sources_root`` its provenance layer is skipped (and the report
    says so), and each Parquet resource is checked to hold the same rows as its CSV twin.
    ``tables_out`` receives the tables read (by resource name), for a build to write them
    without reading the files again.
    """
    report = Report(str(root))
    out = Collector(report, limit)
    try:
        pkg = DataPackage(root)
    except PackageError as exc:
        out.add(
            Finding(
                "package",
                Code.PACKAGE_ERROR,
                "datapackage.json",
                message=str(exc),
                fix="Make the descriptor valid JSON with a 'resources' list.",
            )
        )
        return report
    report.root = str(pkg.root)
    # The descriptor and every schema first: only resources that pass are read.
    check_metadata(pkg, out)
    usable = check_resources(pkg, out)
    with ThreadPoolExecutor(_WORKERS) if _WORKERS > 1 else nullcontext() as pool:
        # Arrow and numpy release the GIL, so independent checks run side by side. Each job
        # fills a collector of its own; they are merged in the sequential order, so the report
        # is exactly what a single thread would give.
        changed = check_declared_files(pkg, usable, out, pool)
        tables = load_tables(pkg, usable, out, pool)
        if tables_out is not None:
            tables_out.update(tables)
        for t in tables.values():
            report.rows[t.name] = t.raw.num_rows
            if t.raw.numbers is not None:
                out.numbering[t.file] = t.raw.numbers
        files = [t.file for t in tables.values()]
        if len(set(files)) == len(files):  # findings of different tables never share a limit
            _run(pool, out, [partial(check_table, t, tables=tables) for t in tables.values()])
        else:
            for t in tables.values():
                check_table(t, out, tables)
        for t in tables.values():
            t.forget("matches")  # only check_table uses them
        jobs: list[Callable[[Collector], None]] = [
            partial(check_foreign_keys, tables),
            partial(check_semantic, tables),
            partial(check_statements, tables),
            partial(check_text, tables),
            partial(check_graph, tables),
        ]
        if sources_root is None and (pkg.root / "manifest.json").is_file():
            report.notes.append(
                "provenance checks skipped: a release does not carry the archived source "
                "texts; pass --sources <repository checkout> to check every span."
            )
        else:
            base = Path(sources_root).resolve() if sources_root is not None else pkg.root
            jobs.append(partial(check_provenance, pkg, tables, base))
        jobs.append(partial(check_parquet_twins, pkg, usable, tables, changed))
        _run(pool, out, jobs)
    return report


_WORKERS = max(1, min(4, os.cpu_count() or 1))


def _run(
    pool: ThreadPoolExecutor | None, out: Collector, jobs: list[Callable[[Collector], None]]
) -> None:
    """Run ``jobs`` in parallel (in turn without a pool), each with a collector of its own, and
    merge their findings in job order (different jobs never share a (file, field, code) limit)."""
    subs = [out.sub() for _ in jobs]
    if pool is None:
        for job, sub in zip(jobs, subs, strict=True):
            job(sub)
    else:
        for future in [pool.submit(job, sub) for job, sub in zip(jobs, subs, strict=True)]:
            future.result()
    for sub in subs:
        out.merge(sub)
