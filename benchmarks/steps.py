"""The benchmark's in-process steps, one per sub-command, each run in a process of its own by
``benchmarks/run.py`` (under the memory guard of ``benchmarks/measure.py``).

    python benchmarks/steps.py read-floor ROOT
    python benchmarks/steps.py build-floor ROOT OUT PARQUET_OPTIONS_JSON
    python benchmarks/steps.py structural ROOT          # our validator's per-table checks
    python benchmarks/steps.py pandera ROOT             # pandera (polars) on the same checks
    python benchmarks/steps.py load RELEASE REPEAT      # belarus_timeline.load.load
    python benchmarks/steps.py raw RELEASE REPEAT       # pq.read_table(...).to_pandas()
    python benchmarks/steps.py profile-validate ROOT OUT_TXT
    python benchmarks/steps.py profile-build ROOT DIST OUT_TXT [--exports]
    python benchmarks/steps.py profile-load RELEASE OUT_TXT

Each prints one JSON line: ``inner_seconds`` (timed inside the process, after its imports),
``rows`` and what the step found. Each step imports only what it uses, inside its function: the
floors must not pay for importing pandas, pandera or belarus_timeline, which the process's wall
time (also measured) would otherwise include.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

# Table Schema type -> Arrow type, as the release writes them (belarus_timeline.tables).
ARROW = {"string": "string", "integer": "int64", "number": "float64", "date": "date32"}


def _csv_resources(root: Path) -> list[dict[str, Any]]:
    """The CSV resources of the descriptor, read as plain JSON (no belarus_timeline import)."""
    d = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    return [r for r in d["resources"] if str(r.get("path", "")).endswith(".csv")]


def _schema(root: Path, r: dict[str, Any]) -> dict[str, Any]:
    s = r["schema"]
    return s if isinstance(s, dict) else json.loads((root / s).read_text(encoding="utf-8"))


def read_floor(root: Path) -> dict[str, Any]:
    """The floor of reading: ``pyarrow.csv.read_csv`` of every table (default options; the
    files read side by side in threads, as our validator reads them)."""
    import pyarrow.csv as pacsv

    t0 = time.perf_counter()
    paths = [root / r["path"] for r in _csv_resources(root)]
    with ThreadPoolExecutor(os.cpu_count()) as pool:
        rows = sum(t.num_rows for t in pool.map(pacsv.read_csv, paths))
    return {"inner_seconds": time.perf_counter() - t0, "rows": rows}


def build_floor(root: Path, out: Path, options: dict[str, Any]) -> dict[str, Any]:
    """The floor of a tables-only build in plain pyarrow: each CSV read with its schema's types,
    written as Parquet (the release's options) and as CSV, and both files hashed (sha256)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    def one(r: dict[str, Any]) -> int:
        fields = _schema(root, r)["fields"]
        types = {f["name"]: pa.type_for_alias(ARROW[f.get("type", "string")]) for f in fields}
        table = pacsv.read_csv(
            root / r["path"], convert_options=pacsv.ConvertOptions(column_types=types)
        )
        pq.write_table(table, out / f"{r['name']}.parquet", **options)
        pacsv.write_csv(table, out / f"{r['name']}.csv")
        for suffix in (".parquet", ".csv"):
            with (out / f"{r['name']}{suffix}").open("rb") as fh:
                hashlib.file_digest(fh, "sha256")
        return int(table.num_rows)

    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(os.cpu_count()) as pool:
        rows = sum(pool.map(one, _csv_resources(root)))
    return {"inner_seconds": time.perf_counter() - t0, "rows": rows}


def structural(root: Path) -> dict[str, Any]:
    """Our validator's per-table structural checks (header, row widths, types, required,
    unique, enum, pattern, ranges, primary key): what pandera can express. Run as the validator
    runs them: files read and tables checked side by side in threads."""
    from belarus_timeline.package import DataPackage
    from belarus_timeline.validate import runner
    from belarus_timeline.validate.descriptor import check_resources, load_tables
    from belarus_timeline.validate.report import Collector, Report
    from belarus_timeline.validate.structural import check_table

    t0 = time.perf_counter()
    pkg = DataPackage(root)
    out = Collector(Report(str(root)), 100)
    usable = check_resources(pkg, out)  # the descriptor and schemas, as the validator reads them
    with ThreadPoolExecutor(getattr(runner, "_WORKERS", os.cpu_count())) as pool:
        tables = load_tables(pkg, usable, out, pool)
        subs = [Collector(Report(str(root)), 100) for _ in tables]
        jobs = [pool.submit(check_table, t, s) for t, s in zip(tables.values(), subs, strict=True)]
        for job in jobs:
            job.result()
    for s in subs:
        out.merge(s)
    seconds = time.perf_counter() - t0
    findings = len(out.report.findings) + sum(out.report.truncated.values())
    rows = sum(t.raw.num_rows for t in tables.values())
    return {"inner_seconds": seconds, "rows": rows, "findings": findings}


def pandera_polars(root: Path) -> dict[str, Any]:
    """pandera (polars backend), with schemas generated from our Table Schemas, on the same CSV
    files read by polars with the schemas' dtypes (see benchmarks/pandera_schema.py)."""
    import pandera.errors
    import polars as pl

    from belarus_timeline.package import DataPackage
    from pandera_schema import schemas  # benchmarks/ is this script's sys.path[0]

    t0 = time.perf_counter()
    pkg = DataPackage(root)
    rows = failures = 0
    for name, (schema, dtypes) in schemas(pkg).items():
        try:
            df = pl.read_csv(pkg.path_of(pkg.resource(name).path), schema_overrides=dtypes)
        except pl.exceptions.PolarsError:  # a cell that does not fit its type stops the read
            failures += 1
            continue
        rows += df.height
        try:
            schema.validate(df, lazy=True)
        except pandera.errors.SchemaErrors as exc:
            failures += exc.failure_cases.height
    return {"inner_seconds": time.perf_counter() - t0, "rows": rows, "findings": failures}


def _best_of(repeat: int, run: Callable[[], int]) -> dict[str, Any]:
    best, rows = float("inf"), 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        rows = run()
        best = min(best, time.perf_counter() - t0)
    return {"inner_seconds": best, "rows": rows, "repeat": repeat}


def load(release: Path, repeat: int) -> dict[str, Any]:
    """``belarus_timeline.load.load(root=release)``: every table with the schema's dtypes."""
    from belarus_timeline.load import load as bt_load

    return _best_of(repeat, lambda: sum(len(df) for df in bt_load(root=release).values()))


def raw(release: Path, repeat: int) -> dict[str, Any]:
    """The same Parquet files straight into pandas: ``pq.read_table(path).to_pandas()``."""
    import pandas  # noqa: F401  (imported before the clock starts, as the loader's is)
    import pyarrow.parquet as pq

    files = sorted((release / "parquet").glob("*.parquet"))
    return _best_of(repeat, lambda: sum(len(pq.read_table(p).to_pandas()) for p in files))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    step, args = argv[0], argv[1:]
    if step.startswith("profile-"):
        from profiling import run_profile

        result = run_profile(step, args)
    elif step == "read-floor":
        result = read_floor(Path(args[0]))
    elif step == "build-floor":
        result = build_floor(Path(args[0]), Path(args[1]), json.loads(args[2]))
    elif step == "structural":
        result = structural(Path(args[0]))
    elif step == "pandera":
        result = pandera_polars(Path(args[0]))
    elif step in ("load", "raw"):
        result = (load if step == "load" else raw)(Path(args[0]), int(args[1]))
    else:
        raise SystemExit(f"unknown step {step!r}; see the docstring of {__file__}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
