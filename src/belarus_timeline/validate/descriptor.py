"""The package layer: the descriptor and every Table Schema, checked before any data is read,
then the files they point to.

The descriptor and the schemas are checked against the Data Package v2 and Table Schema
profiles by frictionless's own metadata validation (the profiles ship inside frictionless, so it
works offline) and against what this toolkit reads (:func:`~belarus_timeline.package.
schema_problems`, :func:`~belarus_timeline.package.dialect_problems`): a feature it would
silently ignore is refused. Only resources whose entry, dialect and schema are sound are read.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import frictionless
import pyarrow as pa
from pydantic import ValidationError

from belarus_timeline.errors import PackageError
from belarus_timeline.models import PackageMetadata
from belarus_timeline.package import (
    DESCRIPTOR,
    RESOURCE_NAME,
    TABLES,
    DataPackage,
    Resource,
    TableSchema,
    as_tuple,
    dialect_problems,
    outside_reason,
    schema_problems,
    unsafe_path_reason,
)
from belarus_timeline.tables import CsvProblem, EncodingProblem, RawTable, read_raw, table_names
from belarus_timeline.validate.codes import Code, emits
from belarus_timeline.validate.columns import Table, is_parquet
from belarus_timeline.validate.report import Collector, Finding

_V2_PACKAGE = "https://datapackage.org/profiles/2.0/datapackage.json"
_V2_SCHEMA = "https://datapackage.org/profiles/2.0/tableschema.json"
_FORMATS = {"csv": ".csv", "parquet": ".parquet"}
_HASH = re.compile(r"^(?:(md5|sha1|sha256|sha512):)?([0-9a-f]+)$")
_HEX_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}
# Where frictionless's note says the problem is: ... at property 'x' / property "x" is ...
_PROPERTY = re.compile(r"""property ['"]([^'"]+)['"]""")


@emits(Code.METADATA_ERROR)
def check_metadata(pkg: DataPackage, out: Collector) -> None:
    """The descriptor carries the metadata our package promises (name, SemVer version, ...) and,
    that being so, passes the Data Package v2 profile."""
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
                    DESCRIPTOR,
                    message=f"Package metadata {loc!r}: {err['msg']}.",
                    fix="Fill in the package metadata (name, title, description, SemVer "
                    "version, RFC 3339 created, keywords, licenses, contributors, "
                    "sources).",
                    field=loc,
                    value=value if isinstance(value, str) else None,
                )
            )
        return
    if "profile" in pkg.descriptor:
        out.add(_legacy_profile(DESCRIPTOR, "profile"))
    top = {k: v for k, v in pkg.descriptor.items() if k not in ("profile", "resources")}
    # Resources are checked one by one (check_resources); a placeholder keeps the profile's
    # "at least one resource" rule from firing here.
    top.update({"$schema": _V2_PACKAGE, "resources": [{"name": "x", "path": "x.csv"}]})
    for note in _profile_errors(frictionless.Package, top):
        where = _PROPERTY.search(note)
        out.add(
            Finding(
                "package",
                Code.METADATA_ERROR,
                DESCRIPTOR,
                message=f"The descriptor breaks the Data Package v2 profile: {note}.",
                fix="Correct the descriptor as the Data Package standard describes it.",
                field=where.group(1) if where else None,
            )
        )


def _legacy_profile(file: str, where: str) -> Finding:
    """A v1 ``profile`` (a name or a URL to fetch) in a v2 descriptor: frictionless would try to
    fetch it; mixing it with ``$schema`` is not allowed."""
    return Finding(
        "package",
        Code.METADATA_ERROR,
        file,
        message="'profile' is the Data Package v1 way to name a profile; a URL there would be "
        "fetched from the network, and v2 descriptors use '$schema' alone.",
        fix="Remove 'profile'.",
        field=where,
    )


def _profile_errors(kind: Any, descriptor: dict[str, Any]) -> list[str]:
    """frictionless's metadata validation of one descriptor: the notes of its errors."""
    try:
        key = json.dumps(descriptor, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):  # pragma: no cover - what was read from JSON dumps again
        return [f"cannot be checked ({descriptor!r:.80})"]
    return list(_profile_notes(kind, key))


@functools.lru_cache(maxsize=256)
def _profile_notes(kind: Any, descriptor: str) -> tuple[str, ...]:
    # The same schemas are checked again and again (validate, then build): remembered by text.
    try:
        report = kind.validate_descriptor(json.loads(descriptor))
    except Exception as exc:  # a crash of the profile check is a problem it found, not ours
        return (f"frictionless cannot check it ({type(exc).__name__}: {exc})",)
    return tuple(
        [str(e.note) for e in report.errors]
        + [str(e.note) for task in report.tasks for e in task.errors]
    )


@dataclass
class _Usable:
    """A resource that passed every descriptor and schema check, ready to be read."""

    resource: Resource
    schema: TableSchema


@emits(Code.PACKAGE_ERROR, Code.DUPLICATE_RESOURCE, Code.MISSING_TABLE)
def check_resources(pkg: DataPackage, out: Collector) -> dict[str, _Usable]:
    """Every resource's entry, dialect and Table Schema; the resources that can be read."""
    try:
        resources = pkg.resources
    except PackageError as exc:
        out.add(
            Finding(
                "package",
                Code.PACKAGE_ERROR,
                DESCRIPTOR,
                message=str(exc),
                fix="Give every resource a 'name' and a 'path'.",
            )
        )
        return {}
    seen: set[str] = set()
    sound: dict[str, Resource] = {}
    for r in resources:
        if r.name in seen:
            out.add(
                Finding(
                    "package",
                    Code.DUPLICATE_RESOURCE,
                    DESCRIPTOR,
                    message=f"Two resources are named {r.name!r}.",
                    fix="Give each resource its own name.",
                    field="name",
                    value=r.name,
                )
            )
            continue
        seen.add(r.name)
        if _entry_sound(pkg, r, out):
            sound[r.name] = r
    for name in TABLES:
        if name not in table_names(pkg):
            out.add(
                Finding(
                    "package",
                    Code.MISSING_TABLE,
                    DESCRIPTOR,
                    message=f"The table {name!r} is not listed: every package of the data model "
                    f"has the tables {', '.join(TABLES)}.",
                    fix=f"Add the resource {name!r} (data/{name}.csv, schema/{name}.json).",
                    field="resources",
                    value=name,
                )
            )
    return _schemas(pkg, sound, out)


@emits(Code.RESOURCE_ERROR, Code.DIALECT_ERROR, Code.UNSAFE_PATH)
def _entry_sound(pkg: DataPackage, r: Resource, out: Collector) -> bool:
    """The resource's entry: a plain name, a safe path to a CSV or Parquet file, a dialect and
    encoding we read, a well-formed hash and size, and the Data Package profile."""
    problems: list[tuple[str, str]] = []
    d = r.descriptor
    if not RESOURCE_NAME.match(r.name):
        problems.append(("name", "a resource name is lowercase letters, digits, '.', '_', '-'"))
    fmt = d.get("format", _suffix_format(r.path))
    fmt = fmt if isinstance(fmt, str) else ""
    if fmt not in _FORMATS or not r.path.endswith(_FORMATS[fmt]):
        problems.append(("format", "a resource is a .csv or a .parquet file, and says which"))
    if "data" in d:
        problems.append(("data", "inline data is not read: put the rows in a file"))
    if "profile" in d:
        problems.append(("profile", "remove the v1 'profile': it names a profile to fetch"))
    if "schema" not in d:
        problems.append(("schema", "every resource needs a Table Schema"))
    problems += _hash_problems(d)
    if not problems:
        problems += [(w, f"{m}") for w, m in _profile_problems(d)]
    for where, what in problems:
        out.add(_resource_finding(Code.RESOURCE_ERROR, r, where, what))
    dialect = dialect_problems(d) if fmt == "csv" else []
    for where, what in dialect:
        out.add(_resource_finding(Code.DIALECT_ERROR, r, where, what))
    reason = outside_reason(pkg.root, r.path)
    if reason is not None:
        out.add(
            Finding(
                "package",
                Code.UNSAFE_PATH,
                DESCRIPTOR,
                message=f"Resource {r.name!r} has path {r.path!r}, which is unsafe: {reason}.",
                fix="Use a relative path inside the package, e.g. data/<table>.csv.",
                field="path",
                value=r.path,
            )
        )
    return not problems and not dialect and reason is None


def _suffix_format(path: str) -> str:
    return next((f for f, suffix in _FORMATS.items() if path.endswith(suffix)), "")


def _hash_problems(d: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    if "hash" in d:
        m = _HASH.match(str(d["hash"])) if isinstance(d["hash"], str) else None
        if m is None or len(m.group(2)) != _HEX_LENGTHS[m.group(1) or "md5"]:
            out.append(("hash", "write the hash as 'sha256:<64 lowercase hex digits>'"))
    if "bytes" in d and (type(d["bytes"]) is not int or d["bytes"] < 0):
        out.append(("bytes", "the size of the file in bytes, a whole number"))
    return out


def _profile_problems(d: dict[str, Any]) -> list[tuple[str, str]]:
    entry = {k: v for k, v in d.items() if k not in ("schema", "profile", "$schema")}
    return [
        ("", f"breaks the Data Package profile: {n}")
        for n in _profile_errors(frictionless.Resource, entry)
    ]


def _resource_finding(code: Code, r: Resource, where: str, what: str) -> Finding:
    value = r.descriptor.get(where) if where and "." not in where else None
    return Finding(
        "package",
        code,
        DESCRIPTOR,
        message=f"Resource {r.name!r}: {what}.",
        fix="Correct the resource's entry in datapackage.json; the toolkit writes UTF-8 CSV "
        "with commas, double quotes and one header row (see the README).",
        field=f"resources.{r.name}" + (f".{where}" if where else ""),
        value=value if isinstance(value, str) else None,
    )


@emits(Code.SCHEMA_ERROR)
def _schemas(pkg: DataPackage, sound: dict[str, Resource], out: Collector) -> dict[str, _Usable]:
    """Each sound resource's Table Schema, checked once per schema file; keys checked against
    the resources they point to."""
    parsed: dict[str, tuple[str, Any]] = {}
    for name, r in sound.items():
        try:
            parsed[name] = pkg.schema_descriptor(name)
        except PackageError as exc:
            path = r.descriptor.get("schema")
            if isinstance(path, str) and unsafe_path_reason(path) is None:
                out.add(_schema_finding(path, "", str(exc)))
            else:  # the descriptor points nowhere safe: the descriptor is what to fix
                out.add(_schema_finding(DESCRIPTOR, f"resources.{name}.schema", str(exc)))
    names = {r.name for r in pkg.resources}
    reported: dict[str, bool] = {}
    usable: dict[str, _Usable] = {}
    for name, (file, d) in parsed.items():
        if file not in reported or file == DESCRIPTOR:
            problems = schema_problems(d) or _reference_problems(d, names, parsed)
            if not problems:
                clean = {k: v for k, v in d.items() if k not in ("profile", "$schema")}
                notes = _profile_errors(frictionless.Schema, {"$schema": _V2_SCHEMA, **clean})
                problems = [("", f"breaks the Table Schema profile: {n}") for n in notes]
            for where, what in problems:
                out.add(_schema_finding(file, where, what))
            reported[file] = bool(problems)
        if not reported[file]:
            usable[name] = _Usable(sound[name], TableSchema.from_descriptor(d))
    return usable


def _reference_problems(
    d: dict[str, Any], names: set[str], parsed: dict[str, tuple[str, Any]]
) -> list[Any]:
    """Foreign keys must point to a resource of the package and to fields of its schema (a
    resource whose own schema is unusable is reported on its own)."""
    out = []
    for i, fk in enumerate(d.get("foreignKeys", [])):
        target = fk["reference"].get("resource", "")
        if target == "":
            fields = d["fields"]
        elif target not in names:
            out.append((f"foreignKeys[{i}].reference.resource", f"no resource is named {target!r}"))
            continue
        elif target in parsed and isinstance(parsed[target][1], dict):
            fields = parsed[target][1].get("fields", [])
            if not isinstance(fields, list):
                continue
        else:
            continue
        known = {
            f["name"] for f in fields if isinstance(f, dict) and isinstance(f.get("name"), str)
        }
        for k in as_tuple(fk["reference"]["fields"]):
            if k not in known:
                out.append(
                    (f"foreignKeys[{i}].reference.fields", f"{target or 'this table'} has no {k!r}")
                )
    return out


def _schema_finding(file: str, where: str, what: str) -> Finding:
    return Finding(
        "package",
        Code.SCHEMA_ERROR,
        file,
        message=f"{what[0].upper()}{what[1:]}.",
        fix="Correct the Table Schema (see the data dictionary in the README); the table is "
        "not checked until its schema is sound.",
        field=where or None,
    )


@emits(Code.BYTE_COUNT, Code.HASH_COUNT)
def check_declared_files(
    pkg: DataPackage, usable: dict[str, _Usable], out: Collector, pool: ThreadPoolExecutor | None
) -> set[str]:
    """Files whose size or hash differs from what their resource declares (a release declares
    both); returns their paths."""
    todo = [u.resource for u in usable.values() if {"hash", "bytes"} & set(u.resource.descriptor)]
    todo = [r for r in todo if (pkg.root / r.path).is_file()]
    sums = (pool.map if pool else map)(lambda r: _measure(pkg, r), todo)
    failed: set[str] = set()
    for r, (size, digest) in zip(todo, sums, strict=True):
        declared = r.descriptor.get("bytes")
        if declared is not None and declared != size:
            failed.add(r.path)
            out.add(
                Finding(
                    "package",
                    Code.BYTE_COUNT,
                    r.path,
                    message=f"The file has {size} bytes; its resource {r.name!r} declares "
                    f"{declared}: it changed after the release was built.",
                    fix="Restore the file from the published release (it is immutable).",
                    field="bytes",
                    value=str(declared),
                )
            )
        expected = r.descriptor.get("hash")
        if expected is not None and digest != _HASH.match(expected).group(2):  # type: ignore[union-attr]
            failed.add(r.path)
            out.add(
                Finding(
                    "package",
                    Code.HASH_COUNT,
                    r.path,
                    message=f"The file's hash is {digest}; its resource {r.name!r} declares "
                    f"{expected}: it changed after the release was built.",
                    fix="Restore the file from the published release (it is immutable).",
                    field="hash",
                    value=str(expected),
                )
            )
    return failed


def _measure(pkg: DataPackage, r: Resource) -> tuple[int, str | None]:
    m = _HASH.match(str(r.descriptor.get("hash", "")))
    h = hashlib.new(m.group(1) or "md5") if m else None
    size = 0
    with (pkg.root / r.path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            size += len(block)
            if h is not None:
                h.update(block)
    return size, h.hexdigest() if h is not None else None


def _start_reads(
    pkg: DataPackage, usable: dict[str, _Usable], pool: ThreadPoolExecutor | None
) -> dict[str, Future[RawTable]]:
    """Start reading every CSV file that can be read; :func:`load_tables` reports in order."""
    reads: dict[str, Future[RawTable]] = {}
    if pool is None:
        return reads
    for u in usable.values():
        path = pkg.root / u.resource.path
        if not is_parquet(u.resource.path) and u.resource.path not in reads and path.is_file():
            reads[u.resource.path] = pool.submit(read_raw, path)
    return reads


def load_tables(
    pkg: DataPackage, usable: dict[str, _Usable], out: Collector, pool: ThreadPoolExecutor | None
) -> dict[str, Table]:
    """Read every CSV resource that passed the descriptor checks."""
    tables: dict[str, Table] = {}
    reads = _start_reads(pkg, usable, pool)
    for name, u in usable.items():
        t = read_table(pkg, name, u, reads, out)
        if t is not None:
            tables[name] = t
    return tables


def read_table(
    pkg: DataPackage, name: str, u: _Usable, reads: dict[str, Future[RawTable]], out: Collector
) -> Table | None:
    """One resource's table (its read taken from ``reads`` when it was started there); None,
    with a finding, when its file cannot be read, and for a Parquet file."""
    raw = _read_resource(pkg, u.resource, reads, out)
    return None if raw is None else Table(name, u.resource.path, u.schema, raw)


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
    except CsvProblem as exc:
        out.add(
            Finding(
                "structural",
                Code.SOURCE_ERROR,
                r.path,
                message=f"The file cannot be read as CSV: {exc.detail}.",
                fix=exc.fix,
            )
        )
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
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
