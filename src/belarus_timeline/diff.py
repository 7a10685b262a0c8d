"""Differences between two versions of the package, and the semantic-version bump they need.

Rules (also in the README): MAJOR — a table or field removed, renamed, retyped or reordered, a
key changed, a constraint tightened, rows removed (ids are never reused, so users' references
would break); MINOR — tables, rows or fields added, a constraint loosened; PATCH — values
corrected, metadata changed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa

from belarus_timeline.canonical import canonical_text
from belarus_timeline.package import DataPackage, Field, TableSchema
from belarus_timeline.semver import bump_rank
from belarus_timeline.tables import read_arrow, table_names


@dataclass
class Change:
    table: str
    kind: str
    detail: str
    bump: str


@dataclass
class TableDiff:
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    # For a first release every row is new: only the count is recorded, not the rows.
    initial_rows: int = 0


@dataclass
class PackageDiff:
    """What changed from one version to the next, by primary key."""

    old_version: str | None
    new_version: str
    schema_changes: list[Change] = field(default_factory=list)
    tables: dict[str, TableDiff] = field(default_factory=dict)
    metadata_changed: bool = False

    @property
    def changes(self) -> list[Change]:
        out = list(self.schema_changes)
        for name, t in self.tables.items():
            if t.removed:
                out.append(
                    Change(name, "rows-removed", f"{len(t.removed)} row(s) removed", "major")
                )
            if t.added:
                out.append(Change(name, "rows-added", f"{len(t.added)} row(s) added", "minor"))
            if t.initial_rows:
                out.append(Change(name, "initial", f"{t.initial_rows} row(s)", "none"))
            if t.changed:
                out.append(
                    Change(name, "rows-changed", f"{len(t.changed)} row(s) corrected", "patch")
                )
        if self.metadata_changed:
            out.append(Change("datapackage.json", "metadata", "package metadata changed", "patch"))
        return out

    @property
    def required_bump(self) -> str:
        return max((c.bump for c in self.changes), key=bump_rank, default="none")

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.old_version,
            "to": self.new_version,
            "required_bump": self.required_bump,
            "schema_changes": [c.__dict__ for c in self.schema_changes],
            "tables": {
                name: {
                    "added": len(t.added) + t.initial_rows,
                    "removed": len(t.removed),
                    "changed": len(t.changed),
                    "rows_added": t.added,
                    "rows_removed": t.removed,
                    "rows_changed": t.changed,
                }
                for name, t in sorted(self.tables.items())
            },
            "metadata_changed": self.metadata_changed,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"

    def summary(self) -> str:
        lines = [f"diff {self.old_version or '(nothing)'} -> {self.new_version}"]
        for c in self.changes:
            lines.append(f"  {c.bump.upper():5}  {c.table}: {c.kind}: {c.detail}")
        if len(lines) == 1:
            lines.append("  no changes")
        lines.append(f"requires at least a {self.required_bump.upper()} bump")
        return "\n".join(lines)


def _constraint_changes(table: str, a: Field, b: Field) -> list[Change]:
    out: list[Change] = []

    def add(kind: str, detail: str, bump: str) -> None:
        out.append(Change(table, kind, f"{a.name}: {detail}", bump))

    if a.required != b.required:
        add(
            "constraint",
            f"required {a.required} -> {b.required}",
            "major" if b.required else "minor",
        )
    if a.unique != b.unique:
        add("constraint", f"unique {a.unique} -> {b.unique}", "major" if b.unique else "minor")
    if a.enum != b.enum:
        old, new = set(a.enum or ()), set(b.enum or ())
        if a.enum is None or (b.enum is not None and not old <= new):
            add("constraint", "enum values removed (tightened)", "major")
        elif b.enum is None or new > old:
            add("constraint", "enum values added or enum dropped (loosened)", "minor")
        else:
            add("constraint", "enum reordered", "patch")
    if a.pattern != b.pattern:
        if b.pattern is None:
            add("constraint", "pattern removed (loosened)", "minor")
        else:
            add("constraint", f"pattern {a.pattern} -> {b.pattern}", "major")
    for name, lo_is_tight in (("minimum", True), ("maximum", False)):
        x, y = getattr(a, name), getattr(b, name)
        if x != y:
            tighter = y is not None and (x is None or (y > x if lo_is_tight else y < x))
            add("constraint", f"{name} {x} -> {y}", "major" if tighter else "minor")
    if a.description != b.description:
        add("description", "description changed", "patch")
    return out


def schema_changes(table: str, old: TableSchema, new: TableSchema) -> list[Change]:
    """Field-level changes between two Table Schemas of one table."""
    out: list[Change] = []
    a_names, b_names = old.field_names, new.field_names
    removed = [n for n in a_names if n not in b_names]
    added = [n for n in b_names if n not in a_names]
    # A field removed and another added at the same position with the same type: a rename.
    for n in list(removed):
        pos = a_names.index(n)
        if pos < len(b_names) and b_names[pos] in added:
            m = b_names[pos]
            if old.field(n).type == new.field(m).type:
                out.append(Change(table, "field-renamed", f"{n} -> {m}", "major"))
                removed.remove(n)
                added.remove(m)
    out += [Change(table, "field-removed", n, "major") for n in removed]
    out += [Change(table, "field-added", n, "minor") for n in added]
    common_a = [n for n in a_names if n in b_names]
    common_b = [n for n in b_names if n in a_names]
    if common_a != common_b:
        out.append(Change(table, "fields-reordered", ", ".join(common_b), "major"))
    elif added and b_names[: len(common_b)] != common_b:
        out.append(Change(table, "field-inserted", "new fields not at the end", "major"))
    for n in common_a:
        fa, fb = old.field(n), new.field(n)
        if fa.type != fb.type:
            out.append(Change(table, "field-retyped", f"{n}: {fa.type} -> {fb.type}", "major"))
        out += _constraint_changes(table, fa, fb)
    if old.primary_key != new.primary_key:
        out.append(Change(table, "primary-key", f"{old.primary_key} -> {new.primary_key}", "major"))
    if set(old.foreign_keys) != set(new.foreign_keys):
        out.append(Change(table, "foreign-keys", "foreign keys changed", "major"))
    return out


def _json_value(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


def table_diff(old: pa.Table, new: pa.Table, schema: TableSchema) -> TableDiff:
    """Rows added, removed and changed, by primary key, with old and new values as text."""
    key = list(schema.primary_key)
    a = canonical_text(old).to_pandas()
    b = canonical_text(new).to_pandas()
    shared = [c for c in a.columns if c in b.columns]
    a, b = a.set_index(key, drop=False), b.set_index(key, drop=False)
    out = TableDiff()
    gone = a.index.difference(b.index)
    new_keys = b.index.difference(a.index)
    both = a.index.intersection(b.index)

    def key_of(row: pd.Series) -> dict[str, Any]:
        return {k: row[k] for k in key}

    for _, row in a.loc[gone].iterrows():
        out.removed.append({"key": key_of(row), "row": {k: _json_value(v) for k, v in row.items()}})
    for _, row in b.loc[new_keys].iterrows():
        out.added.append({"key": key_of(row), "row": {k: _json_value(v) for k, v in row.items()}})
    if len(both):
        left, right = a.loc[both, shared], b.loc[both, shared]
        differs = ~((left == right) | (left.isna() & right.isna()))
        for idx in differs.index[differs.any(axis=1).to_numpy()]:
            cols = [c for c in shared if differs.loc[idx, c]]
            out.changed.append(
                {
                    "key": key_of(b.loc[idx]),
                    "changes": {
                        c: {
                            "old": _json_value(left.loc[idx, c]),
                            "new": _json_value(right.loc[idx, c]),
                        }
                        for c in cols
                    },
                }
            )
    return out


_METADATA_KEYS = (
    "title",
    "description",
    "licenses",
    "contributors",
    "sources",
    "keywords",
    "homepage",
    "temporalCoverage",
    "spatialCoverage",
)


def diff_packages(
    old: DataPackage | None,
    new: DataPackage,
    rows: dict[str, int] | None = None,
    read_new: Callable[[str], pa.Table] | None = None,
) -> PackageDiff:
    """Compare two packages (repository checkouts or release folders).

    ``rows`` (resource name -> rows, as the validator counted them) spares reading a table only
    to count its rows, for a first release; ``read_new`` (resource name -> the typed table, as
    :func:`read_arrow` gives it) spares reading ``new``'s tables again (a build has them)."""
    read_new = read_new or (lambda res: read_arrow(new, res))
    d = PackageDiff(old.version if old else None, new.version)
    new_tables = table_names(new)
    old_tables = table_names(old) if old else {}
    for name in old_tables:
        if name not in new_tables:
            d.schema_changes.append(Change(name, "table-removed", name, "major"))
    for name, res in new_tables.items():
        if old is None:
            n = rows[res] if rows is not None and res in rows else read_arrow(new, res).num_rows
            d.tables[name] = TableDiff(initial_rows=n)
            continue
        new_schema = new.schema(res)
        new_data = read_new(res)
        if name not in old_tables:
            d.schema_changes.append(Change(name, "table-added", name, "minor"))
            d.tables[name] = table_diff(new_data.slice(0, 0), new_data, new_schema)
            continue
        old_schema = old.schema(old_tables[name])
        d.schema_changes += schema_changes(name, old_schema, new_schema)
        if old_schema.primary_key != new_schema.primary_key:
            continue  # rows cannot be matched by key; the key change already forces MAJOR
        old_data = read_arrow(old, old_tables[name])
        d.tables[name] = table_diff(old_data, new_data, new_schema)
    if old is not None:
        d.metadata_changed = any(
            old.descriptor.get(k) != new.descriptor.get(k) for k in _METADATA_KEYS
        )
    return d
