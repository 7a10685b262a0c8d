"""The data package on disk: its descriptor, tables, schemas and the paths inside it.

``datapackage.json`` is the one source of truth for the list of tables and the version; every
other part of the toolkit asks this module for them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any

from belarus_timeline.errors import PackageError

DESCRIPTOR = "datapackage.json"
_HERE = Path(__file__).resolve().parent


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
    if any(ord(ch) < 32 or ch == "\x7f" for ch in path):
        return "it contains a control character"
    parts = PurePosixPath(path).parts
    if ".." in parts:
        return "it contains '..' and could escape the package"
    if any(part.startswith(".") for part in parts):
        return "it names a hidden file or folder"
    return None


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
        try:
            self.descriptor: dict[str, Any] = json.loads(
                self.descriptor_path.read_text(encoding="utf-8")
            )
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PackageError(
                f"{self.descriptor_path}: not valid UTF-8 JSON ({exc}). Fix the file's syntax."
            ) from exc
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
            out.append(Resource(r["name"], r["path"], r))
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
        reason = unsafe_path_reason(relative)
        if reason is None:
            resolved = (self.root / relative).resolve()
            if not resolved.is_relative_to(self.root):
                reason = "it resolves (through a link) outside the package"
        if reason is not None:
            raise PackageError(
                f"{self.descriptor_path}: path {relative!r} is not safe: {reason}. "
                "Use a relative path inside the package folder."
            )
        return self.root / relative

    def schema(self, name: str) -> TableSchema:
        s = self.resource(name).descriptor.get("schema")
        if isinstance(s, str):
            path = self.path_of(s)
            try:
                s = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise PackageError(f"{path}: cannot read the Table Schema ({exc}).") from exc
        if not isinstance(s, dict) or not isinstance(s.get("fields"), list):
            raise PackageError(
                f"{self.descriptor_path}: resource {name!r} has no Table Schema with 'fields'."
            )
        return TableSchema.from_descriptor(s)


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
