"""The package layer: the descriptor's metadata, its resources, and reading their files."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import pyarrow as pa
from pydantic import ValidationError

from belarus_timeline.errors import PackageError
from belarus_timeline.models import PackageMetadata
from belarus_timeline.package import DataPackage, Resource, TableSchema, unsafe_path_reason
from belarus_timeline.tables import EncodingProblem, RawTable, read_raw
from belarus_timeline.validate.codes import Code, emits
from belarus_timeline.validate.columns import Table, is_parquet
from belarus_timeline.validate.report import Collector, Finding


@emits(Code.METADATA_ERROR)
def check_metadata(pkg: DataPackage, out: Collector) -> None:
    """The descriptor carries the metadata our package promises (name, SemVer version, ...)."""
    try:
        PackageMetadata.model_validate(pkg.descriptor)
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(x) for x in err["loc"])
            value = err.get("input")
            out.add(
                Finding(
                    "package",
                    Code.METADATA_ERROR,
                    "datapackage.json",
                    message=f"Package metadata {loc!r}: {err['msg']}.",
                    fix="Fill in the package metadata (name, title, description, SemVer "
                    "version, RFC 3339 created, keywords, licenses, contributors, "
                    "sources).",
                    field=loc,
                    value=value if isinstance(value, str) else None,
                )
            )


def _start_reads(
    pkg: DataPackage, resources: list[Resource], pool: ThreadPoolExecutor | None
) -> dict[str, Future[RawTable]]:
    """Start reading every CSV file that can be read; :func:`load_tables` reports in order."""
    reads: dict[str, Future[RawTable]] = {}
    if pool is None:
        return reads
    for r in resources:
        if is_parquet(r.path) or unsafe_path_reason(r.path) is not None or r.path in reads:
            continue
        path = pkg.root / r.path
        if path.resolve().is_relative_to(pkg.root) and path.is_file():
            reads[r.path] = pool.submit(read_raw, path)
    return reads


@emits(Code.PACKAGE_ERROR, Code.DUPLICATE_RESOURCE)
def load_tables(
    pkg: DataPackage, out: Collector, pool: ThreadPoolExecutor | None = None
) -> dict[str, Table]:
    """Read every CSV resource whose descriptor entry is usable, reporting those that are not."""
    tables: dict[str, Table] = {}
    seen: set[str] = set()
    try:
        resources = pkg.resources
    except PackageError as exc:
        out.add(
            Finding(
                "package",
                Code.PACKAGE_ERROR,
                "datapackage.json",
                message=str(exc),
                fix="Give every resource a 'name' and a 'path'.",
            )
        )
        return tables
    reads = _start_reads(pkg, resources, pool)
    for r in resources:
        if r.name in seen:
            out.add(
                Finding(
                    "package",
                    Code.DUPLICATE_RESOURCE,
                    "datapackage.json",
                    message=f"Two resources are named {r.name!r}.",
                    fix="Give each resource its own name.",
                    field="name",
                    value=r.name,
                )
            )
        seen.add(r.name)
        schema = _usable_resource(pkg, r, out)
        if schema is None:
            continue
        raw = _read_resource(pkg, r, reads, out)
        if raw is not None:
            tables[r.name] = Table(r.name, r.path, schema, raw)
    return tables


@emits(Code.UNSAFE_PATH, Code.SCHEMA_ERROR)
def _usable_resource(pkg: DataPackage, r: Resource, out: Collector) -> TableSchema | None:
    """The resource's schema if its path is safe and its schema readable; else a finding."""
    reason = unsafe_path_reason(r.path)
    if reason is None and not (pkg.root / r.path).resolve().is_relative_to(pkg.root):
        reason = "it resolves (through a link) outside the package"
    if reason is not None:
        out.add(
            Finding(
                "package",
                Code.UNSAFE_PATH,
                "datapackage.json",
                message=f"Resource {r.name!r} has path {r.path!r}, which is unsafe: {reason}.",
                fix="Use a relative path inside the package, e.g. data/<table>.csv.",
                field="path",
                value=r.path,
            )
        )
        return None
    try:
        return pkg.schema(r.name)
    except PackageError as exc:
        out.add(
            Finding(
                "package",
                Code.SCHEMA_ERROR,
                "datapackage.json",
                message=str(exc),
                fix="Point 'schema' at a readable Table Schema inside the package.",
                field="schema",
            )
        )
        return None


@emits(Code.MISSING_FILE, Code.ENCODING_ERROR, Code.SOURCE_ERROR)
def _read_resource(
    pkg: DataPackage, r: Resource, reads: dict[str, Future[RawTable]], out: Collector
) -> RawTable | None:
    """The resource's CSV cells; ``None`` for a Parquet file (checked against its CSV twin)
    and for a file that is missing or cannot be read (with a finding)."""
    path = pkg.root / r.path
    if is_parquet(r.path) and path.is_file():
        return None  # checked against its CSV twin (release.check_parquet_twins)
    if not path.is_file():
        out.add(
            Finding(
                "package",
                Code.MISSING_FILE,
                r.path,
                message=f"Resource {r.name!r}: the file {r.path} does not exist.",
                fix="Restore the file or fix the resource's path.",
            )
        )
        return None
    try:
        return reads[r.path].result() if r.path in reads else read_raw(path)
    except EncodingProblem as exc:
        out.add(
            Finding(
                "structural",
                Code.ENCODING_ERROR,
                r.path,
                message=f"The file is not valid UTF-8: {exc.detail}, on line {exc.line}.",
                fix="Re-save the file as UTF-8 (without changing its text).",
            )
        )
    except (pa.ArrowInvalid, OSError) as exc:
        out.add(
            Finding(
                "structural",
                Code.SOURCE_ERROR,
                r.path,
                message=f"The file cannot be read as CSV: {exc}.",
                fix="Check quoting and delimiters.",
            )
        )
    return None
