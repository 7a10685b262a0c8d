"""The data package on disk: its descriptor, tables, schemas and the paths inside it.

``datapackage.json`` is the one source of truth for the list of tables and the version; every
other part of the toolkit asks this module for them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from belarus_timeline.errors import PackageError

DESCRIPTOR = "datapackage.json"
_HERE = Path(__file__).resolve().parent

#: The tables of the belarus-timeline data model: every package (the repository's, every
#: release) lists each of them as a resource. The one statement of which tables must exist; the
#: validator reports a missing one (``missing-table``) and a test proves the descriptor agrees.
TABLES = (
    "sources",
    "source_furniture",
    "places",
    "actors",
    "actor_aliases",
    "events",
    "statements",
    "participants",
    "quotes",
    "claims",
    "event_links",
    "link_evidence",
    "evidence",
)

#: Field types the toolkit reads (and writes to Parquet); a schema using another is refused.
TYPES = ("string", "integer", "number", "date", "boolean")

#: A resource name becomes a file name in a release (``data/<name>.csv``): plain names only.
RESOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


def read_json(path: Path) -> Any:
    """A JSON file's content; :class:`PackageError` naming the file for anything unreadable
    (missing, not UTF-8, not JSON, nested too deeply to parse, a lone surrogate in a string)."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
        # A \udXXX escape can smuggle a lone surrogate, which is not text, into any string.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
        return data
    except UnicodeEncodeError as exc:
        raise PackageError(
            f"{path}: a string holds a lone surrogate ({exc.object[exc.start]!a}), which is not "
            "text: write the character itself, or a valid \\u escape pair."
        ) from None
    except OSError as exc:
        raise PackageError(f"{path}: cannot be read ({exc.strerror}).") from None
    except UnicodeDecodeError as exc:
        raise PackageError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start}).") from None
    except json.JSONDecodeError as exc:
        raise PackageError(
            f"{path}: not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno}). "
            "Fix the file's syntax."
        ) from None
    except RecursionError:
        raise PackageError(f"{path}: nested too deeply to be read as JSON.") from None


_CONTROL = re.compile("[\x00-\x1f\x7f]")


def unsafe_path_reason(path: str) -> str | None:
    """Why ``path`` may not be used as a path inside a package, or ``None`` when it is safe.

    Safe paths are plain relative POSIX paths that stay inside the package: no absolute paths,
    no ``..``, no home or variable expansion, no URLs, no hidden components, no backslashes.
    """
    if not path or not isinstance(path, str):
        return "it is empty"
    if "\\" in path:
        return "it contains a backslash (use '/')"
    if path.startswith(("/", "~")) or (len(path) > 1 and path[1] == ":"):
        return "it is absolute"
    if "://" in path or path.startswith("file:"):
        return "it is a URL"
    if "$" in path:
        return "it contains '$' (variable expansion)"
    if _CONTROL.search(path):
        return "it contains a control character"
    # (PurePosixPath's parts, without its cost: a package may name 100,000 archived texts.)
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        return "it contains '..' and could escape the package"
    if any(part.startswith(".") for part in parts):
        return "it names a hidden file or folder"
    return None


def outside_reason(base: Path, path: str) -> str | None:
    """Why ``path`` may not be used below ``base``: :func:`unsafe_path_reason`, or that it
    resolves (through a link) outside ``base``; ``None`` when it stays inside."""
    reason = unsafe_path_reason(path)
    if reason is None and not (base / path).resolve().is_relative_to(base.resolve()):
        reason = "it resolves (through a link) outside the package"
    return reason


@dataclass(frozen=True)
class Field:
    """One field of a Table Schema, as the rest of the toolkit needs it."""

    name: str
    type: str
    description: str
    required: bool
    unique: bool
    enum: tuple[str, ...] | None
    pattern: str | None
    minimum: float | None
    maximum: float | None
    format: str | None

    @classmethod
    def from_descriptor(cls, d: dict[str, Any], primary_key: list[str]) -> Field:
        c = d.get("constraints", {})
        enum = c.get("enum")
        return cls(
            name=d["name"],
            type=d.get("type", "string"),
            description=d.get("description", ""),
            # Primary-key fields are required and, alone, unique (Table Schema spec).
            required=bool(c.get("required")) or d["name"] in primary_key,
            unique=bool(c.get("unique")) or primary_key == [d["name"]],
            enum=tuple(str(v) for v in enum) if enum is not None else None,
            pattern=c.get("pattern"),
            minimum=c.get("minimum"),
            maximum=c.get("maximum"),
            format=d.get("format"),
        )


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str  # "" means the table itself
    reference_fields: tuple[str, ...]


def as_tuple(value: str | list[str]) -> tuple[str, ...]:
    """A Table Schema key given as one name or a list of names."""
    return (value,) if isinstance(value, str) else tuple(value)


@dataclass(frozen=True)
class TableSchema:
    """A parsed Table Schema."""

    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...]
    descriptor: dict[str, Any]

    @classmethod
    def from_descriptor(cls, d: dict[str, Any]) -> TableSchema:
        pk = d.get("primaryKey", [])
        pk = [pk] if isinstance(pk, str) else list(pk)
        fks = []
        for fk in d.get("foreignKeys", []):
            ref = fk["reference"]
            fks.append(
                ForeignKey(as_tuple(fk["fields"]), ref.get("resource", ""), as_tuple(ref["fields"]))
            )
        fields = tuple(Field.from_descriptor(f, pk) for f in d["fields"])
        return cls(fields, tuple(pk), tuple(fks), d)

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


@dataclass(frozen=True)
class Resource:
    name: str
    path: str
    descriptor: dict[str, Any]


class DataPackage:
    """A data package rooted at a folder holding ``datapackage.json``."""

    def __init__(self, root: Path | str) -> None:
        root = Path(root)
        if root.is_file() and root.name == DESCRIPTOR:
            root = root.parent
        self.root = root.resolve()
        self.descriptor_path = self.root / DESCRIPTOR
        if not self.descriptor_path.is_file():
            raise PackageError(
                f"{self.descriptor_path}: no {DESCRIPTOR} here. "
                "Pass the folder of a data package (or its datapackage.json)."
            )
        self.descriptor: dict[str, Any] = read_json(self.descriptor_path)
        if not isinstance(self.descriptor, dict) or not isinstance(
            self.descriptor.get("resources"), list
        ):
            raise PackageError(
                f"{self.descriptor_path}: the descriptor has no 'resources' list. "
                "Every table must be listed as a resource."
            )

    @property
    def version(self) -> str:
        return str(self.descriptor.get("version", ""))

    @property
    def name(self) -> str:
        return str(self.descriptor.get("name", ""))

    @cached_property
    def resources(self) -> list[Resource]:
        out = []
        for i, r in enumerate(self.descriptor["resources"]):
            if not isinstance(r, dict) or "name" not in r or not isinstance(r.get("path"), str):
                raise PackageError(
                    f"{self.descriptor_path}: resource #{i + 1} needs a 'name' and a 'path'."
                )
            out.append(Resource(str(r["name"]), r["path"], r))
        return out

    @property
    def table_names(self) -> list[str]:
        return [r.name for r in self.resources]

    def resource(self, name: str) -> Resource:
        for r in self.resources:
            if r.name == name:
                return r
        raise KeyError(name)

    def path_of(self, relative: str) -> Path:
        """Resolve a package-relative path, refusing any that is unsafe."""
        reason = outside_reason(self.root, relative)
        if reason is not None:
            raise PackageError(
                f"{self.descriptor_path}: path {relative!r} is not safe: {reason}. "
                "Use a relative path inside the package folder."
            )
        return self.root / relative

    def schema_descriptor(self, name: str) -> tuple[str, Any]:
        """The resource's Table Schema as written (inline, or read from its path) and the file
        it is in, relative to the package. :class:`PackageError` if it cannot be read."""
        s = self.resource(name).descriptor.get("schema")
        if isinstance(s, str):
            return s, read_json(self.path_of(s))
        if s is None:
            raise PackageError(f"{self.descriptor_path}: resource {name!r} has no 'schema'.")
        return DESCRIPTOR, s

    def schema(self, name: str) -> TableSchema:
        """The resource's Table Schema, parsed; :class:`PackageError` if it is unreadable,
        breaks the profile or uses a feature this toolkit does not read (see
        :func:`schema_problems`)."""
        file, s = self.schema_descriptor(name)
        problems = schema_problems(s)
        if problems:
            listing = "; ".join(f"{where}: {what}" for where, what in problems[:3])
            more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
            raise PackageError(
                f"{self.root / file}: the Table Schema of {name!r} cannot be used: "
                f"{listing}{more}. Run `belarus-timeline validate` for every problem."
            )
        return TableSchema.from_descriptor(s)


# --- What the toolkit reads: anything else that would change how a cell is read is refused ----

Problem = tuple[str, str]  # (where, as a JSON-pointer-like path; what is wrong and how to fix)

_CONSTRAINTS = ("required", "unique", "enum", "pattern", "minimum", "maximum")
# Table Schema features that change how cells are read or checked, which this toolkit does not
# implement: refused rather than silently ignored.
_UNREAD_FIELD_KEYS = (
    "missingValues",
    "trueValues",
    "falseValues",
    "bareNumber",
    "decimalChar",
    "groupChar",
    "categories",
    "categoriesOrdered",
)
_UNREAD_CONSTRAINTS = (
    "minLength",
    "maxLength",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "jsonSchema",
)


def _bad_name(name: object) -> str | None:
    if not isinstance(name, str) or not name:
        return "a field needs a non-empty string 'name'"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return f"the name {name!a} holds a lone surrogate, which is not text"
    if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in name):
        return f"the name {name!a} holds a control character"
    return None


def _regex_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be used: the validator runs it with RE2 (pyarrow)."""
    try:
        pc.match_substring_regex(pa.array([""], pa.string()), pattern)
    except pa.ArrowInvalid as exc:
        return str(exc).removeprefix("Invalid regular expression: ")
    return None


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and v == v  # not NaN


def _constraint_problems(at: str, ftype: str, c: object) -> list[Problem]:
    if not isinstance(c, dict):
        return [(at, "'constraints' must be an object")]
    out: list[Problem] = []
    for key in c:
        if key in _UNREAD_CONSTRAINTS:
            out.append((f"{at}.{key}", f"the constraint {key!r} is not checked by this toolkit"))
        elif key not in _CONSTRAINTS:
            out.append((f"{at}.{key}", f"{key!r} is not a Table Schema constraint"))
    for key in ("required", "unique"):
        if key in c and not isinstance(c[key], bool):
            out.append((f"{at}.{key}", f"must be true or false, not {c[key]!r}"))
    if "enum" in c:
        enum = c["enum"]
        if ftype != "string":
            out.append((f"{at}.enum", "an enum is read only on string fields"))
        elif not isinstance(enum, list) or not enum or not all(isinstance(v, str) for v in enum):
            out.append((f"{at}.enum", f"must be a non-empty list of strings, not {enum!r}"))
        elif len(set(enum)) != len(enum):
            out.append((f"{at}.enum", "lists a value twice"))
    if "pattern" in c:
        pattern = c["pattern"]
        if ftype != "string":
            out.append((f"{at}.pattern", "a pattern is read only on string fields"))
        elif not isinstance(pattern, str):
            out.append((f"{at}.pattern", f"must be a string, not {pattern!r}"))
        elif (why := _regex_problem(pattern)) is not None:
            out.append((f"{at}.pattern", f"{pattern!r} is not a usable regular expression: {why}"))
    for key in ("minimum", "maximum"):
        if key not in c:
            continue
        if ftype not in ("integer", "number"):
            out.append((f"{at}.{key}", f"a {key} is read only on integer and number fields"))
        elif not _is_number(c[key]) or (ftype == "integer" and not isinstance(c[key], int)):
            out.append((f"{at}.{key}", f"must be a {ftype}, not {c[key]!r}"))
    return out


def _field_problems(i: int, f: object) -> list[Problem]:
    at = f"fields[{i}]"
    if not isinstance(f, dict):
        return [(at, f"a field must be an object, not {f!r}")]
    out: list[Problem] = []
    if (why := _bad_name(f.get("name"))) is not None:
        out.append((f"{at}.name", why))
    ftype = f.get("type", "string")
    if ftype not in TYPES:
        out.append(
            (f"{at}.type", f"{ftype!r} is not a type this toolkit reads ({', '.join(TYPES)})")
        )
        ftype = None
    fmt = f.get("format", "default")
    if fmt != "default" and not (ftype == "string" and fmt == "uri"):
        out.append((f"{at}.format", f"the format {fmt!r} is not read by this toolkit"))
    for key in _UNREAD_FIELD_KEYS:
        if key in f and not (key == "missingValues" and f[key] == [""]):
            out.append((f"{at}.{key}", f"{key!r} is not read by this toolkit: remove it"))
    for key in ("title", "description"):
        if key in f and not isinstance(f[key], str):
            out.append((f"{at}.{key}", f"must be a string, not {f[key]!r}"))
    if "constraints" in f and ftype is not None:
        out += _constraint_problems(f"{at}.constraints", ftype, f["constraints"])
    return out


def _key_names(value: object) -> list[str] | None:
    """A key given as one name or a list of names; ``None`` if it is neither."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _keys_problems(d: dict[str, Any], names: set[str]) -> list[Problem]:
    out: list[Problem] = []
    if "primaryKey" in d:
        pk = _key_names(d["primaryKey"])
        if pk is None:
            out.append(("primaryKey", "must be a field name or a list of field names"))
        else:
            out += [
                ("primaryKey", f"{k!r} is not a field of the schema") for k in pk if k not in names
            ]
            if len(set(pk)) != len(pk):
                out.append(("primaryKey", "names a field twice"))
    fks = d.get("foreignKeys", [])
    if not isinstance(fks, list):
        return [*out, ("foreignKeys", "must be a list")]
    for i, fk in enumerate(fks):
        at = f"foreignKeys[{i}]"
        ref = fk.get("reference") if isinstance(fk, dict) else None
        local = _key_names(fk.get("fields")) if isinstance(fk, dict) else None
        remote = _key_names(ref.get("fields")) if isinstance(ref, dict) else None
        if local is None or remote is None or not isinstance(ref, dict):
            out.append((at, "needs 'fields' and a 'reference' with 'resource' and 'fields'"))
            continue
        if not isinstance(ref.get("resource", ""), str):
            out.append((f"{at}.reference.resource", "must be a resource name"))
        out += [
            (f"{at}.fields", f"{k!r} is not a field of the schema") for k in local if k not in names
        ]
        if len(local) != len(remote):
            out.append((at, "'fields' and 'reference.fields' differ in length"))
    return out


def schema_problems(d: object) -> list[Problem]:
    """Everything in a Table Schema this toolkit cannot read as the standard means it, each as
    (where, what): malformed fields, keys naming no field, bad patterns, unknown types, and
    features it does not implement (which would otherwise be silently ignored)."""
    if not isinstance(d, dict):
        return [("", "a Table Schema must be a JSON object")]
    fields = d.get("fields")
    if not isinstance(fields, list) or not fields:
        return [("fields", "a Table Schema needs a non-empty list of 'fields'")]
    out: list[Problem] = []
    for i, f in enumerate(fields):
        out += _field_problems(i, f)
    names: list[str] = [
        f["name"] for f in fields if isinstance(f, dict) and isinstance(f.get("name"), str)
    ]
    seen: set[str] = set()
    for n in names:
        if n in seen:
            out.append(("fields", f"two fields are named {n!r}"))
        seen.add(n)
    if d.get("missingValues", [""]) != [""]:
        out.append(("missingValues", 'only [""] (an empty cell is missing) is read'))
    if d.get("fieldsMatch", "exact") != "exact":
        out.append(("fieldsMatch", "only 'exact' (header = the schema's fields) is read"))
    if "uniqueKeys" in d:
        out.append(("uniqueKeys", "'uniqueKeys' is not checked by this toolkit: remove it"))
    if "profile" in d:
        out.append(("profile", "remove the v1 'profile': it names a profile to fetch"))
    return out + _keys_problems(d, set(names))


# The CSV this toolkit writes and reads: UTF-8, comma, double quote (doubled inside a cell), a
# header row, no comments. A declared dialect that differs would be misread, so it is refused.
_DIALECT_DEFAULTS: dict[str, Any] = {
    "delimiter": ",",
    "quoteChar": '"',
    "doubleQuote": True,
    "header": True,
    "headerRows": [1],
    "skipInitialSpace": False,
}
_DIALECT_UNREAD = ("escapeChar", "commentChar", "commentRows", "nullSequence", "headerJoin")
_LINE_TERMINATORS = ("\n", "\r\n", "\r")
_ENCODINGS = ("utf-8", "utf8")


def dialect_problems(r: dict[str, Any]) -> list[Problem]:
    """Why a CSV resource's declared encoding, dialect or compression would be misread."""
    out: list[Problem] = []
    enc = r.get("encoding", "utf-8")
    if not isinstance(enc, str) or enc.lower() not in _ENCODINGS:
        out.append(("encoding", f"the encoding {enc!r} is not read: the tables are UTF-8"))
    if r.get("compression", "no") not in ("no", None):
        out.append(("compression", "compressed tables are not read: store the CSV uncompressed"))
    dialect = r.get("dialect", {})
    if not isinstance(dialect, dict):
        return [*out, ("dialect", "declare the dialect inline, as an object")]
    for key, default in _DIALECT_DEFAULTS.items():
        if key in dialect and dialect[key] != default:
            out.append(
                (f"dialect.{key}", f"{dialect[key]!r} is not read: only {default!r} (as written)")
            )
    for key in _DIALECT_UNREAD:
        if dialect.get(key) not in (None, []):
            out.append((f"dialect.{key}", f"{key!r} is not read by this toolkit: remove it"))
    term = dialect.get("lineTerminator", "\r\n")
    if term not in _LINE_TERMINATORS:
        out.append(("dialect.lineTerminator", f"{term!r} is not a line end"))
    return out


def bundled_root() -> Path:
    """Folder of the data package that ships with the installed package.

    A wheel carries it in ``belarus_timeline/_bundled`` (see pyproject.toml); in a source checkout
    (editable install, tests) it is the repository root itself, so edits to data/ are seen at once.
    """
    bundled = _HERE / "_bundled"
    if (bundled / DESCRIPTOR).is_file():
        return bundled
    checkout = _HERE.parent.parent
    if (checkout / DESCRIPTOR).is_file() and (checkout / "pyproject.toml").is_file():
        return checkout
    raise PackageError(
        "The bundled data is missing from this installation of belarus-timeline. "
        "Reinstall the package (pip install --force-reinstall belarus-timeline)."
    )


def bundled_version() -> str:
    """The version of the bundled data package, read from its ``datapackage.json`` every time:
    the descriptor is the one source of the version, so a bump is seen without reinstalling."""
    try:
        return DataPackage(bundled_root()).version or "0+unknown"
    except PackageError:
        return "0+unknown"
