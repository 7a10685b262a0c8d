"""The hostile corpus's machinery: the scratch context, the case record, the mutations of a
package and the builders of cases. The cases themselves are in hostile_*.py, one module per
family; hostile_cases.py gathers them. Run by test_hostile.py.

Each case prepares its inputs in a scratch folder (``Ctx``) and returns the command line. The
package, release and published tree it starts from are copies of ones built once per session.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from semver import Version

from belarus_timeline.package import bundled_version
from helpers import ROOT

Mutation = Callable[[Path], None]
Rows = list[list[str]]
SOURCE = "sources/wapo-2023-02-17-putin-lukashenko-moscow.txt"
#: The version the data has now, and the session's release: one patch above it, so that it is
#: not in the installed registry and never lower than a recorded version.
CURRENT = bundled_version()
VERSION = str(Version.parse(CURRENT).bump_patch())


@dataclass
class Ctx:
    """Where a case works: a scratch folder, and the session's templates to copy from."""

    dir: Path
    template: Path  # a valid package
    release: Path  # a built release of it (version VERSION, tables only)
    registry: Path  # the registry that recorded the release
    www: Path  # the root the session's HTTP server serves
    url: str  # that server's URL

    def pkg(self, name: str = "pkg") -> Path:
        dest = self.dir / name
        shutil.copytree(self.template, dest)
        return dest

    def rel(self, name: str = "rel") -> Path:
        dest = self.dir / name
        shutil.copytree(self.release, dest)
        return dest

    def site(self, name: str) -> str:
        """A private copy of the published tree on the server; its base URL."""
        dest = self.www / name
        shutil.copytree(self.www / "_published", dest)
        return f"{self.url}/{name}"


@dataclass(frozen=True)
class Case:
    id: str
    family: str
    run: Callable[[Ctx], list[str]]
    exit: int
    code: str | None = None  # a finding code the report must hold (validate)
    file: str | None = None  # ... naming this file,
    row: int | None = None  # ... this row,
    field: str | None = None  # ... and this field
    says: str | None = None  # text the answer must contain (JSON on stdout, or stderr)
    creates: bool = False  # the command may write new files (a success that builds something)
    absent: str | None = None  # a finding code the report must not hold
    after: Callable[[Ctx], None] | None = None  # more checks once the command has run


# --- mutations of a package -------------------------------------------------------------------


def read_rows(path: Path) -> Rows:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def write_rows(path: Path, rows: Rows) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8"))


def rows(table: str, change: Callable[[Rows], None]) -> Mutation:
    def run(root: Path) -> None:
        path = root / "data" / f"{table}.csv"
        r = read_rows(path)
        change(r)
        write_rows(path, r)

    return run


def cell(table: str, row: int, field: str, value: str) -> Mutation:
    """Set one cell; ``row`` counts as frictionless does (the header is row 1)."""

    def change(r: Rows) -> None:
        r[row - 1][r[0].index(field)] = value

    return rows(table, change)


def cells(*mutations: Mutation) -> Mutation:
    def run(root: Path) -> None:
        for m in mutations:
            m(root)

    return run


def raw(path: str, change: Callable[[bytes], bytes]) -> Mutation:
    def run(root: Path) -> None:
        p = root / path
        p.write_bytes(change(p.read_bytes()))

    return run


def replace(path: str, old: bytes, new: bytes, count: int = 1) -> Mutation:
    def change(data: bytes) -> bytes:
        assert old in data, (path, old)
        return data.replace(old, new, count)

    return raw(path, change)


def put(path: str, data: bytes) -> Mutation:
    def run(root: Path) -> None:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)

    return run


def json_edit(path: str, change: Callable[[Any], Any]) -> Mutation:
    def run(root: Path) -> None:
        p = root / path
        d = json.loads(p.read_text(encoding="utf-8"))
        change(d)  # in place
        p.write_text(json.dumps(d, indent=2, ensure_ascii=False), encoding="utf-8")

    return run


def desc(change: Callable[[dict[str, Any]], Any]) -> Mutation:
    return json_edit("datapackage.json", change)


def resource(which: str, **changes: Any) -> Mutation:
    def change(d: dict[str, Any]) -> None:
        (r,) = [r for r in d["resources"] if r["name"] == which]
        for k, v in changes.items():
            if v is _DROP:
                r.pop(k, None)
            else:
                r[k] = v

    return desc(change)


def dialect(which: str, **changes: Any) -> Mutation:
    def change(d: dict[str, Any]) -> None:
        (r,) = [r for r in d["resources"] if r["name"] == which]
        r["dialect"].update(changes)

    return desc(change)


_DROP = object()


def schema(table: str, change: Callable[[dict[str, Any]], Any]) -> Mutation:
    return json_edit(f"schema/{table}.json", change)


def field(table: str, which: str, **changes: Any) -> Mutation:
    def change(s: dict[str, Any]) -> None:
        (f,) = [f for f in s["fields"] if f["name"] == which]
        for k, v in changes.items():
            if v is _DROP:
                f.pop(k, None)
            else:
                f[k] = v

    return schema(table, change)


def constraint(table: str, name: str, **changes: Any) -> Mutation:
    def change(s: dict[str, Any]) -> None:
        (f,) = [f for f in s["fields"] if f["name"] == name]
        f.setdefault("constraints", {}).update(changes)

    return schema(table, change)


def unlink(path: str) -> Mutation:
    return lambda root: (root / path).unlink()


def deep_json(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


# --- case builders ----------------------------------------------------------------------------


def V(  # a case of `validate` on a broken copy of the package
    id: str,
    family: str,
    mutate: Mutation,
    code: str | None,
    file: str | None = None,
    row: int | None = None,
    fld: str | None = None,
    *,
    exit: int = 1,
    says: str | None = None,
    extra: tuple[str, ...] = (),
) -> Case:
    def run(ctx: Ctx) -> list[str]:
        root = ctx.pkg()
        mutate(root)
        return ["validate", str(root), *extra]

    return Case(id, family, run, exit, code, file, row, fld, says)


def RV(  # `validate` on a tampered release (texts from the package copy)
    id: str,
    mutate: Mutation,
    code: str | None,
    file: str | None = None,
    *,
    exit: int = 1,
    absent: str | None = None,
) -> Case:
    def run(ctx: Ctx) -> list[str]:
        rel = ctx.rel()
        mutate(rel)
        return ["validate", str(rel), "--sources", str(ctx.template)]

    return Case(id, "release", run, exit, code, file, absent=absent)


def VF(  # `verify` of a tampered release against the session's registry
    id: str, mutate: Mutation, says: str, *, exit: int = 1, registry: bool = True
) -> Case:
    def run(ctx: Ctx) -> list[str]:
        rel = ctx.rel()
        mutate(rel)
        return ["verify", str(rel), *(["--registry", str(ctx.registry)] if registry else [])]

    return Case(id, "release", run, exit, says=says)


def PB(id: str, mutate: Mutation, says: str, *, exit: int = 1) -> Case:
    """`publish` of a tampered release."""

    def run(ctx: Ctx) -> list[str]:
        rel = ctx.rel()
        mutate(rel)
        to = ctx.dir / "www"
        return ["publish", str(rel), "--to", str(to), "--registry", str(ctx.registry)]

    return Case(id, "release", run, exit, says=says)


def CLI(  # a command line, with the package copy at {pkg} and a release at {rel}
    id: str,
    family: str,
    argv: list[str],
    exit: int,
    says: str | None = None,
    *,
    prepare: Callable[[Ctx], None] | None = None,
    creates: bool = False,
) -> Case:
    def run(ctx: Ctx) -> list[str]:
        values = {"dir": str(ctx.dir), "url": ctx.url, "registry": str(ctx.registry)}
        if any("{pkg}" in a for a in argv):
            values["pkg"] = str(ctx.pkg())
        if any("{rel}" in a for a in argv):
            values["rel"] = str(ctx.rel())
        if prepare is not None:
            prepare(ctx)
        return [a.format(**values) for a in argv]

    return Case(id, family, run, exit, says=says, creates=creates)


# Files of the package that cases break.
ACTORS = "data/actors.csv"
EVENTS = "data/events.csv"
PLACES = "data/places.csv"
QUOTES = "data/quotes.csv"
SOURCES = "data/sources.csv"
CLAIMS = "data/claims.csv"
EVIDENCE = "data/evidence.csv"
STATEMENTS = "data/statements.csv"
LINKS = "data/event_links.csv"
ALIASES = "data/actor_aliases.csv"
PARTICIPANTS = "data/participants.csv"
FURNITURE = "data/source_furniture.csv"
DP = "datapackage.json"
SE = "schema/events.json"
ACTORS_PQ = "parquet/actors.parquet"


def VC(  # one cell set to a bad value, found at that very cell
    id: str, table: str, row: int, fld: str, value: str, code: str, *, family: str = "values"
) -> Case:
    return V(id, family, cell(table, row, fld, value), code, f"data/{table}.csv", row, fld)


def at(table: str, name: str, suffix: str = "") -> str:
    """The JSON path of a field in the repository's Table Schema (``fields[3].type``), found by
    name: the cases do not pin a field's position, which grows with the data model."""
    fields = json.loads((ROOT / "schema" / f"{table}.json").read_text(encoding="utf-8"))["fields"]
    return f"fields[{[f['name'] for f in fields].index(name)}]{suffix}"


def row_where(table: str, name: str, value: str) -> int:
    """The row number (header = 1, as findings count) of the first row of the repository's
    ``data/<table>.csv`` whose ``name`` is ``value``: cases find their row, never pin it."""
    with (ROOT / "data" / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        for number, row in enumerate(csv.DictReader(fh), start=2):
            if row[name] == value:
                return number
    raise LookupError(f"no row of {table} has {name} = {value!r}")
