"""Validation of the data package in three layers: structural, semantic and provenance.

- **structural**: what the Table Schemas say (types, required, unique, enum, pattern, ranges,
  primary and foreign keys) plus header and encoding problems, as ``frictionless validate``
  checks them;
- **semantic**: rules across fields and tables that a Table Schema cannot express;
- **provenance**: archived sources match their hashes, and every excerpt equals its span.

Every check runs over whole columns (pyarrow / numpy / pandas) so validation scales to millions
of rows; findings are built only for the rows that fail. Row numbers count like frictionless's:
the header is row 1, the first data row is row 2. Validation never writes to the package.
"""

from __future__ import annotations

import hashlib
import json
import os
import zoneinfo
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from belarus_timeline.errors import PackageError
from belarus_timeline.package import DataPackage, TableSchema, unsafe_path_reason
from belarus_timeline.tables import EncodingProblem, RawTable, convert, read_raw

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# Tables that hold source spans, and the column that must equal the span's text.
SPAN_TABLES = {
    "quotes": "text",
    "claims": "excerpt",
    "event_links": "excerpt",
    "evidence": "excerpt",
    "source_furniture": "excerpt",
}


@dataclass(frozen=True)
class Finding:
    """One problem, located precisely enough to fix it."""

    layer: str  # package | structural | semantic | provenance
    code: str  # e.g. type-error, foreign-key, end-before-start, excerpt-mismatch
    file: str  # path relative to the package root
    message: str
    fix: str
    row: int | None = None  # frictionless numbering: header = 1, first data row = 2
    field: str | None = None
    value: str | None = None

    def to_text(self) -> str:
        where = self.file + (f":{self.row}" if self.row is not None else "")
        what = f" field {self.field!r}" if self.field else ""
        value = f" value {_clip(self.value)!r}" if self.value is not None else ""
        return f"{where}:{what}{value}: {self.message} Fix: {self.fix}"


def _clip(value: str | None, n: int = 80) -> str | None:
    if value is None or len(value) <= n:
        return value
    return value[: n - 1] + "…"


@dataclass
class Report:
    """The result of validating a package."""

    root: str
    findings: list[Finding] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    truncated: dict[str, int] = field(default_factory=dict)  # check -> findings not listed
    notes: list[str] = field(default_factory=list)  # checks skipped, and why

    @property
    def valid(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "root": self.root,
            "error_count": len(self.findings) + sum(self.truncated.values()),
            "rows": self.rows,
            "errors": [asdict(f) for f in self.findings],
            "truncated": self.truncated,
            "notes": self.notes,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_text(self) -> str:
        total = sum(self.rows.values())
        notes = "".join(f"\nnote: {n}" for n in self.notes)
        if self.valid:
            layers = (
                "structural and semantic" if self.notes else "structural, semantic and provenance"
            )
            return (
                f"VALID: {self.root}\n"
                f"{len(self.rows)} tables, {total} rows; {layers} checks passed.{notes}"
            )
        lines = [f"INVALID: {self.root}"]
        for layer in ("package", "structural", "semantic", "provenance"):
            group = [f for f in self.findings if f.layer == layer]
            if group:
                lines.append(f"\n{layer} ({len(group)}):")
                lines.extend("  " + f.to_text() for f in group)
        for check, n in self.truncated.items():
            lines.append(f"  … and {n} more {check} findings not listed")
        count = len(self.findings) + sum(self.truncated.values())
        lines.append(f"\n{count} error(s).{notes}")
        return "\n".join(lines)


class _Collector:
    """Gathers findings, listing at most ``limit`` per (file, field, code)."""

    def __init__(self, report: Report, limit: int | None) -> None:
        self.report, self.limit = report, limit
        self.counts: dict[tuple[str, str | None, str], int] = {}

    def merge(self, other: _Collector) -> None:
        """Append the findings, truncation counts and limits of another collector."""
        self.report.findings.extend(other.report.findings)
        for k, v in other.report.truncated.items():
            self.report.truncated[k] = self.report.truncated.get(k, 0) + v
        for key, n in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + n

    def room(self, file: str, fld: str | None, code: str) -> int | None:
        if self.limit is None:
            return None
        return max(self.limit - self.counts.get((file, fld, code), 0), 0)

    def add(self, f: Finding) -> None:
        key = (f.file, f.field, f.code)
        n = self.counts.get(key, 0)
        self.counts[key] = n + 1
        if self.limit is not None and n >= self.limit:
            name = f"{f.file}:{f.field or '-'}:{f.code}"
            self.report.truncated[name] = self.report.truncated.get(name, 0) + 1
        else:
            self.report.findings.append(f)

    def rows(
        self,
        mask: np.ndarray,
        *,
        layer: str,
        code: str,
        file: str,
        fld: str | None,
        values: Any,
        message: str | Callable[[int], str],
        fix: str | Callable[[int], str],
    ) -> None:
        """Add one finding per True in ``mask`` (positions are 0-based data rows)."""
        idx = np.flatnonzero(mask)
        if not len(idx):
            return
        room = self.room(file, fld, code)
        listed = idx if room is None else idx[:room]
        # Values are fetched only for the rows listed, in one take: never a whole column.
        picked = _pick(values, listed)
        for i, v in zip(listed.tolist(), picked, strict=True):
            self.add(
                Finding(
                    layer,
                    code,
                    file,
                    message=message if isinstance(message, str) else message(i),
                    fix=fix if isinstance(fix, str) else fix(i),
                    row=i + 2,
                    field=fld,
                    value=None if v is None else str(v),
                )
            )
        rest = len(idx) - len(listed)
        if rest:
            name = f"{file}:{fld or '-'}:{code}"
            self.report.truncated[name] = self.report.truncated.get(name, 0) + rest
            self.counts[(file, fld, code)] = self.counts.get((file, fld, code), 0) + rest


def _pick(values: Any, rows: np.ndarray) -> list[Any]:
    """``values[rows]`` as Python objects, for an Arrow array, a numpy array or ``None``."""
    if values is None:
        return [None] * len(rows)
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return list(values.take(pa.array(rows, pa.int64())).to_pylist())
    return [values[i] for i in rows.tolist()]


def _at(values: pa.Array | pa.ChunkedArray, i: int) -> Any:
    """One cell as a Python object (for messages of failing rows only)."""
    return values[i].as_py()


@dataclass
class _Table:
    name: str
    file: str
    schema: TableSchema
    raw: RawTable

    @cached_property
    def typed(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self.schema.fields:
            if f.name in self.raw.table.column_names:
                out[f.name] = convert(self.col(f.name), f)
        return out

    def col(self, name: str) -> pa.ChunkedArray:
        """The raw cells of a column (strings, "" when empty), as the reader's chunks: every
        kernel used here takes chunked input, and combining would copy the whole column."""
        return self.raw.table.column(name)

    def strings(self, name: str) -> np.ndarray:
        """The raw cells as a numpy object array (for small tables and per-source loops)."""
        return np.asarray(self.col(name).to_numpy(zero_copy_only=False), dtype=object)

    def values(self, name: str) -> pa.Array:
        """The typed values of a column (null where the cell is empty or invalid)."""
        v: pa.Array = self.typed[name].values
        return v


def validate_package(
    root: Path | str, *, limit: int | None = 100, sources_root: Path | str | None = None
) -> Report:
    """Validate the data package at ``root`` (a folder or its ``datapackage.json``).

    ``limit`` caps the findings listed per (file, field, check); the rest are counted in
    ``Report.truncated``. ``None`` lists them all. ``sources_root`` is the folder the sources'
    ``archive_path`` is relative to (default: the package itself). A release folder carries no
    archived texts: without ``sources_root`` its provenance layer is skipped (and the report
    says so), and each Parquet resource is checked to hold the same rows as its CSV twin.
    """
    report = Report(str(root))
    out = _Collector(report, limit)
    try:
        pkg = DataPackage(root)
    except PackageError as exc:
        out.add(
            Finding(
                "package",
                "package-error",
                "datapackage.json",
                message=str(exc),
                fix="Make the descriptor valid JSON with a 'resources' list.",
            )
        )
        return report
    report.root = str(pkg.root)
    _metadata(pkg, out)
    with ThreadPoolExecutor(_WORKERS) if _WORKERS > 1 else nullcontext() as pool:
        # Arrow and numpy release the GIL, so independent checks run side by side. Each job
        # fills a collector of its own; they are merged in the sequential order, so the report
        # is exactly what a single thread would give.
        tables = _load_tables(pkg, out, pool)
        for t in tables.values():
            report.rows[t.name] = t.raw.num_rows
        files = [t.file for t in tables.values()]
        if len(set(files)) == len(files):  # findings of different tables never share a limit
            _run(pool, out, [partial(_structural, t) for t in tables.values()])
        else:
            for t in tables.values():
                _structural(t, out)
        jobs: list[Callable[[_Collector], None]] = [
            partial(_foreign_keys, tables),
            partial(_semantic, tables),
        ]
        if sources_root is None and (pkg.root / "manifest.json").is_file():
            report.notes.append(
                "provenance checks skipped: a release does not carry the archived source "
                "texts; pass --sources <repository checkout> to check every span."
            )
        else:
            base = Path(sources_root).resolve() if sources_root is not None else pkg.root
            jobs.append(partial(_provenance, pkg, tables, base))
        jobs.append(partial(_parquet_twins, pkg, tables))
        _run(pool, out, jobs)
    return report


_WORKERS = max(1, min(4, os.cpu_count() or 1))


def _run(
    pool: ThreadPoolExecutor | None, out: _Collector, jobs: list[Callable[[_Collector], None]]
) -> None:
    """Run ``jobs`` in parallel (in turn without a pool), each with a collector of its own, and
    merge their findings in job order (different jobs never share a (file, field, code) limit)."""
    subs = [_Collector(Report(out.report.root), out.limit) for _ in jobs]
    if pool is None:
        for job, sub in zip(jobs, subs, strict=True):
            job(sub)
    else:
        for future in [pool.submit(job, sub) for job, sub in zip(jobs, subs, strict=True)]:
            future.result()
    for sub in subs:
        out.merge(sub)


def _metadata(pkg: DataPackage, out: _Collector) -> None:
    from pydantic import ValidationError

    from belarus_timeline.models import PackageMetadata

    try:
        PackageMetadata.model_validate(pkg.descriptor)
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(x) for x in err["loc"])
            value = err.get("input")
            out.add(
                Finding(
                    "package",
                    "metadata-error",
                    "datapackage.json",
                    message=f"Package metadata {loc!r}: {err['msg']}.",
                    fix="Fill in the package metadata (name, title, description, SemVer "
                    "version, RFC 3339 created, keywords, licenses, contributors, "
                    "sources).",
                    field=loc,
                    value=value if isinstance(value, str) else None,
                )
            )


def _load_tables(
    pkg: DataPackage, out: _Collector, pool: ThreadPoolExecutor | None = None
) -> dict[str, _Table]:
    tables: dict[str, _Table] = {}
    seen: set[str] = set()
    try:
        resources = pkg.resources
    except PackageError as exc:
        out.add(
            Finding(
                "package",
                "package-error",
                "datapackage.json",
                message=str(exc),
                fix="Give every resource a 'name' and a 'path'.",
            )
        )
        return tables
    reads: dict[str, Future[RawTable]] = {}
    if pool is not None:
        # Start reading every file that can be read; the loop below reports in order.
        for r in resources:
            if _is_parquet(r.path):
                continue
            if unsafe_path_reason(r.path) is None and r.path not in reads:
                path = pkg.root / r.path
                if path.resolve().is_relative_to(pkg.root) and path.is_file():
                    reads[r.path] = pool.submit(read_raw, path)
    for r in resources:
        if r.name in seen:
            out.add(
                Finding(
                    "package",
                    "duplicate-resource",
                    "datapackage.json",
                    message=f"Two resources are named {r.name!r}.",
                    fix="Give each resource its own name.",
                    field="name",
                    value=r.name,
                )
            )
        seen.add(r.name)
        reason = unsafe_path_reason(r.path)
        if reason is None and not (pkg.root / r.path).resolve().is_relative_to(pkg.root):
            reason = "it resolves (through a link) outside the package"
        if reason is not None:
            out.add(
                Finding(
                    "package",
                    "unsafe-path",
                    "datapackage.json",
                    message=f"Resource {r.name!r} has path {r.path!r}, which is unsafe: {reason}.",
                    fix="Use a relative path inside the package, e.g. data/<table>.csv.",
                    field="path",
                    value=r.path,
                )
            )
            continue
        try:
            schema = pkg.schema(r.name)
        except PackageError as exc:
            out.add(
                Finding(
                    "package",
                    "schema-error",
                    "datapackage.json",
                    message=str(exc),
                    fix="Point 'schema' at a readable Table Schema inside the package.",
                    field="schema",
                )
            )
            continue
        path = pkg.root / r.path
        if _is_parquet(r.path) and path.is_file():
            continue  # checked against its CSV twin (_parquet_twins)
        if not path.is_file():
            out.add(
                Finding(
                    "package",
                    "missing-file",
                    r.path,
                    message=f"Resource {r.name!r}: the file {r.path} does not exist.",
                    fix="Restore the file or fix the resource's path.",
                )
            )
            continue
        try:
            raw = reads[r.path].result() if r.path in reads else read_raw(path)
        except EncodingProblem as exc:
            out.add(
                Finding(
                    "structural",
                    "encoding-error",
                    r.path,
                    message=f"The file is not valid UTF-8: {exc.detail}, on line {exc.line}.",
                    fix="Re-save the file as UTF-8 (without changing its text).",
                )
            )
            continue
        except (pa.ArrowInvalid, OSError) as exc:
            out.add(
                Finding(
                    "structural",
                    "source-error",
                    r.path,
                    message=f"The file cannot be read as CSV: {exc}.",
                    fix="Check quoting and delimiters.",
                )
            )
            continue
        tables[r.name] = _Table(r.name, r.path, schema, raw)
    return tables


def _structural(t: _Table, out: _Collector) -> None:
    names = t.schema.field_names
    header = t.raw.header
    explicit_unique = {
        d.get("name")
        for d in t.schema.descriptor.get("fields", [])
        if isinstance(d, dict) and isinstance(d.get("constraints"), dict)
        if d["constraints"].get("unique") is True
    }
    pk_codes = ["primary-key"]
    for i, h in enumerate(header):
        if h not in names:
            out.add(
                Finding(
                    "structural",
                    "extra-label",
                    t.file,
                    message=f"Column {i + 1} ({h!r}) is not in the table's schema.",
                    fix=f"Remove the column, or add it to the schema (fields: {names}).",
                    row=1,
                    field=h,
                    value=h,
                )
            )
    for f in t.schema.fields:
        if f.name not in header:
            out.add(
                Finding(
                    "structural",
                    "missing-label",
                    t.file,
                    message=f"Required column {f.name!r} is missing from the header.",
                    fix=f"Add the column {f.name!r} (header: {','.join(names)}).",
                    row=1,
                    field=f.name,
                )
            )
    # Out of order means the schema's columns appear in another order (extra or missing
    # columns are reported above, and do not make the rest out of order).
    if [h for h in header if h in names] != [n for n in names if n in header]:
        out.add(
            Finding(
                "structural",
                "label-order",
                t.file,
                message="Columns are not in the schema's order.",
                fix=f"Order the header as: {','.join(names)}.",
                row=1,
                value=",".join(header),
            )
        )
    for number, got, expected in t.raw.bad_rows:
        # One finding per missing or surplus cell, as frictionless reports them; missing
        # cells are the row's last columns. The row itself is set aside (its cells unchecked).
        missing = header[got:expected] if got < expected else [None] * (got - expected)
        for name in missing:
            out.add(
                Finding(
                    "structural",
                    "extra-cell" if got > expected else "missing-cell",
                    t.file,
                    message=f"The row has {got} cells where the header has {expected}.",
                    fix="Quote cells that contain commas; give every row one cell per column.",
                    row=number,
                    field=name,
                )
            )
    if t.raw.num_rows == 0 and not t.raw.bad_rows:
        out.add(
            Finding(
                "structural",
                "empty-table",
                t.file,
                message=f"Table {t.name!r} has no data rows; every table of the package must "
                "have at least one.",
                fix="Restore the table's rows (see the previous release).",
            )
        )
    for f in t.schema.fields:
        tc = t.typed.get(f.name)
        if tc is None:
            continue
        strings = t.col(f.name)
        # A field with a bad cell gets one finding per cell, as frictionless reports them.
        if f.required:
            out.rows(
                tc.missing,
                layer="structural",
                code="constraint-error",
                file=t.file,
                fld=f.name,
                values=strings,
                message=f"{f.name!r} is required but the cell is empty.",
                fix=f"Fill in {f.name!r}: {f.description}",
            )
        if tc.invalid.any():
            expect = {
                "date": "a real date as YYYY-MM-DD",
                "integer": "a whole number",
                "number": "a number",
                "boolean": "true or false",
                "string": "an absolute URI (scheme://…)",
            }[f.type]
            out.rows(
                tc.invalid,
                layer="structural",
                code="type-error",
                file=t.file,
                fld=f.name,
                values=strings,
                message=f"{f.name!r} must be {expect}.",
                fix=f"Write {expect}, or leave the cell empty if unknown.",
            )
        present = ~tc.missing & ~tc.invalid
        col = tc.values
        if f.enum is not None:
            bad = present & ~_np(pc.is_in(pc.cast(col, pa.string()), pa.array(list(f.enum))))
            out.rows(
                bad,
                layer="structural",
                code="constraint-error",
                file=t.file,
                fld=f.name,
                values=strings,
                message=f"{f.name!r} is not in its controlled vocabulary.",
                fix=f"Use one of: {', '.join(f.enum or ())}.",
            )
        if f.pattern is not None and f.type == "string":
            bad = present & ~_np(pc.match_substring_regex(col, _anchored(f.pattern)))
            out.rows(
                bad,
                layer="structural",
                code="constraint-error",
                file=t.file,
                fld=f.name,
                values=strings,
                message=f"{f.name!r} does not match the pattern {f.pattern}.",
                fix=f"Write it in the form the pattern requires ({f.description})",
            )
        for bound, op, word in (
            (f.minimum, pc.less, "at least"),
            (f.maximum, pc.greater, "at most"),
        ):
            if bound is not None and f.type in ("integer", "number"):
                bad = present & _np(op(col, pa.scalar(bound, col.type)))
                out.rows(
                    bad,
                    layer="structural",
                    code="constraint-error",
                    file=t.file,
                    fld=f.name,
                    values=strings,
                    message=f"{f.name!r} must be {word} {bound}.",
                    fix=f"Correct the value ({f.description})",
                )
        # Like frictionless, a field whose constraints say ``unique`` gets unique-errors even
        # when it is also the primary key (which then reports primary-key too); a key field
        # without the constraint gets primary-key only.
        if f.name in explicit_unique:
            if t.schema.primary_key == (f.name,) and not tc.invalid.any():
                pk_codes.insert(0, "unique-error")  # same rows: one pass for both
            else:
                _duplicates(t, [f.name], present, ["unique-error"], out)
    if t.schema.primary_key and all(k in t.typed for k in t.schema.primary_key):
        complete = np.ones(t.raw.num_rows, dtype=bool)
        for k in t.schema.primary_key:
            complete &= ~t.typed[k].missing
        _duplicates(t, list(t.schema.primary_key), complete, pk_codes, out)


def _np(a: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(a, False).to_numpy(zero_copy_only=False), dtype=bool)


def _anchored(pattern: str) -> str:
    # Table Schema patterns match the whole value.
    return pattern if pattern.startswith("^") and pattern.endswith("$") else f"^(?:{pattern})$"


def _key(t: _Table, fields: list[str]) -> pa.Array:
    """The raw cells of ``fields`` joined by a unit separator: one string per row."""
    cols = [t.col(f) for f in fields]
    return cols[0] if len(cols) == 1 else pc.binary_join_element_wise(*cols, "\x1f")


def _shown(key: pa.Array) -> pa.Array:
    return pc.replace_substring(key, "\x1f", ", ")


def _duplicates(
    t: _Table, fields: list[str], eligible: np.ndarray, codes_out: list[str], out: _Collector
) -> None:
    key = _key(t, fields)
    rows = np.flatnonzero(eligible)
    # Fast path: as many distinct keys as eligible rows means no duplicates.
    subset = key if len(rows) == len(key) else key.take(pa.array(rows))
    if len(pc.unique(subset)) == len(rows):
        return
    # Integer codes per distinct key; a row is a duplicate if an earlier eligible row has its code.
    enc = pc.dictionary_encode(key)
    chunks = enc.chunks if isinstance(enc, pa.ChunkedArray) else [enc]
    codes = np.concatenate(
        [np.zeros(0, np.int64)] + [c.indices.to_numpy(zero_copy_only=False) for c in chunks]
    )
    uniq, first_at = np.unique(codes[rows], return_index=True)
    if len(uniq) == len(rows):
        return
    dup = eligible.copy()
    dup[rows[first_at]] = False
    first = np.zeros(int(codes.max()) + 1 if len(codes) else 0, dtype=np.int64)
    first[uniq] = rows[first_at] + 2
    label = ", ".join(fields)
    shown = _shown(key)
    for code in codes_out:
        out.rows(
            dup,
            layer="structural",
            code=code,
            file=t.file,
            fld=fields[0] if len(fields) == 1 else label,
            values=shown,
            message=lambda i: f"({label}) repeats row {first[codes[i]]}; it must be unique.",
            fix=lambda i: "Give the row its own key, or delete the duplicate row.",
        )


def _foreign_keys(tables: dict[str, _Table], out: _Collector) -> None:
    for t in tables.values():
        for fk in t.schema.foreign_keys:
            target_name = fk.resource or t.name
            target = tables.get(target_name)
            if target is None or not all(f in t.typed for f in fk.fields):
                continue
            if not all(f in target.typed for f in fk.reference_fields):
                continue
            complete = np.ones(t.raw.num_rows, dtype=bool)
            for f in fk.fields:
                complete &= ~t.typed[f].missing
            local = _key(t, list(fk.fields))
            remote = _key(target, list(fk.reference_fields))
            bad = complete & ~_np(pc.is_in(local, value_set=remote))
            label = ", ".join(fk.fields)
            ref = f"{target_name}.{', '.join(fk.reference_fields)}"
            out.rows(
                bad,
                layer="structural",
                code="foreign-key",
                file=t.file,
                fld=fk.fields[0] if len(fk.fields) == 1 else label,
                values=_shown(local) if bad.any() else None,
                message=f"No row of {ref} has this value.",
                fix=f"Use an existing {ref} (see {target.file}), or add the row there first.",
            )


def _need(tables: dict[str, _Table], name: str, cols: list[str]) -> _Table | None:
    t = tables.get(name)
    if t is None or not all(c in t.typed for c in cols):
        return None
    return t


def _semantic(tables: dict[str, _Table], out: _Collector) -> None:
    for t in tables.values():
        _formula_cells(t, out)
    ev = _need(
        tables,
        "events",
        [
            "event_id",
            "start_date",
            "end_date",
            "date_precision",
            "edtf",
            "timezone",
            "date_basis",
            "date_expression",
        ],
    )
    if ev is not None:
        _event_dates(ev, out)
    _spans_ordered(tables, out)
    _within_event(tables, "quotes", "said_on", out)
    _within_event(tables, "claims", "stated_on", out)
    p = _need(tables, "participants", ["event_id", "actor_id"])
    if p is not None:
        # (event, actor) pairs of the participants, joined once for both checks.
        pairs = pc.binary_join_element_wise(p.col("event_id"), p.col("actor_id"), "\x1f")
        _is_participant(tables, "quotes", "speaker_id", p, pairs, out)
        _is_participant(tables, "claims", "claimant_id", p, pairs, out)
    pl = _need(tables, "places", ["latitude", "longitude", "coordinate_precision"])
    if pl is not None:
        _coordinates(pl, out)
    links = _need(tables, "event_links", ["from_event_id", "to_event_id"])
    if links is not None:
        a, b = links.col("from_event_id"), links.col("to_event_id")
        out.rows(
            _np(pc.and_(pc.equal(a, b), pc.not_equal(a, ""))),
            layer="semantic",
            code="self-link",
            file=links.file,
            fld="to_event_id",
            values=b,
            message=lambda i: "An event cannot be linked to itself.",
            fix=lambda i: "Point to_event_id at another event, or delete the row.",
        )
    evid = _need(tables, "evidence", ["event_id"])
    if ev is not None and evid is not None:
        ids = ev.col("event_id")
        without = ~_np(pc.is_in(ids, value_set=evid.col("event_id")))
        out.rows(
            without & _np(pc.not_equal(ids, "")),
            layer="semantic",
            code="no-evidence",
            file=ev.file,
            fld="event_id",
            values=ids,
            message=lambda i: (
                "The event has no evidence row: every event must be traced "
                "to the source text behind it."
            ),
            fix=lambda i: f"Add a row to {evid.file} with the span that supports the event.",
        )


# A cell a spreadsheet would run as a formula starts with one of these bytes (all ASCII, so the
# first byte of the UTF-8 cell decides).
_FORMULA_BYTES = np.frombuffer("".join(FORMULA_PREFIXES).encode("ascii"), dtype=np.uint8)
_FORMULA = "^[" + "".join("\\" + p if p in "-+" else p for p in FORMULA_PREFIXES) + "]"


def _starts_formula(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Rows whose cell starts with a formula prefix, read from the first byte of each cell."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    parts = [np.zeros(0, dtype=bool)]
    for ch in chunks:
        data = ch.buffers()[2] if ch.type == pa.string() and not ch.null_count else None
        if data is None or ch.offset:
            parts.append(_np(pc.match_substring_regex(ch, _FORMULA)) if len(ch) else parts[0])
            continue
        offs = np.frombuffer(ch.buffers()[1], dtype=np.int32, count=len(ch) + 1)
        nonempty = offs[1:] > offs[:-1]
        first = np.zeros(len(ch), dtype=np.uint8)
        first[nonempty] = np.frombuffer(data, dtype=np.uint8)[offs[:-1][nonempty]]
        parts.append(nonempty & np.isin(first, _FORMULA_BYTES))
    return np.concatenate(parts)


def _formula_cells(t: _Table, out: _Collector) -> None:
    for f in t.schema.fields:
        if f.type != "string" or f.name not in t.typed:
            continue
        col = t.col(f.name)
        out.rows(
            _starts_formula(col),
            layer="semantic",
            code="formula-injection",
            file=t.file,
            fld=f.name,
            values=col,
            message=lambda i: (
                "The text starts with a character a spreadsheet would run "
                "as a formula (= + - @ tab CR)."
            ),
            fix=lambda i: (
                "Reword the text so it does not start with that character "
                "(e.g. write 'minus 5' or put the sign later)."
            ),
        )


def _days(a: pa.Array) -> np.ndarray:
    """date32 values as numpy ``datetime64[D]`` (nulls become 1970-01-01: mask them)."""
    days = pc.fill_null(a.cast(pa.int32()), 0).to_numpy(zero_copy_only=False)
    return np.asarray(days, dtype="datetime64[D]")


def _event_dates(ev: _Table, out: _Collector) -> None:
    start_a, end_a = ev.values("start_date"), ev.values("end_date")
    start, end = _days(start_a), _days(end_a)
    prec_a, edtf_a = ev.col("date_precision"), ev.col("edtf")
    prec = np.asarray(prec_a.to_numpy(zero_copy_only=False), dtype=object)
    n = len(prec)
    both = _np(pc.and_(pc.is_valid(start_a), pc.is_valid(end_a)))
    before = both & (end < start)
    out.rows(
        before,
        layer="semantic",
        code="end-before-start",
        file=ev.file,
        fld="end_date",
        values=ev.col("end_date"),
        message=lambda i: f"end_date is before start_date ({_at(ev.col('start_date'), i)}).",
        fix=lambda i: "Swap the dates or correct the one that is wrong.",
    )
    ok = both & ~before
    # ISO text of the dates (valid dates print as YYYY-MM-DD, as the cells hold them).
    s_day = pc.cast(start_a, pa.string())
    e_day = pc.cast(end_a, pa.string())
    aligned = np.ones(n, dtype=bool)
    is_day, is_month, is_year = prec == "day", prec == "month", prec == "year"
    month = start.astype("datetime64[M]")
    m_start = month.astype("datetime64[D]") == start
    m_end = (end + 1).astype("datetime64[M]") != end.astype("datetime64[M]")
    y_start = start.astype("datetime64[Y]").astype("datetime64[D]") == start
    y_end = (end + 1).astype("datetime64[Y]") != end.astype("datetime64[Y]")
    aligned[is_month] = (m_start & m_end)[is_month]
    aligned[is_year] = (y_start & y_end)[is_year]
    # Expected EDTF: the dates cut to the precision, "start/end" when they differ.
    width = pa.array(np.where(is_year, 4, np.where(is_month, 7, 10)))
    cut_s = pc.utf8_slice_codeunits(s_day, 0, 10)
    cut_e = pc.utf8_slice_codeunits(e_day, 0, 10)
    for w in (7, 4):
        use = pc.equal(width, w)
        cut_s = pc.if_else(use, pc.utf8_slice_codeunits(s_day, 0, w), cut_s)
        cut_e = pc.if_else(use, pc.utf8_slice_codeunits(e_day, 0, w), cut_e)
    expected = pc.if_else(
        pc.equal(cut_s, cut_e), cut_s, pc.binary_join_element_wise(cut_s, cut_e, "/")
    )
    known_prec = is_day | is_month | is_year
    expected = pc.if_else(pa.array(ok & known_prec), expected, pa.scalar(None, pa.string()))
    misaligned = ok & ~aligned & (is_month | is_year)
    out.rows(
        misaligned,
        layer="semantic",
        code="precision-mismatch",
        file=ev.file,
        fld="date_precision",
        values=prec_a,
        message=lambda i: (
            f"With {prec[i]} precision the dates must span whole "
            f"{prec[i]}s, but they are {_at(s_day, i)}..{_at(e_day, i)}."
        ),
        fix=lambda i: (
            "Use the first and last day of the period, or set the precision "
            "to 'day'. Never put a midpoint in a date."
        ),
    )
    wrong = ok & aligned & _np(pc.is_valid(expected)) & _np(pc.not_equal(expected, edtf_a))
    out.rows(
        wrong,
        layer="semantic",
        code="edtf-mismatch",
        file=ev.file,
        fld="edtf",
        values=edtf_a,
        message=lambda i: (
            f"The EDTF does not agree with the dates and precision (expected {_at(expected, i)!r})."
        ),
        fix=lambda i: f"Set edtf to {_at(expected, i)!r}, or correct the dates.",
    )
    tz = ev.col("timezone")
    known = pa.array(sorted(_timezones()))
    bad_tz = _np(pc.and_(pc.not_equal(tz, ""), pc.invert(pc.is_in(tz, value_set=known))))
    out.rows(
        bad_tz,
        layer="semantic",
        code="unknown-timezone",
        file=ev.file,
        fld="timezone",
        values=tz,
        message=lambda i: "Not an IANA time zone name.",
        fix=lambda i: "Use a name from the IANA tz database, e.g. Europe/Minsk.",
    )
    basis, expr = ev.col("date_basis"), ev.col("date_expression")
    out.rows(
        _np(pc.and_(pc.equal(basis, "resolved"), pc.equal(expr, ""))),
        layer="semantic",
        code="resolved-without-expression",
        file=ev.file,
        fld="date_expression",
        values=expr,
        message=lambda i: (
            "The date is 'resolved' but the source's words it was resolved from are not given."
        ),
        fix=lambda i: "Quote the relative expression (e.g. 'on Thursday') and fill date_anchor.",
    )


_TZ: set[str] = set()


def _timezones() -> set[str]:
    if not _TZ:
        _TZ.update(zoneinfo.available_timezones())
    return _TZ


def _spans_ordered(tables: dict[str, _Table], out: _Collector) -> None:
    for name in SPAN_TABLES:
        t = _need(tables, name, ["char_start", "char_end"])
        if t is None:
            continue
        s, e = t.values("char_start"), t.values("char_end")
        out.rows(
            _np(pc.less_equal(e, s)),
            layer="semantic",
            code="empty-span",
            file=t.file,
            fld="char_end",
            values=t.col("char_end"),
            message="char_end must be greater than char_start.",
            fix="char_end is exclusive: char_start + the excerpt's length.",
        )


def _within_event(tables: dict[str, _Table], name: str, date_field: str, out: _Collector) -> None:
    t = _need(tables, name, ["event_id", date_field])
    ev = _need(tables, "events", ["event_id", "start_date", "end_date"])
    if t is None or ev is None:
        return
    ids = t.col("event_id")
    # Row of each id's event (the first, if an id repeats); null when there is none.
    at = pc.index_in(ids, value_set=ev.col("event_id"))
    start = pc.take(ev.values("start_date"), at)
    end = pc.take(ev.values("end_date"), at)
    when = t.values(date_field)
    bad = _np(pc.or_(pc.less(when, start), pc.greater(when, end)))
    out.rows(
        bad,
        layer="semantic",
        code="outside-event",
        file=t.file,
        fld=date_field,
        values=t.col(date_field),
        message=lambda i: (
            f"The date falls outside its event {_at(ids, i)!r} "
            f"({_at(start, i):%Y-%m-%d}..{_at(end, i):%Y-%m-%d})."
        ),
        fix=lambda i: "Correct the date, or attach the row to the event it belongs to.",
    )


def _is_participant(
    tables: dict[str, _Table],
    name: str,
    actor_field: str,
    p: _Table,
    pairs: pa.ChunkedArray,
    out: _Collector,
) -> None:
    t = _need(tables, name, ["event_id", actor_field])
    if t is None:
        return
    ev, actor = t.col("event_id"), t.col(actor_field)
    key = pc.binary_join_element_wise(ev, actor, "\x1f")
    bad = _np(
        pc.and_(
            pc.and_(pc.not_equal(actor, ""), pc.not_equal(ev, "")),
            pc.invert(pc.is_in(key, value_set=pairs)),
        )
    )
    out.rows(
        bad,
        layer="semantic",
        code="not-a-participant",
        file=t.file,
        fld=actor_field,
        values=actor,
        message=lambda i: f"{_at(actor, i)!r} is not a participant of event {_at(ev, i)!r}.",
        fix=lambda i: (
            f"Add ({_at(ev, i)}, {_at(actor, i)}, <role>) to {p.file}, or correct {actor_field}."
        ),
    )


def _coordinates(pl: _Table, out: _Collector) -> None:
    lat, lon = pl.typed["latitude"], pl.typed["longitude"]
    has_lat, has_lon = ~lat.missing, ~lon.missing
    out.rows(
        has_lat ^ has_lon,
        layer="semantic",
        code="half-coordinates",
        file=pl.file,
        fld="longitude" if has_lat.any() else "latitude",
        values=None,
        message=lambda i: "Only one of latitude and longitude is given.",
        fix=lambda i: "Give both coordinates or neither.",
    )
    prec = pl.col("coordinate_precision")
    out.rows(
        (has_lat & has_lon) == _np(pc.equal(prec, "none")),
        layer="semantic",
        code="coordinate-precision",
        file=pl.file,
        fld="coordinate_precision",
        values=prec,
        message=lambda i: (
            "coordinate_precision must be 'none' exactly when there are no coordinates."
        ),
        fix=lambda i: "Say what the point stands for (e.g. 'city'), or 'none'.",
    )


def _is_parquet(path: str) -> bool:
    return path.endswith(".parquet")


def _parquet_twins(pkg: DataPackage, tables: dict[str, _Table], out: _Collector) -> None:
    """A Parquet resource (in a release) must hold exactly the rows of its CSV twin: the
    CSV is what the checks above read, so equal content hashes carry them over."""
    import pyarrow.parquet as pq

    from belarus_timeline.canonical import content_hash, sort_by_key
    from belarus_timeline.tables import typed_table

    for r in pkg.resources:
        if not _is_parquet(r.path) or unsafe_path_reason(r.path) is not None:
            continue
        twin = tables.get(str(r.descriptor.get("x-table", "")))
        problem = None
        if twin is None:
            problem = "it has no CSV twin (x-table) to be checked against"
        else:
            try:
                schema = pkg.schema(r.name)
                data = pq.read_table(pkg.root / r.path, columns=schema.field_names)
                csv_data = sort_by_key(typed_table(twin.raw, twin.schema), twin.schema)
                if content_hash(sort_by_key(data, schema)) != content_hash(csv_data):
                    problem = f"its rows differ from those of {twin.file}"
            except (OSError, KeyError, pa.ArrowException, PackageError) as exc:
                problem = f"it cannot be read as Parquet with its schema ({exc})"
        if problem is not None:
            out.add(
                Finding(
                    "structural",
                    "parquet-mismatch",
                    r.path,
                    message=f"Parquet resource {r.name!r}: {problem}.",
                    fix="Rebuild the release with `belarus-timeline build`.",
                )
            )


def _provenance(pkg: DataPackage, tables: dict[str, _Table], base: Path, out: _Collector) -> None:
    src = _need(tables, "sources", ["source_id", "archive_path", "sha256"])
    if src is None:
        return
    texts: dict[str, str] = {}
    ids, paths, hashes = (
        src.strings("source_id"),
        src.strings("archive_path"),
        src.strings("sha256"),
    )
    for i, (sid, rel, expected) in enumerate(zip(ids, paths, hashes, strict=True)):
        # One iteration per source document, not per row of data.
        reason = unsafe_path_reason(rel)
        path = base / rel
        if reason is None and not path.resolve().is_relative_to(base):
            reason = "it resolves outside the package"
        if reason is not None:
            out.add(
                Finding(
                    "provenance",
                    "unsafe-path",
                    src.file,
                    message=f"The archive path is not safe: {reason}.",
                    fix="Store the text under sources/ and give its relative path.",
                    row=i + 2,
                    field="archive_path",
                    value=rel,
                )
            )
            continue
        if not path.is_file():
            out.add(
                Finding(
                    "provenance",
                    "missing-source-text",
                    src.file,
                    message=f"The archived text {rel} does not exist.",
                    fix="Restore the archived copy from version control.",
                    row=i + 2,
                    field="archive_path",
                    value=rel,
                )
            )
            continue
        data = path.read_bytes()
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected:
            out.add(
                Finding(
                    "provenance",
                    "hash-mismatch",
                    src.file,
                    message=f"The archived text {rel} has sha256 {actual}: it has changed since "
                    "it was recorded.",
                    fix="Restore the archived text from version control; if the new copy is "
                    "deliberate, re-check every span and then update sha256.",
                    row=i + 2,
                    field="sha256",
                    value=expected,
                )
            )
            continue
        try:
            texts[sid] = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            out.add(
                Finding(
                    "provenance",
                    "encoding-error",
                    rel,
                    message=f"The archived text is not UTF-8 ({exc}).",
                    fix="Re-archive it as UTF-8.",
                )
            )
    names = pa.array(list(texts), pa.string())
    furniture = _furniture(tables, names)
    for name, text_field in SPAN_TABLES.items():
        t = _need(tables, name, ["source_id", "char_start", "char_end", text_field])
        if t is not None:
            spans_of = furniture if name != "source_furniture" else None
            _check_spans(t, text_field, texts, names, spans_of, out)


@dataclass
class _Furniture:
    """Furniture spans sorted by (source, start), with a running maximum of their ends, so that
    "does [a, b) overlap any furniture of its source?" is one binary search per row."""

    key: np.ndarray  # source code * _BIG + shifted start, ascending
    code: np.ndarray  # source code of each span
    max_end: np.ndarray  # running max of source code * _BIG + shifted end


_BIG = 1 << 34  # > any shifted offset: keeps sources apart in one int64 key
_SHIFT = 1 << 32  # makes (clipped) negative offsets sort correctly


def _shifted(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.clip(x, -_SHIFT, _SHIFT - 1) + _SHIFT
    return out


def _ints(a: pa.Array) -> np.ndarray:
    """Integer values as int64, -1 where null (a null span is never checked)."""
    return np.asarray(pc.fill_null(a, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _source_codes(sid: pa.Array, names: pa.Array) -> np.ndarray:
    """Position of each row's source in ``names``; -1 for a source without a verified text."""
    at = pc.index_in(sid, value_set=names)
    return np.asarray(pc.fill_null(at, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _furniture(tables: dict[str, _Table], names: pa.Array) -> _Furniture | None:
    t = _need(tables, "source_furniture", ["source_id", "char_start", "char_end"])
    if t is None:
        return None
    code = _source_codes(t.col("source_id"), names)
    s, e = t.values("char_start"), t.values("char_end")
    keep = (code >= 0) & _np(pc.and_(pc.is_valid(s), pc.is_valid(e)))
    code, start, end = code[keep], _ints(s)[keep], _ints(e)[keep]
    key = code * _BIG + _shifted(start)
    order = np.argsort(key, kind="stable")
    ends = code[order] * _BIG + _shifted(end[order])
    return _Furniture(key[order], code[order], np.maximum.accumulate(ends) if len(ends) else ends)


def _on_furniture(
    f: _Furniture, code: np.ndarray, start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    # The last furniture span of the row's source that starts before the row's end...
    pos = np.searchsorted(f.key, code * _BIG + _shifted(end), side="left") - 1
    safe = np.maximum(pos, 0)
    same = (pos >= 0) & (f.code[safe] == code) if len(f.key) else np.zeros(len(code), bool)
    # ...overlaps it if the furthest end among that source's spans up to it lies past our start.
    return same & (f.max_end[safe] - code * _BIG > _shifted(start)) if len(f.key) else same


def _check_spans(
    t: _Table,
    text_field: str,
    texts: dict[str, str],
    names: pa.Array,
    furniture: _Furniture | None,
    out: _Collector,
) -> None:
    sid = t.col("source_id")
    code = _source_codes(sid, names)
    start, end = _ints(t.values("char_start")), _ints(t.values("char_end"))
    excerpt = t.col(text_field)
    text_list = [texts[s] for s in names.to_pylist()]
    known = (code >= 0) & (start >= 0) & (end > start)
    lengths = np.where(code >= 0, np.array([len(x) for x in text_list] + [-1])[code], -1)
    beyond = known & (end > lengths)
    out.rows(
        beyond,
        layer="provenance",
        code="span-out-of-range",
        file=t.file,
        fld="char_end",
        values=end,
        message=lambda i: f"The span ends after the archived text ({int(lengths[i])} characters).",
        fix=lambda i: (
            "Offsets are Python str indices (code points) into the archived text; recompute them."
        ),
    )
    check = known & ~beyond
    # Exact comparison needs the slice itself: one Python str slice per row (exactly the
    # documented ``text[char_start:char_end]``), grouped by source and compared with the
    # excerpts in Arrow, a batch of rows at a time so memory stays bounded.
    rows = np.flatnonzero(check)
    rows = rows[np.argsort(code[rows], kind="stable")]
    mismatch = np.zeros(len(code), dtype=bool)
    batch = 1 << 18
    for lo in range(0, len(rows), batch):
        part = rows[lo : lo + batch]
        c, a, b = code[part].tolist(), start[part].tolist(), end[part].tolist()
        actual = pa.array(
            [text_list[ci][ai:bi] for ci, ai, bi in zip(c, a, b, strict=True)], pa.string()
        )
        same = pc.equal(pc.take(excerpt, pa.array(part)), actual)
        mismatch[part] = ~_np(same)

    def hint(i: int) -> str:
        text, ex = text_list[code[i]], _at(excerpt, i)
        found = text.find(ex) if ex else -1
        if found >= 0:
            return (
                f"The {text_field} occurs at {found}..{found + len(ex)}: set "
                f"char_start={found}, char_end={found + len(ex)}."
            )
        return (
            f"Copy the {text_field} exactly from the archived text (same quotation marks "
            f"and apostrophes), or correct the offsets; the span now reads "
            f"{_clip(text[start[i] : end[i]], 60)!r}."
        )

    out.rows(
        mismatch,
        layer="provenance",
        code="excerpt-mismatch",
        file=t.file,
        fld=text_field,
        values=excerpt,
        message=lambda i: (
            f"The {text_field} is not the text at {_at(sid, i)}[{start[i]}:{end[i]}]."
        ),
        fix=hint,
    )
    if furniture is not None and len(furniture.key):
        out.rows(
            check & _on_furniture(furniture, code, start, end),
            layer="provenance",
            code="span-on-furniture",
            file=t.file,
            fld="char_start",
            values=start,
            message=lambda i: (
                "The span overlaps page furniture (breadcrumb, comment count, "
                "another article's headline or a site tag), which supports no record."
            ),
            fix=lambda i: "Point the span at the article's own text.",
        )
