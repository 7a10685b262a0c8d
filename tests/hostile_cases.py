"""The hostile corpus: bad inputs a user (or an attacker) can give the toolkit, and what each must
get back. Run by test_hostile.py; every case asserts the exit code, no traceback, valid JSON
with --json, the file/row/field named where one applies, and that no input file changed.

Each case prepares its inputs in a scratch folder (``Ctx``) and returns the command line. The
package, release and published tree it starts from are copies of ones built once per session.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Mutation = Callable[[Path], None]
Rows = list[list[str]]
SOURCE = "sources/wapo-2023-02-17-putin-lukashenko-moscow.txt"
VERSION = "1.0.1"  # the session's release (not in the installed registry)


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


# --- CSV bytes ---------------------------------------------------------------------------------

ACTORS = "data/actors.csv"
EVENTS = "data/events.csv"
PLACES = "data/places.csv"
QUOTES = "data/quotes.csv"


def _lines(path: str, change: Callable[[list[bytes]], None]) -> Mutation:
    def edit(data: bytes) -> bytes:
        lines = data.split(b"\n")
        change(lines)
        return b"\n".join(lines)

    return raw(path, edit)


def _insert(at: int, line: bytes) -> Callable[[list[bytes]], None]:
    return lambda lines: lines.insert(at, line)


def _quote_field_open(lines: list[bytes]) -> None:
    # A stray opening quote at the start of a cell, closed by nothing on its line.
    lines[2] = lines[2].replace(b",Alexander Lukashenko,", b',"Alexander Lukashenko,', 1)


def _quote_swallow(lines: list[bytes]) -> None:
    # A stray quote opens a cell that a later quote closes: the lines between are swallowed.
    lines[2] = lines[2].replace(b",Alexander Lukashenko,", b',"Alexander Lukashenko,', 1)
    lines[4] = lines[4] + b'"'


def _quote_swallow_last(lines: list[bytes]) -> None:
    # The same in the last column: the row keeps its width, its cell holds the next lines.
    lines[2] = lines[2].replace(b",Q2866", b',"Q2866', 1)
    lines[4] = lines[4] + b'"'


CSV_CASES = [
    V("blank-line", "csv", _lines(ACTORS, _insert(3, b"")), "blank-row", ACTORS, 4),
    V(
        "blank-lines-at-end",
        "csv",
        raw(ACTORS, lambda d: d + b"\n\n"),
        "blank-row",
        ACTORS,
        None,
    ),
    V("only-commas-line", "csv", _lines(ACTORS, _insert(2, b",,,,,")), "blank-row", ACTORS, 3),
    V(
        "spaces-line",
        "csv",
        _lines(ACTORS, _insert(2, b"   ")),
        "missing-cell",
        ACTORS,
        3,
    ),
    V("blank-line-events", "csv", _lines(EVENTS, _insert(2, b"")), "blank-row", EVENTS, 3),
    V(
        "row-after-blank-line-keeps-its-number",
        "csv",
        cells(cell("actors", 4, "country", "XX"), _lines(ACTORS, _insert(2, b""))),
        "constraint-error",
        ACTORS,
        5,
        "country",
    ),
    V(
        "row-after-short-row-keeps-its-number",
        "csv",
        cells(
            cell("places", 5, "latitude", "999"),
            rows("places", lambda r: r.__setitem__(1, r[1][:-1])),
        ),
        "constraint-error",
        PLACES,
        5,
        "latitude",
    ),
    V(
        "duplicate-header",
        "csv",
        _lines(ACTORS, lambda ls: ls.__setitem__(0, ls[0].replace(b"role", b"name"))),
        "duplicate-label",
        ACTORS,
        1,
        "name",
    ),
    V(
        "empty-header-cell",
        "csv",
        _lines(ACTORS, lambda ls: ls.__setitem__(0, ls[0].replace(b"role", b""))),
        "extra-label",
        ACTORS,
        1,
        "",
    ),
    V(
        "header-case",
        "csv",
        _lines(ACTORS, lambda ls: ls.__setitem__(0, ls[0].replace(b"actor_id", b"Actor_ID"))),
        "missing-label",
        ACTORS,
        1,
        "actor_id",
    ),
    V(
        "header-space",
        "csv",
        _lines(ACTORS, lambda ls: ls.__setitem__(0, ls[0].replace(b"kind", b" kind"))),
        "extra-label",
        ACTORS,
        1,
        " kind",
    ),
    V(
        "header-only",
        "csv",
        _lines(ACTORS, lambda ls: ls.__delitem__(slice(1, None))),
        "empty-table",
        ACTORS,
    ),
    V("empty-file", "csv", put(ACTORS, b""), "source-error", ACTORS),
    V("unterminated-quote", "csv", _lines(ACTORS, _quote_field_open), "source-error", ACTORS),
    V(
        "stray-quote-swallows-lines",
        "csv",
        _lines(ACTORS, _quote_swallow),
        "missing-cell",
        ACTORS,
        3,
    ),
    V(
        "stray-quote-swallows-last-cells",
        "csv",
        _lines(ACTORS, _quote_swallow_last),
        "control-character",
        ACTORS,
        3,
        "wikidata_qid",
    ),
    V(
        "bare-quote-in-cell",
        "csv",
        replace(ACTORS, b"Vladimir Putin", b'Vladimir "Putin'),
        "source-error",
        ACTORS,
    ),
    V("row-too-long", "csv", rows("actors", lambda r: r[2].append("x")), "extra-cell", ACTORS, 3),
    V(
        "row-too-short",
        "csv",
        rows("actors", lambda r: r.__setitem__(2, r[2][:3])),
        "missing-cell",
        ACTORS,
        3,
        "role",
    ),
    V(
        "trailing-comma-everywhere",
        "csv",
        raw(ACTORS, lambda d: d.replace(b"\n", b",\n")),
        "extra-label",
        ACTORS,
        1,
        "",
    ),
    V(
        "nul-in-cell",
        "csv",
        replace(ACTORS, b"Vladimir Putin", b"Vladimir\x00Putin"),
        "control-character",
        ACTORS,
        2,
        "name",
    ),
    V(
        "nul-in-header",
        "csv",
        replace(ACTORS, b"actor_id", b"actor\x00id"),
        "missing-label",
        ACTORS,
        1,
        "actor_id",
    ),
    V(
        "latin-1",
        "csv",
        replace(ACTORS, b"Vladimir", "Vl\xe4dimir".encode("latin-1")),
        "encoding-error",
        ACTORS,
    ),
    V(
        "utf-16",
        "csv",
        raw(ACTORS, lambda d: d.decode("utf-8").encode("utf-16")),
        "encoding-error",
        ACTORS,
    ),
    V(
        "encoded-surrogate",
        "csv",
        replace(ACTORS, b"Vladimir", b"Vl\xed\xa0\x80dimir"),
        "encoding-error",
        ACTORS,
    ),
    V(
        "overlong-utf8",
        "csv",
        replace(ACTORS, b"Vladimir", b"Vl\xc0\xafdimir"),
        "encoding-error",
        ACTORS,
    ),
    V(
        "truncated-utf8",
        "csv",
        raw(ACTORS, lambda d: d + "Ж".encode()[:1]),
        "encoding-error",
        ACTORS,
    ),
    V(
        "tab-delimited",
        "csv",
        raw(ACTORS, lambda d: d.replace(b",", b"\t")),
        "missing-label",
        ACTORS,
        1,
        "name",
    ),
    V(
        "semicolon-delimited",
        "csv",
        raw(ACTORS, lambda d: d.replace(b",", b";")),
        "missing-label",
        ACTORS,
        1,
        "name",
    ),
    V(
        "line-break-in-title",
        "csv",
        cell("events", 3, "title", "Lukashenko news\nconference"),
        "control-character",
        EVENTS,
        3,
        "title",
    ),
    V(
        "carriage-return-in-quoted-cell",
        "csv",
        replace(ACTORS, b"leader of Russia", b'"leader\rof Russia"'),
        "control-character",
        ACTORS,
        2,
        "role",
    ),
    V(
        "bare-carriage-return-ends-the-row",
        "csv",
        replace(ACTORS, b"leader of Russia", b"leader\rof Russia"),
        "missing-cell",
        ACTORS,
        2,
        "wikidata_qid",
    ),
    V(
        "data-file-is-a-folder",
        "csv",
        lambda root: (unlink(ACTORS)(root), (root / ACTORS).mkdir()),
        "missing-file",
        ACTORS,
    ),
    V("data-file-missing", "csv", unlink(ACTORS), "missing-file", ACTORS),
    V(
        "data-file-links-outside",
        "csv",
        lambda root: (unlink(ACTORS)(root), (root / ACTORS).symlink_to("/etc/hostname")),
        "unsafe-path",
        "datapackage.json",
        None,
        "path",
    ),
    # Line ends and a BOM the reader honours: the same table, read the same.
    V("crlf-line-ends", "csv", raw(ACTORS, lambda d: d.replace(b"\n", b"\r\n")), None, exit=0),
    V("cr-line-ends", "csv", raw(ACTORS, lambda d: d.replace(b"\n", b"\r")), None, exit=0),
    V(
        "cr-line-ends-everywhere",
        "csv",
        lambda root: [
            raw(f"data/{p.name}", lambda d: d.replace(b"\n", b"\r"))(root)
            for p in (root / "data").iterdir()
        ],
        None,
        exit=0,
    ),
    V("utf8-bom", "csv", raw(ACTORS, lambda d: b"\xef\xbb\xbf" + d), None, exit=0),
    V("no-final-newline", "csv", raw(ACTORS, lambda d: d.rstrip(b"\n")), None, exit=0),
]


# --- values ------------------------------------------------------------------------------------

SOURCES = "data/sources.csv"
CLAIMS = "data/claims.csv"
EVIDENCE = "data/evidence.csv"
LINKS = "data/event_links.csv"
ALIASES = "data/actor_aliases.csv"
PARTICIPANTS = "data/participants.csv"
FURNITURE = "data/source_furniture.csv"


def VC(  # one cell set to a bad value, found at that very cell
    id: str, table: str, row: int, fld: str, value: str, code: str, *, family: str = "values"
) -> Case:
    return V(id, family, cell(table, row, fld, value), code, f"data/{table}.csv", row, fld)


VALUE_CASES = [
    VC("date-slashes", "events", 3, "start_date", "2023/02/16", "type-error"),
    VC("date-european", "events", 3, "start_date", "16.02.2023", "type-error"),
    VC("date-unpadded", "events", 3, "start_date", "2023-2-16", "type-error"),
    VC("date-not-leap", "events", 3, "end_date", "2023-02-29", "type-error"),
    VC("date-year-zero", "events", 3, "start_date", "0000-01-01", "type-error"),
    VC("date-with-time", "events", 3, "start_date", "2023-02-16T00:00:00", "type-error"),
    VC("date-month-13", "quotes", 2, "said_on", "2023-13-01", "type-error"),
    VC("date-words", "claims", 2, "stated_on", "yesterday", "type-error"),
    VC("integer-decimal", "quotes", 2, "char_start", "902.0", "type-error"),
    VC("integer-exponent", "quotes", 2, "char_start", "9e2", "type-error"),
    VC("integer-above-int64", "quotes", 2, "char_end", "99999999999999999999", "type-error"),
    VC("integer-below-int64", "places", 2, "geonames_id", "-99999999999999999999", "type-error"),
    VC("integer-arabic-digits", "quotes", 2, "char_start", "٩٠٢", "type-error"),
    VC("integer-hex", "quotes", 2, "char_start", "0x386", "type-error"),
    VC("integer-sign-only", "quotes", 2, "char_start", "+", "type-error"),
    VC("integer-below-minimum", "quotes", 2, "char_start", "-1", "constraint-error"),
    VC("integer-geonames-zero", "places", 2, "geonames_id", "0", "constraint-error"),
    VC("number-nan", "places", 2, "latitude", "NaN", "type-error"),
    VC("number-infinity", "places", 2, "latitude", "inf", "type-error"),
    VC("number-overflows-to-infinity", "claims", 2, "value", "1e999", "type-error"),
    VC("number-decimal-comma", "places", 2, "latitude", "53,9", "type-error"),
    VC("latitude-above-90", "places", 2, "latitude", "90.5", "constraint-error"),
    VC("latitude-below-minus-90", "places", 2, "latitude", "-91", "constraint-error"),
    VC("longitude-above-180", "places", 2, "longitude", "180.01", "constraint-error"),
    VC("uri-without-scheme", "sources", 2, "url", "www.washingtonpost.com/x", "type-error"),
    VC("uri-with-space", "sources", 2, "url", "https://example.org/a b", "type-error"),
    VC("enum-wrong-case", "events", 2, "status", "Occurred", "constraint-error"),
    VC("enum-trailing-space", "events", 2, "status", "occurred ", "constraint-error"),
    VC("enum-homoglyph", "events", 2, "status", "\u043eccurred", "constraint-error"),
    VC("enum-unknown-role", "participants", 2, "role", "bystander", "constraint-error"),
    VC("pattern-country-two-letters", "actors", 2, "country", "RU", "constraint-error"),
    VC("pattern-country-lowercase", "actors", 2, "country", "rus", "constraint-error"),
    VC("pattern-id-uppercase", "actors", 2, "actor_id", "Vladimir-Putin", "constraint-error"),
    VC(
        "pattern-id-zero-width-space",
        "actors",
        2,
        "actor_id",
        "vladimir\u200b-putin",
        "constraint-error",
    ),
    VC("pattern-id-homoglyph", "actors", 2, "actor_id", "vl\u0430dimir-putin", "constraint-error"),
    VC("pattern-qid-zero", "actors", 2, "wikidata_qid", "Q0", "constraint-error"),
    VC("pattern-qid-lowercase", "actors", 2, "wikidata_qid", "q7747", "constraint-error"),
    VC("pattern-language", "sources", 2, "language", "EN", "constraint-error"),
    VC("pattern-script", "actor_aliases", 2, "script", "latn", "constraint-error"),
    VC("pattern-sha256-uppercase", "sources", 2, "sha256", "D" * 64, "constraint-error"),
    VC(
        "pattern-archive-path-escapes",
        "sources",
        2,
        "archive_path",
        "../etc/passwd",
        "constraint-error",
    ),
    VC("pattern-cameo-letters", "events", 2, "cameo_code", "abc", "constraint-error"),
    VC("pattern-edtf-garbage", "events", 2, "edtf", "Feb 2022", "constraint-error"),
    VC("required-empty", "events", 2, "title", "", "constraint-error"),
    VC("required-id-empty", "actors", 3, "actor_id", "", "constraint-error"),
    VC("whitespace-only-required", "events", 2, "summary", "   ", "whitespace-only"),
    VC("nbsp-only", "actors", 2, "role", "\u00a0", "whitespace-only"),
    VC("tab-only", "actors", 2, "role", "\t", "control-character"),
    VC("formula-equals", "events", 2, "summary", "=1+1", "formula-injection"),
    VC("formula-plus", "actors", 2, "role", "+7 leader", "formula-injection"),
    VC("formula-minus", "actors", 2, "role", "-leader", "formula-injection"),
    VC("formula-at", "actors", 2, "role", "@SUM(A1)", "formula-injection"),
    VC("formula-tab", "actors", 2, "role", "\tleader", "formula-injection"),
    VC("control-escape", "actors", 2, "name", "Vladimir \x1b[31mPutin", "control-character"),
    VC("control-bell", "events", 2, "title", "Invasion\x07", "control-character"),
    VC("control-delete", "events", 2, "summary", "Putin used\x7f forces", "control-character"),
    VC("control-c1-next-line", "actors", 2, "role", "leader\u0085of Russia", "control-character"),
    VC("control-in-excerpt", "evidence", 2, "excerpt", "A year ago\x00", "control-character"),
    VC("bidi-override", "actors", 2, "name", "Vladimir \u202eniktuP", "bidi-control"),
    VC("bidi-embedding", "events", 2, "title", "\u202aRussia launches", "bidi-control"),
    VC("bidi-isolate", "actors", 2, "role", "leader \u2066of\u2069 Russia", "bidi-control"),
    VC("bidi-first-strong-isolate", "places", 2, "name", "Minsk\u2068", "bidi-control"),
    VC(
        "bidi-in-quote",
        "quotes",
        2,
        "text",
        "\u202e“By the way, I watched your news conference yesterday,”",
        "bidi-control",
    ),
    VC("period-month-13", "claims", 2, "period", "2022-13", "invalid-edtf"),
    VC("period-month-zero", "claims", 2, "period", "2022-00", "invalid-edtf"),
    VC("period-february-30", "claims", 2, "period", "2023-02-30", "invalid-edtf"),
    VC("period-not-edtf", "claims", 2, "period", "last year", "constraint-error"),
]


# --- references ------------------------------------------------------------------------------


def _dup(table: str, row: int) -> Mutation:
    return rows(table, lambda r: r.append(list(r[row - 1])))


REFERENCE_CASES = [
    VC(
        "fk-participant-event",
        "participants",
        2,
        "event_id",
        "no-such-event",
        "foreign-key",
        family="references",
    ),
    VC(
        "fk-participant-actor",
        "participants",
        2,
        "actor_id",
        "nobody",
        "foreign-key",
        family="references",
    ),
    VC(
        "fk-quote-event",
        "quotes",
        2,
        "event_id",
        "no-such-event",
        "foreign-key",
        family="references",
    ),
    VC("fk-quote-speaker", "quotes", 2, "speaker_id", "nobody", "foreign-key", family="references"),
    VC(
        "fk-quote-addressee",
        "quotes",
        2,
        "addressee_id",
        "nobody",
        "foreign-key",
        family="references",
    ),
    VC(
        "fk-quote-source", "quotes", 2, "source_id", "no-source", "foreign-key", family="references"
    ),
    VC(
        "fk-claim-claimant",
        "claims",
        2,
        "claimant_id",
        "nobody",
        "foreign-key",
        family="references",
    ),
    VC(
        "fk-claim-event",
        "claims",
        2,
        "event_id",
        "no-such-event",
        "foreign-key",
        family="references",
    ),
    VC(
        "fk-link-from",
        "event_links",
        2,
        "from_event_id",
        "no-such-event",
        "foreign-key",
        family="references",
    ),
    VC(
        "fk-link-to",
        "event_links",
        2,
        "to_event_id",
        "no-such-event",
        "foreign-key",
        family="references",
    ),
    VC(
        "fk-evidence-event",
        "evidence",
        2,
        "event_id",
        "no-such-event",
        "foreign-key",
        family="references",
    ),
    VC(
        "fk-evidence-source",
        "evidence",
        2,
        "source_id",
        "no-source",
        "foreign-key",
        family="references",
    ),
    VC("fk-event-place", "events", 3, "place_id", "atlantis", "foreign-key", family="references"),
    VC(
        "fk-place-within",
        "places",
        2,
        "within_place_id",
        "atlantis",
        "foreign-key",
        family="references",
    ),
    VC(
        "fk-alias-actor",
        "actor_aliases",
        2,
        "actor_id",
        "nobody",
        "foreign-key",
        family="references",
    ),
    VC(
        "fk-furniture-source",
        "source_furniture",
        2,
        "source_id",
        "no-source",
        "foreign-key",
        family="references",
    ),
    VC(
        "fk-case-differs",
        "participants",
        2,
        "actor_id",
        "Vladimir-putin",
        "foreign-key",
        family="references",
    ),
    V("pk-events-repeated", "references", _dup("events", 3), "primary-key", EVENTS, 8, "event_id"),
    V(
        "unique-quote-id-repeated",
        "references",
        _dup("quotes", 2),
        "unique-error",
        QUOTES,
        None,
        "quote_id",
    ),
    V(
        "pk-composite-participants",
        "references",
        _dup("participants", 2),
        "primary-key",
        PARTICIPANTS,
        None,
        "event_id, actor_id, role",
    ),
    V(
        "pk-composite-aliases",
        "references",
        _dup("actor_aliases", 3),
        "primary-key",
        ALIASES,
        None,
        "actor_id, alias",
    ),
    V("pk-furniture", "references", _dup("source_furniture", 2), "primary-key", FURNITURE, None),
    V("pk-sources", "references", _dup("sources", 2), "primary-key", SOURCES, 3, "source_id"),
]


# --- descriptor --------------------------------------------------------------------------------

DP = "datapackage.json"


def _drop_resource(name: str) -> Mutation:
    return desc(
        lambda d: d.__setitem__("resources", [r for r in d["resources"] if r["name"] != name])
    )


DESCRIPTOR_CASES = [
    V("descriptor-not-json", "descriptor", put(DP, b"{not json"), "package-error", DP),
    V("descriptor-empty", "descriptor", put(DP, b""), "package-error", DP),
    V("descriptor-a-list", "descriptor", put(DP, b"[]"), "package-error", DP),
    V("descriptor-null", "descriptor", put(DP, b"null"), "package-error", DP),
    V("descriptor-deeply-nested", "descriptor", put(DP, deep_json(100_000)), "package-error", DP),
    V(
        "descriptor-nested-in-a-value",
        "descriptor",
        replace(DP, b'"keywords": [', b'"keywords": [' + deep_json(100_000) + b","),
        "package-error",
        DP,
    ),
    V(
        "descriptor-not-utf8",
        "descriptor",
        replace(DP, "Putin\u2013Lukashenko".encode(), b"Putin\x96Lukashenko"),
        "package-error",
        DP,
    ),
    V("descriptor-missing", "descriptor", unlink(DP), "package-error", DP),
    V(
        "resources-not-a-list",
        "descriptor",
        desc(lambda d: d.__setitem__("resources", {})),
        "package-error",
        DP,
    ),
    V(
        "resources-empty",
        "descriptor",
        desc(lambda d: d.__setitem__("resources", [])),
        "missing-table",
        DP,
        None,
        "resources",
    ),
    V(
        "evidence-dropped",
        "descriptor",
        _drop_resource("evidence"),
        "missing-table",
        DP,
        None,
        "resources",
    ),
    V(
        "sources-dropped",
        "descriptor",
        _drop_resource("sources"),
        "missing-table",
        DP,
        None,
        "resources",
    ),
    V(
        "resource-a-string",
        "descriptor",
        desc(lambda d: d["resources"].append("events")),
        "package-error",
        DP,
    ),
    V("resource-without-path", "descriptor", resource("events", path=_DROP), "package-error", DP),
    V(
        "resource-path-a-list",
        "descriptor",
        resource("events", path=["data/events.csv"]),
        "package-error",
        DP,
    ),
    V(
        "resource-path-absolute",
        "descriptor",
        resource("events", path="/etc/passwd"),
        "unsafe-path",
        DP,
        None,
        "path",
    ),
    V(
        "resource-path-parent",
        "descriptor",
        resource("events", path="../events.csv"),
        "unsafe-path",
        DP,
        None,
        "path",
    ),
    V(
        "resource-path-home",
        "descriptor",
        resource("events", path="~/events.csv"),
        "unsafe-path",
        DP,
        None,
        "path",
    ),
    V(
        "resource-path-url",
        "descriptor",
        resource("events", path="https://example.org/events.csv"),
        "unsafe-path",
        DP,
        None,
        "path",
    ),
    V(
        "resource-path-hidden",
        "descriptor",
        resource("events", path="data/.events.csv"),
        "unsafe-path",
        DP,
        None,
        "path",
    ),
    V(
        "resource-path-backslash",
        "descriptor",
        resource("events", path="data\\events.csv"),
        "unsafe-path",
        DP,
        None,
        "path",
    ),
    V(
        "resource-path-variable",
        "descriptor",
        resource("events", path="$HOME/events.csv"),
        "unsafe-path",
        DP,
        None,
        "path",
    ),
    V(
        "resource-name-escapes",
        "descriptor",
        resource("events", name="../evil"),
        "resource-error",
        DP,
        None,
        "resources.../evil.name",
    ),
    V(
        "resource-name-uppercase",
        "descriptor",
        resource("events", name="Events"),
        "resource-error",
        DP,
        None,
        "resources.Events.name",
    ),
    V("resource-name-number", "descriptor", resource("events", name=7), "resource-error", DP),
    V(
        "resource-duplicated",
        "descriptor",
        desc(lambda d: d["resources"].append(dict(d["resources"][0]))),
        "duplicate-resource",
        DP,
        None,
        "name",
    ),
    V(
        "resource-format-xlsx",
        "descriptor",
        resource("events", format="xlsx"),
        "resource-error",
        DP,
        None,
        "resources.events.format",
    ),
    V(
        "resource-format-says-parquet",
        "descriptor",
        resource("events", format="parquet"),
        "resource-error",
        DP,
        None,
        "resources.events.format",
    ),
    V(
        "resource-inline-data",
        "descriptor",
        resource("events", data=[["x"]]),
        "resource-error",
        DP,
        None,
        "resources.events.data",
    ),
    V(
        "resource-without-schema",
        "descriptor",
        resource("events", schema=_DROP),
        "resource-error",
        DP,
        None,
        "resources.events.schema",
    ),
    V(
        "resource-hash-malformed",
        "descriptor",
        resource("events", hash="sha256:zz"),
        "resource-error",
        DP,
        None,
        "resources.events.hash",
    ),
    V(
        "resource-hash-unknown-algorithm",
        "descriptor",
        resource("events", hash="crc32:" + "0" * 8),
        "resource-error",
        DP,
        None,
        "resources.events.hash",
    ),
    V(
        "resource-bytes-negative",
        "descriptor",
        resource("events", bytes=-1),
        "resource-error",
        DP,
        None,
        "resources.events.bytes",
    ),
    V(
        "resource-bytes-a-string",
        "descriptor",
        resource("events", bytes="many"),
        "resource-error",
        DP,
        None,
        "resources.events.bytes",
    ),
    V(
        "resource-bytes-wrong",
        "descriptor",
        resource("events", bytes=1),
        "byte-count",
        EVENTS,
        None,
        "bytes",
    ),
    V(
        "resource-hash-wrong",
        "descriptor",
        resource("events", hash="sha256:" + "0" * 64),
        "hash-count",
        EVENTS,
        None,
        "hash",
    ),
    V(
        "resource-md5-wrong",
        "descriptor",
        resource("events", hash="0" * 32),
        "hash-count",
        EVENTS,
        None,
        "hash",
    ),
    V(
        "resource-description-a-number",
        "descriptor",
        resource("events", description=5),
        "resource-error",
        DP,
    ),
    V(
        "encoding-utf16",
        "descriptor",
        resource("events", encoding="utf-16"),
        "dialect-error",
        DP,
        None,
        "resources.events.encoding",
    ),
    V(
        "encoding-latin1",
        "descriptor",
        resource("events", encoding="latin-1"),
        "dialect-error",
        DP,
        None,
        "resources.events.encoding",
    ),
    V(
        "compression-gzip",
        "descriptor",
        resource("events", compression="gz"),
        "dialect-error",
        DP,
        None,
        "resources.events.compression",
    ),
    V(
        "dialect-semicolon",
        "descriptor",
        dialect("events", delimiter=";"),
        "dialect-error",
        DP,
        None,
        "resources.events.dialect.delimiter",
    ),
    V(
        "dialect-tab",
        "descriptor",
        dialect("events", delimiter="\t"),
        "dialect-error",
        DP,
        None,
        "resources.events.dialect.delimiter",
    ),
    V(
        "dialect-no-header",
        "descriptor",
        dialect("events", header=False),
        "dialect-error",
        DP,
        None,
        "resources.events.dialect.header",
    ),
    V(
        "dialect-two-header-rows",
        "descriptor",
        dialect("events", headerRows=[1, 2]),
        "dialect-error",
        DP,
        None,
        "resources.events.dialect.headerRows",
    ),
    V(
        "dialect-single-quote",
        "descriptor",
        dialect("events", quoteChar="'"),
        "dialect-error",
        DP,
        None,
        "resources.events.dialect.quoteChar",
    ),
    V(
        "dialect-no-double-quote",
        "descriptor",
        dialect("events", doubleQuote=False),
        "dialect-error",
        DP,
        None,
        "resources.events.dialect.doubleQuote",
    ),
    V(
        "dialect-escape-char",
        "descriptor",
        dialect("events", escapeChar="\\"),
        "dialect-error",
        DP,
        None,
        "resources.events.dialect.escapeChar",
    ),
    V(
        "dialect-comment-char",
        "descriptor",
        dialect("events", commentChar="#"),
        "dialect-error",
        DP,
        None,
        "resources.events.dialect.commentChar",
    ),
    V(
        "dialect-skip-initial-space",
        "descriptor",
        dialect("events", skipInitialSpace=True),
        "dialect-error",
        DP,
        None,
        "resources.events.dialect.skipInitialSpace",
    ),
    V(
        "dialect-null-sequence",
        "descriptor",
        dialect("events", nullSequence="NA"),
        "dialect-error",
        DP,
        None,
        "resources.events.dialect.nullSequence",
    ),
    V(
        "dialect-line-terminator",
        "descriptor",
        dialect("events", lineTerminator="|"),
        "dialect-error",
        DP,
        None,
        "resources.events.dialect.lineTerminator",
    ),
    V(
        "dialect-a-path",
        "descriptor",
        resource("events", dialect="dialect.json"),
        "dialect-error",
        DP,
        None,
        "resources.events.dialect",
    ),
    V(
        "dialect-delimiter-a-number",
        "descriptor",
        dialect("events", delimiter=5),
        "dialect-error",
        DP,
        None,
        "resources.events.dialect.delimiter",
    ),
    V(
        "version-two-parts",
        "descriptor",
        desc(lambda d: d.__setitem__("version", "1.0")),
        "metadata-error",
        DP,
        None,
        "version",
    ),
    V(
        "version-newline",
        "descriptor",
        desc(lambda d: d.__setitem__("version", "1.0.0\n")),
        "metadata-error",
        DP,
        None,
        "version",
    ),
    V(
        "version-v-prefix",
        "descriptor",
        desc(lambda d: d.__setitem__("version", "v1.0.0")),
        "metadata-error",
        DP,
        None,
        "version",
    ),
    V(
        "created-a-date",
        "descriptor",
        desc(lambda d: d.__setitem__("created", "2023")),
        "metadata-error",
        DP,
        None,
        "created",
    ),
    V(
        "name-with-spaces",
        "descriptor",
        desc(lambda d: d.__setitem__("name", "belarus timeline")),
        "metadata-error",
        DP,
        None,
        "name",
    ),
    V(
        "title-missing",
        "descriptor",
        desc(lambda d: d.pop("title")),
        "metadata-error",
        DP,
        None,
        "title",
    ),
    V(
        "keywords-a-string",
        "descriptor",
        desc(lambda d: d.__setitem__("keywords", "Belarus")),
        "metadata-error",
        DP,
        None,
        "keywords",
    ),
    V(
        "licenses-an-object",
        "descriptor",
        desc(lambda d: d.__setitem__("licenses", {"name": "CC-BY-4.0"})),
        "metadata-error",
        DP,
        None,
        "licenses",
    ),
    V(
        "schema-v1-profile",
        "descriptor",
        desc(lambda d: d.__setitem__("$schema", "tabular-data-package")),
        "metadata-error",
        DP,
        None,
        "$schema",
    ),
    V(
        "homepage-not-a-url",
        "descriptor",
        desc(lambda d: d.__setitem__("homepage", 5)),
        "metadata-error",
        DP,
    ),
    V(
        "resource-name-lone-surrogate",
        "descriptor",
        replace(DP, b'"name": "events"', b'"name": "ev\\udc80ents"'),
        "package-error",
        DP,
    ),
    V(
        "remote-profile-refused",
        "descriptor",
        desc(lambda d: d.__setitem__("profile", "http://127.0.0.1:9/profile.json")),
        "metadata-error",
        DP,
        None,
        "profile",
    ),
    V(
        "resource-remote-profile-refused",
        "descriptor",
        resource("events", profile="http://127.0.0.1:9/profile.json"),
        "resource-error",
        DP,
        None,
        "resources.events.profile",
    ),
    V(
        "schema-remote-profile-refused",
        "schema",
        schema("events", lambda s: s.__setitem__("profile", "http://127.0.0.1:9/p.json")),
        "schema-error",
        "schema/events.json",
        None,
        "profile",
    ),
]


# --- Table Schemas -----------------------------------------------------------------------------

SE = "schema/events.json"


def _fields(table: str, change: Callable[[list[Any]], Any]) -> Mutation:
    return schema(table, lambda s: change(s["fields"]))


SCHEMA_CASES = [
    V("schema-missing", "schema", unlink(SE), "schema-error", SE),
    V("schema-not-json", "schema", put(SE, b"{"), "schema-error", SE),
    V("schema-deeply-nested", "schema", put(SE, deep_json(100_000)), "schema-error", SE),
    V("schema-a-list", "schema", put(SE, b"[]"), "schema-error", SE),
    V("schema-not-utf8", "schema", put(SE, b'{"fields": [{"name": "\xff"}]}'), "schema-error", SE),
    V(
        "schema-path-escapes",
        "schema",
        resource("events", schema="../schema/events.json"),
        "schema-error",
        DP,
    ),
    V(
        "schema-inline-broken",
        "schema",
        resource("events", schema={"fields": "event_id"}),
        "schema-error",
        DP,
        None,
        "fields",
    ),
    V(
        "fields-empty",
        "schema",
        schema("events", lambda s: s.__setitem__("fields", [])),
        "schema-error",
        SE,
        None,
        "fields",
    ),
    V(
        "fields-not-a-list",
        "schema",
        schema("events", lambda s: s.__setitem__("fields", {"name": "x"})),
        "schema-error",
        SE,
        None,
        "fields",
    ),
    V(
        "field-a-string",
        "schema",
        _fields("events", lambda fs: fs.__setitem__(1, "title")),
        "schema-error",
        SE,
        None,
        "fields[1]",
    ),
    V(
        "field-without-name",
        "schema",
        field("events", "title", name=_DROP),
        "schema-error",
        SE,
        None,
        "fields[1].name",
    ),
    V(
        "field-name-empty",
        "schema",
        field("events", "title", name=""),
        "schema-error",
        SE,
        None,
        "fields[1].name",
    ),
    V(
        "field-name-lone-surrogate",
        "schema",
        replace(SE, b'"name": "title"', b'"name": "ti\\udc80tle"'),
        "schema-error",
        SE,
    ),
    V(
        "pattern-lone-surrogate",
        "schema",
        replace(SE, b'"pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"', b'"pattern": "^\\udc80$"'),
        "schema-error",
        SE,
    ),
    V(
        "enum-lone-surrogate",
        "schema",
        replace(SE, b'"occurred"', b'"occ\\ud800urred"'),
        "schema-error",
        SE,
    ),
    V(
        "field-name-control",
        "schema",
        field("events", "title", name="ti\x1btle"),
        "schema-error",
        SE,
        None,
        "fields[1].name",
    ),
    V(
        "field-names-repeat",
        "schema",
        field("events", "title", name="summary"),
        "schema-error",
        SE,
        None,
        "fields",
    ),
    V(
        "type-typo",
        "schema",
        field("events", "title", type="strng"),
        "schema-error",
        SE,
        None,
        "fields[1].type",
    ),
    V(
        "type-datetime",
        "schema",
        field("events", "start_date", type="datetime"),
        "schema-error",
        SE,
        None,
        "fields[7].type",
    ),
    V(
        "type-year",
        "schema",
        field("events", "start_date", type="year"),
        "schema-error",
        SE,
        None,
        "fields[7].type",
    ),
    V(
        "type-a-list",
        "schema",
        field("events", "title", type=["string"]),
        "schema-error",
        SE,
        None,
        "fields[1].type",
    ),
    V(
        "format-email",
        "schema",
        field("events", "title", format="email"),
        "schema-error",
        SE,
        None,
        "fields[1].format",
    ),
    V(
        "format-date-pattern",
        "schema",
        field("events", "start_date", format="%d/%m/%Y"),
        "schema-error",
        SE,
        None,
        "fields[7].format",
    ),
    V(
        "enum-a-string",
        "schema",
        constraint("events", "status", enum="occurred"),
        "schema-error",
        SE,
        None,
        "fields[16].constraints.enum",
    ),
    V(
        "enum-empty",
        "schema",
        constraint("events", "status", enum=[]),
        "schema-error",
        SE,
        None,
        "fields[16].constraints.enum",
    ),
    V(
        "enum-numbers",
        "schema",
        constraint("events", "status", enum=[1, 2]),
        "schema-error",
        SE,
        None,
        "fields[16].constraints.enum",
    ),
    V(
        "enum-on-a-date",
        "schema",
        constraint("events", "start_date", enum=["2023-02-17"]),
        "schema-error",
        SE,
        None,
        "fields[7].constraints.enum",
    ),
    V(
        "pattern-unclosed-bracket",
        "schema",
        constraint("events", "event_id", pattern="^[a-z"),
        "schema-error",
        SE,
        None,
        "fields[0].constraints.pattern",
    ),
    V(
        "pattern-lookahead",
        "schema",
        constraint("events", "event_id", pattern="^(?=a)[a-z]+$"),
        "schema-error",
        SE,
        None,
        "fields[0].constraints.pattern",
    ),
    V(
        "pattern-backreference",
        "schema",
        constraint("events", "event_id", pattern="^(a)\\1$"),
        "schema-error",
        SE,
        None,
        "fields[0].constraints.pattern",
    ),
    V(
        "pattern-a-number",
        "schema",
        constraint("events", "event_id", pattern=5),
        "schema-error",
        SE,
        None,
        "fields[0].constraints.pattern",
    ),
    V(
        "pattern-on-a-date",
        "schema",
        constraint("events", "start_date", pattern="^2023"),
        "schema-error",
        SE,
        None,
        "fields[7].constraints.pattern",
    ),
    V(
        "minimum-a-word",
        "schema",
        constraint("quotes", "char_start", minimum="zero"),
        "schema-error",
        "schema/quotes.json",
        None,
        "fields[8].constraints.minimum",
    ),
    V(
        "minimum-on-a-string",
        "schema",
        constraint("events", "title", minimum=0),
        "schema-error",
        SE,
        None,
        "fields[1].constraints.minimum",
    ),
    V(
        "maximum-a-boolean",
        "schema",
        constraint("places", "latitude", maximum=True),
        "schema-error",
        "schema/places.json",
        None,
        "fields[4].constraints.maximum",
    ),
    V(
        "minimum-fraction-on-integer",
        "schema",
        constraint("quotes", "char_start", minimum=0.5),
        "schema-error",
        "schema/quotes.json",
        None,
        "fields[8].constraints.minimum",
    ),
    V(
        "required-a-word",
        "schema",
        constraint("events", "title", required="yes"),
        "schema-error",
        SE,
        None,
        "fields[1].constraints.required",
    ),
    V(
        "unique-a-number",
        "schema",
        constraint("events", "title", unique=1),
        "schema-error",
        SE,
        None,
        "fields[1].constraints.unique",
    ),
    V(
        "constraints-a-list",
        "schema",
        field("events", "title", constraints=["required"]),
        "schema-error",
        SE,
        None,
        "fields[1].constraints",
    ),
    V(
        "constraint-unknown",
        "schema",
        constraint("events", "title", mandatory=True),
        "schema-error",
        SE,
        None,
        "fields[1].constraints.mandatory",
    ),
    V(
        "constraint-max-length",
        "schema",
        constraint("events", "title", maxLength=10),
        "schema-error",
        SE,
        None,
        "fields[1].constraints.maxLength",
    ),
    V(
        "constraint-exclusive-minimum",
        "schema",
        constraint("quotes", "char_start", exclusiveMinimum=0),
        "schema-error",
        "schema/quotes.json",
        None,
        "fields[8].constraints.exclusiveMinimum",
    ),
    V(
        "primary-key-no-such-field",
        "schema",
        schema("events", lambda s: s.__setitem__("primaryKey", ["nope"])),
        "schema-error",
        SE,
        None,
        "primaryKey",
    ),
    V(
        "primary-key-empty",
        "schema",
        schema("events", lambda s: s.__setitem__("primaryKey", [])),
        "schema-error",
        SE,
        None,
        "primaryKey",
    ),
    V(
        "primary-key-a-number",
        "schema",
        schema("events", lambda s: s.__setitem__("primaryKey", 1)),
        "schema-error",
        SE,
        None,
        "primaryKey",
    ),
    V(
        "primary-key-repeats-a-field",
        "schema",
        schema("events", lambda s: s.__setitem__("primaryKey", ["event_id", "event_id"])),
        "schema-error",
        SE,
        None,
        "primaryKey",
    ),
    V(
        "foreign-keys-an-object",
        "schema",
        schema("events", lambda s: s.__setitem__("foreignKeys", {})),
        "schema-error",
        SE,
        None,
        "foreignKeys",
    ),
    V(
        "foreign-key-no-such-field",
        "schema",
        schema("events", lambda s: s["foreignKeys"][0].__setitem__("fields", ["nope"])),
        "schema-error",
        SE,
        None,
        "foreignKeys[0].fields",
    ),
    V(
        "foreign-key-no-such-resource",
        "schema",
        schema(
            "events", lambda s: s["foreignKeys"][0]["reference"].__setitem__("resource", "nowhere")
        ),
        "schema-error",
        SE,
        None,
        "foreignKeys[0].reference.resource",
    ),
    V(
        "foreign-key-no-such-remote-field",
        "schema",
        schema(
            "events", lambda s: s["foreignKeys"][0]["reference"].__setitem__("fields", ["nope"])
        ),
        "schema-error",
        SE,
        None,
        "foreignKeys[0].reference.fields",
    ),
    V(
        "foreign-key-lengths-differ",
        "schema",
        schema(
            "events",
            lambda s: s["foreignKeys"][0]["reference"].__setitem__("fields", ["place_id", "name"]),
        ),
        "schema-error",
        SE,
        None,
        "foreignKeys[0]",
    ),
    V(
        "foreign-key-without-reference",
        "schema",
        schema("events", lambda s: s["foreignKeys"][0].pop("reference")),
        "schema-error",
        SE,
        None,
        "foreignKeys[0]",
    ),
    V(
        "missing-values-na",
        "schema",
        schema("events", lambda s: s.__setitem__("missingValues", ["", "NA"])),
        "schema-error",
        SE,
        None,
        "missingValues",
    ),
    V(
        "fields-match-subset",
        "schema",
        schema("events", lambda s: s.__setitem__("fieldsMatch", "subset")),
        "schema-error",
        SE,
        None,
        "fieldsMatch",
    ),
    V(
        "unique-keys",
        "schema",
        schema("events", lambda s: s.__setitem__("uniqueKeys", [["title"]])),
        "schema-error",
        SE,
        None,
        "uniqueKeys",
    ),
    V(
        "true-values",
        "schema",
        field("events", "title", trueValues=["yes"]),
        "schema-error",
        SE,
        None,
        "fields[1].trueValues",
    ),
    V(
        "decimal-char",
        "schema",
        field("places", "latitude", decimalChar=","),
        "schema-error",
        "schema/places.json",
        None,
        "fields[4].decimalChar",
    ),
    V(
        "bare-number-false",
        "schema",
        field("places", "latitude", bareNumber=False),
        "schema-error",
        "schema/places.json",
        None,
        "fields[4].bareNumber",
    ),
    V(
        "field-description-a-number",
        "schema",
        field("events", "title", description=5),
        "schema-error",
        SE,
        None,
        "fields[1].description",
    ),
    V("field-rdf-type-a-number", "schema", field("events", "title", rdfType=5), "schema-error", SE),
]


# --- provenance --------------------------------------------------------------------------------


def _span(table: str, row: int, start: int, end: int, text_field: str, text: str) -> Mutation:
    return cells(
        cell(table, row, "char_start", str(start)),
        cell(table, row, "char_end", str(end)),
        cell(table, row, text_field, text),
    )


def _archive(change: Callable[[bytes], bytes]) -> Mutation:
    return raw(SOURCE, change)


def _rehash(root: Path) -> None:
    import hashlib

    digest = hashlib.sha256((root / SOURCE).read_bytes()).hexdigest()
    cell("sources", 2, "sha256", digest)(root)


PROVENANCE_CASES = [
    VC(
        "excerpt-one-character-off",
        "quotes",
        2,
        "text",
        "“By the way, I watched your news conference yesterday.”",
        "excerpt-mismatch",
        family="provenance",
    ),
    VC(
        "excerpt-straight-quotes",
        "quotes",
        2,
        "text",
        '"By the way, I watched your news conference yesterday,"',
        "excerpt-mismatch",
        family="provenance",
    ),
    VC(
        "excerpt-trailing-space",
        "evidence",
        2,
        "excerpt",
        "A year ago, Putin used Russian forces stationed in Belarus to launch his ultimately "
        "catastrophic attempt to conquer Kyiv, the Ukrainian capital. ",
        "excerpt-mismatch",
        family="provenance",
    ),
    VC(
        "claim-excerpt-edited",
        "claims",
        2,
        "excerpt",
        "Putin said that bilateral trade between the countries was on the rise and hit a record "
        "of more than $44 billion last year.",
        "excerpt-mismatch",
        family="provenance",
    ),
    V(
        "offsets-shifted",
        "provenance",
        cell("quotes", 2, "char_start", "903"),
        "excerpt-mismatch",
        QUOTES,
        2,
        "text",
    ),
    VC(
        "span-beyond-text",
        "evidence",
        2,
        "char_end",
        "999999",
        "span-out-of-range",
        family="provenance",
    ),
    VC("span-empty", "evidence", 2, "char_end", "470", "empty-span", family="provenance"),
    VC("span-reversed", "quotes", 2, "char_end", "900", "empty-span", family="provenance"),
    V(
        "span-on-breadcrumb",
        "provenance",
        _span("evidence", 2, 0, 9, "excerpt", "Home News"),
        "span-on-furniture",
        EVIDENCE,
        2,
        "char_start",
    ),
    V(
        "span-on-comment-count",
        "provenance",
        _span("quotes", 2, 166, 168, "text", "25"),
        "span-on-furniture",
        QUOTES,
        2,
        "char_start",
    ),
    V(
        "span-on-related-headline",
        "provenance",
        _span(
            "claims",
            2,
            1575,
            1650,
            "excerpt",
            "Lukashenko, before meeting Putin, says Belarus to join war only if attacked",
        ),
        "span-on-furniture",
        CLAIMS,
        2,
        "char_start",
    ),
    V(
        "span-on-site-tag",
        "provenance",
        _span("event_links", 2, 3620, 3634, "excerpt", "washingtonpost"),
        "span-on-furniture",
        LINKS,
        2,
        "char_start",
    ),
    V(
        "archive-tampered",
        "provenance",
        _archive(lambda d: d.replace(b"$43 billion", b"$44 billion")),
        "hash-mismatch",
        SOURCES,
        2,
        "sha256",
    ),
    V(
        "archive-tampered-and-rehashed",
        "provenance",
        cells(_archive(lambda d: d.replace(b"$43 billion", b"$44 billion")), _rehash),
        "excerpt-mismatch",
        CLAIMS,
        2,
        "excerpt",
    ),
    V(
        "archive-missing",
        "provenance",
        unlink(SOURCE),
        "missing-source-text",
        SOURCES,
        2,
        "archive_path",
    ),
    V(
        "archive-a-folder",
        "provenance",
        lambda root: (unlink(SOURCE)(root), (root / SOURCE).mkdir()),
        "missing-source-text",
        SOURCES,
        2,
        "archive_path",
    ),
    V(
        "archive-links-outside",
        "provenance",
        lambda root: (unlink(SOURCE)(root), (root / SOURCE).symlink_to("/etc/hostname")),
        "unsafe-path",
        SOURCES,
        2,
        "archive_path",
    ),
    V(
        "archive-not-utf8",
        "provenance",
        cells(_archive(lambda d: d + b"\xff"), _rehash),
        "encoding-error",
        SOURCE,
    ),
    VC("archive-sha-wrong", "sources", 2, "sha256", "0" * 64, "hash-mismatch", family="provenance"),
]


# --- semantics ---------------------------------------------------------------------------------


def _link(frm: str, relation: str, to: str) -> Mutation:
    def change(r: Rows) -> None:
        row = list(r[2])
        row[0], row[1], row[2] = frm, relation, to
        r.append(row)

    return rows("event_links", change)


SEMANTIC_CASES = [
    VC(
        "end-before-start",
        "events",
        4,
        "end_date",
        "2023-02-15",
        "end-before-start",
        family="semantics",
    ),
    V(
        "month-precision-misaligned",
        "semantics",
        cell("events", 2, "date_precision", "month"),
        "precision-mismatch",
        EVENTS,
        2,
        "date_precision",
    ),
    V(
        "year-precision-misaligned",
        "semantics",
        cell("events", 2, "date_precision", "year"),
        "precision-mismatch",
        EVENTS,
        2,
        "date_precision",
    ),
    VC("edtf-disagrees", "events", 2, "edtf", "2022-02-25", "edtf-mismatch", family="semantics"),
    VC("edtf-month-13", "events", 2, "edtf", "2022-13", "edtf-mismatch", family="semantics"),
    VC(
        "timezone-unknown",
        "events",
        2,
        "timezone",
        "Europe/Atlantis",
        "unknown-timezone",
        family="semantics",
    ),
    VC(
        "timezone-abbreviation",
        "events",
        2,
        "timezone",
        "MSK",
        "unknown-timezone",
        family="semantics",
    ),
    V(
        "timezone-kiev",
        "semantics",
        cell("events", 2, "timezone", "Europe/Kiev"),
        "deprecated-timezone",
        EVENTS,
        2,
        "timezone",
        says="Europe/Kyiv",
    ),
    V(
        "timezone-us-eastern",
        "semantics",
        cell("events", 2, "timezone", "US/Eastern"),
        "deprecated-timezone",
        EVENTS,
        2,
        "timezone",
        says="America/New_York",
    ),
    VC(
        "resolved-without-words",
        "events",
        3,
        "date_expression",
        "",
        "resolved-without-expression",
        family="semantics",
    ),
    VC(
        "quote-outside-event",
        "quotes",
        2,
        "said_on",
        "2023-02-18",
        "outside-event",
        family="semantics",
    ),
    VC(
        "claim-outside-event",
        "claims",
        2,
        "stated_on",
        "2023-02-16",
        "outside-event",
        family="semantics",
    ),
    VC(
        "speaker-not-participant",
        "quotes",
        2,
        "speaker_id",
        "svetlana-tikhanovskaya",
        "not-a-participant",
        family="semantics",
    ),
    VC(
        "claimant-not-participant",
        "claims",
        2,
        "claimant_id",
        "svetlana-tikhanovskaya",
        "not-a-participant",
        family="semantics",
    ),
    V(
        "latitude-only",
        "semantics",
        cell("places", 2, "longitude", ""),
        "half-coordinates",
        PLACES,
        2,
    ),
    VC(
        "precision-none-with-point",
        "places",
        2,
        "coordinate_precision",
        "none",
        "coordinate-precision",
        family="semantics",
    ),
    VC(
        "precision-city-without-point",
        "places",
        6,
        "coordinate_precision",
        "city",
        "coordinate-precision",
        family="semantics",
    ),
    V(
        "self-link",
        "semantics",
        _link("invasion-first-anniversary", "refers_to", "invasion-first-anniversary"),
        "self-link",
        LINKS,
        8,
        "to_event_id",
    ),
    V(
        "part-of-cycle",
        "semantics",
        _link("putin-lukashenko-moscow-meeting", "part_of", "lukashenko-su-25-production-offer"),
        "cycle",
        LINKS,
        8,
        "to_event_id",
    ),
    V(
        "part-of-three-cycle",
        "semantics",
        cells(
            _link(
                "putin-lukashenko-moscow-meeting",
                "part_of",
                "tikhanovskaya-munich-security-conference-appeal",
            ),
            _link(
                "tikhanovskaya-munich-security-conference-appeal",
                "part_of",
                "lukashenko-su-25-production-offer",
            ),
        ),
        "cycle",
        LINKS,
        8,
        "to_event_id",
    ),
    VC(
        "within-place-itself",
        "places",
        6,
        "within_place_id",
        "belarus",
        "cycle",
        family="semantics",
    ),
    VC("within-place-cycle", "places", 6, "within_place_id", "minsk", "cycle", family="semantics"),
    V(
        "precedes-against-dates",
        "semantics",
        _link("invasion-first-anniversary", "precedes", "lukashenko-minsk-news-conference"),
        "link-contradicts-dates",
        LINKS,
        8,
        "relation",
    ),
    V(
        "prelude-against-dates",
        "semantics",
        _link("putin-lukashenko-moscow-meeting", "prelude_to", "lukashenko-minsk-news-conference"),
        "link-contradicts-dates",
        LINKS,
        8,
        "relation",
    ),
    V(
        "event-without-evidence",
        "semantics",
        rows(
            "evidence",
            lambda r: r.__setitem__(
                slice(1, None), [x for x in r[1:] if x[1] != "lukashenko-minsk-news-conference"]
            ),
        ),
        "no-evidence",
        EVENTS,
        3,
        "event_id",
    ),
]


# --- releases: validate, verify, publish, build ------------------------------------------------

ACTORS_PQ = "parquet/actors.parquet"


def _parquet_edit(path: str, column: str, value: str) -> Mutation:
    def run(root: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pq.read_table(root / path)
        col = table.column(column).to_pylist()
        col[0] = value
        i = table.column_names.index(column)
        table = table.set_column(i, column, pa.array(col, table.schema.field(column).type))
        pq.write_table(table, root / path)

    return run


def _manifest_edit(change: Callable[[dict[str, Any]], Any]) -> Mutation:
    return json_edit("manifest.json", change)


def _consistent_tamper(root: Path) -> None:
    """Edit a file and its entries in the folder's own manifest and SHA256SUMS together."""
    import hashlib

    replace(ACTORS, b"Vladimir Putin", b"Vladimir Putln")(root)
    data = (root / ACTORS).read_bytes()
    digest = hashlib.sha256(data).hexdigest()

    def change(m: dict[str, Any]) -> None:
        for f in m["files"]:
            if f["path"] == ACTORS:
                f["sha256"], f["bytes"] = digest, len(data)

    _manifest_edit(change)(root)
    manifest = (root / "manifest.json").read_bytes()
    sums = [f"{f['sha256']}  {f['path']}\n" for f in json.loads(manifest)["files"]]
    sums.append(f"{hashlib.sha256(manifest).hexdigest()}  manifest.json\n")
    (root / "SHA256SUMS").write_text("".join(sums), encoding="utf-8")


def _redeclare(path: str) -> Mutation:
    def run(root: Path) -> None:
        from helpers import redeclare_hash

        redeclare_hash(root, path)

    return run


def _symlink_same_content(root: Path) -> None:
    target = root.parent / "outside.csv"
    shutil.copy(root / ACTORS, target)
    (root / ACTORS).unlink()
    (root / ACTORS).symlink_to(target)


RELEASE_CASES = [
    RV(
        "release-csv-and-parquet-changed-together",
        cells(
            replace(ACTORS, b"Vladimir Putin", b"Vladimir Putln"),
            _parquet_edit(ACTORS_PQ, "name", "Vladimir Putln"),
        ),
        "hash-count",
        ACTORS,
    ),
    RV(
        "release-csv-changed-blames-the-csv",
        replace(ACTORS, b"Vladimir Putin", b"Vladimir Putln"),
        "hash-count",
        ACTORS,
        absent="parquet-mismatch",
    ),
    RV(
        "release-parquet-changed",
        _parquet_edit(ACTORS_PQ, "name", "Vladimir Putln"),
        "hash-count",
        ACTORS_PQ,
    ),
    RV(
        "release-parquet-changed-and-redeclared",
        cells(_parquet_edit(ACTORS_PQ, "name", "Vladimir Putln"), _redeclare(ACTORS_PQ)),
        "parquet-mismatch",
        ACTORS_PQ,
    ),
    RV(
        "release-parquet-garbage-redeclared",
        cells(put(ACTORS_PQ, b"PAR1 not parquet"), _redeclare(ACTORS_PQ)),
        "parquet-mismatch",
        ACTORS_PQ,
    ),
    RV("release-parquet-deleted", unlink(ACTORS_PQ), "missing-file", ACTORS_PQ),
    RV("release-csv-bytes-redeclared", resource("actors", bytes=1), "byte-count", ACTORS),
    RV(
        "release-csv-blank-line-redeclared",
        cells(raw(ACTORS, lambda d: d + b"\n"), _redeclare(ACTORS)),
        "blank-row",
        ACTORS,
    ),
    RV(
        "release-x-table-a-list",
        resource("actors-parquet", **{"x-table": ["actors"]}),
        "parquet-mismatch",
        ACTORS_PQ,
    ),
    RV(
        "release-parquet-without-twin",
        resource("actors-parquet", **{"x-table": "nowhere"}),
        "parquet-mismatch",
        ACTORS_PQ,
    ),
    VF("verify-extra-file", put("evil.sh", b"#!/bin/sh\nrm -rf ~\n"), "evil.sh"),
    VF("verify-hidden-extra-file", put(".evil", b"x"), ".evil"),
    VF("verify-extra-file-in-subfolder", put("data/evil.csv", b"a\n1\n"), "data/evil.csv"),
    VF("verify-file-and-own-manifest-edited", _consistent_tamper, "data/actors.csv"),
    VF(
        "verify-file-changed",
        replace(ACTORS, b"Vladimir Putin", b"Vladimir Putln"),
        "hash-mismatch",
    ),
    VF("verify-file-truncated", raw(ACTORS, lambda d: d[:10]), "size-mismatch"),
    VF("verify-file-deleted", unlink(ACTORS), "missing"),
    VF("verify-file-a-link", _symlink_same_content, "not-a-file"),
    VF("verify-sums-edited", raw("SHA256SUMS", lambda d: d.replace(b"0", b"1", 1)), "SHA256SUMS"),
    VF("verify-sums-deleted", unlink("SHA256SUMS"), "SHA256SUMS"),
    VF(
        "verify-manifest-files-empty",
        _manifest_edit(lambda m: m.__setitem__("files", [])),
        "at least one file",
    ),
    VF(
        "verify-manifest-files-a-string",
        _manifest_edit(lambda m: m.__setitem__("files", "all")),
        "refused",
    ),
    VF("verify-manifest-not-json", put("manifest.json", b"{"), "not JSON"),
    VF("verify-manifest-empty", put("manifest.json", b""), "refused"),
    VF(
        "verify-manifest-deeply-nested",
        put("manifest.json", deep_json(100_000)),
        "nested too deeply",
    ),
    VF("verify-manifest-missing", unlink("manifest.json"), "cannot read"),
    VF(
        "verify-manifest-version-not-semver",
        _manifest_edit(lambda m: m.__setitem__("version", "1.0")),
        "refused",
    ),
    VF(
        "verify-manifest-path-escapes",
        _manifest_edit(lambda m: m["files"][0].__setitem__("path", "../evil")),
        "refused",
    ),
    VF(
        "verify-manifest-entry-dropped",
        _manifest_edit(lambda m: m["files"].pop(0)),
        "manifest.json",
    ),
    VF(
        "verify-manifest-claims-recorded-version",
        _manifest_edit(lambda m: m.__setitem__("version", "1.0.0")),
        "hash-mismatch",
        registry=False,
    ),
    VF("verify-not-recorded-no-index", lambda root: None, "own manifest", registry=False),
    VF("verify-empty-folder-is-not-a-file", lambda root: (root / "empty").mkdir(), "ok", exit=0),
    PB(
        "publish-tampered", replace(ACTORS, b"Vladimir Putin", b"Vladimir Putln"), "data/actors.csv"
    ),
    PB("publish-extra-file", put("evil.sh", b"x"), "evil.sh"),
    PB("publish-own-manifest-edited-too", _consistent_tamper, "data/actors.csv"),
    PB(
        "publish-manifest-files-empty",
        _manifest_edit(lambda m: m.__setitem__("files", [])),
        "at least one file",
    ),
]


def _with_registry(ctx: Ctx) -> Path:
    root = ctx.pkg()
    shutil.copytree(ctx.registry, root / "releases")
    return root


def B(  # `build` of a package copy whose registry recorded the session's release
    id: str,
    mutate: Mutation,
    exit: int,
    says: str | None = None,
    *,
    dist: Callable[[Ctx], Path] | None = None,
    creates: bool = False,
    after: Callable[[Ctx], None] | None = None,
) -> Case:
    def run(ctx: Ctx) -> list[str]:
        root = _with_registry(ctx)
        mutate(root)
        target = dist(ctx) if dist is not None else ctx.dir / "dist"
        return ["build", "--root", str(root), "--dist", str(target), "--no-exports"]

    return Case(id, "release", run, exit, says=says, creates=creates, after=after)


def _dist_with_release(ctx: Ctx) -> Path:
    dist = ctx.dir / "dist"
    dist.mkdir()
    shutil.copytree(ctx.release, dist / f"belarus-timeline-{VERSION}")
    return dist


def _dist_a_file(ctx: Ctx) -> Path:
    (ctx.dir / "dist").write_text("not a folder")
    return ctx.dir / "dist"


def _zip_a_folder(ctx: Ctx) -> Path:
    dist = ctx.dir / "dist"
    (dist / f"belarus-timeline-{VERSION}.zip").mkdir(parents=True)
    return dist


def _version(v: str, changelog: bool = True) -> Mutation:
    def run(root: Path) -> None:
        desc(lambda d: d.__setitem__("version", v))(root)
        if changelog:
            with (root / "CHANGELOG.md").open("a", encoding="utf-8") as fh:
                fh.write(f"\n## [{v}] - 2026-12-01\n\nTest.\n")

    return run


_DEAD_PID = 4_194_305  # above Linux's largest pid_max: no such process


def _leftovers(ctx: Ctx) -> Path:
    import hashlib
    import socket

    dist = _dist_with_release(ctx)
    host = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
    (dist / f".tmp-build-{_DEAD_PID}-{host}-belarus-timeline-{VERSION}-abcd1234" / "data").mkdir(
        parents=True
    )
    (dist / f".tmp-belarus-timeline-{VERSION}-k2j3h4g5").mkdir()
    (dist / f".tmp-build-{os.getpid()}-{host}-belarus-timeline-x-live").mkdir()  # alive: kept
    return dist


def _no_leftovers(ctx: Ctx) -> None:
    names = sorted(p.name for p in (ctx.dir / "dist").iterdir())
    assert not any(n.startswith(".tmp-build-4194305") for n in names), names
    assert not any(n.startswith(".tmp-belarus-timeline-") for n in names), names
    assert any(n.startswith(f".tmp-build-{os.getpid()}-") for n in names), names


BUILD_CASES = [
    B(
        "build-changed-cell-same-version",
        replace(ACTORS, b"Vladimir Putin", b"Vladimir Putln"),
        1,
        "other content",
        dist=_dist_with_release,
    ),
    B(
        "build-changed-cell-empty-dist",
        replace(ACTORS, b"Vladimir Putin", b"Vladimir Putln"),
        1,
        "recorded",
    ),
    B("build-lower-version", _version("0.9.0"), 1, "only go up"),
    B("build-version-two-parts", _version("1.0"), 2, "1.0"),
    B("build-version-newline", _version("1.0.1\n", changelog=False), 2, "semantic version"),
    B("build-invalid-data", cell("events", 4, "end_date", "2000-01-01"), 1, "end_date"),
    B(
        "build-no-changelog-section",
        _version("1.1.0", changelog=False),
        1,
        "CHANGELOG",
        dist=_dist_with_release,
    ),
    B("build-dist-a-file", lambda root: None, 2, "not a folder", dist=_dist_a_file),
    B("build-zip-a-folder", lambda root: None, 1, "zip", dist=_zip_a_folder),
    B(
        "build-cleans-leftovers",
        lambda root: None,
        0,
        dist=_leftovers,
        creates=True,
        after=_no_leftovers,
    ),
    CLI(
        "build-root-missing",
        "release",
        ["build", "--root", "{dir}/nowhere", "--dist", "{dir}/dist"],
        2,
        "nowhere",
    ),
    CLI(
        "build-previous-missing",
        "release",
        ["build", "--root", "{pkg}", "--dist", "{dir}/dist", "--previous", "{dir}/nowhere"],
        2,
        "nowhere",
    ),
]


# --- download ----------------------------------------------------------------------------------


def D(  # `download` from a private copy of the published tree, tampered
    id: str,
    tamper: Mutation,
    exit: int,
    says: str | None = None,
    *,
    args: tuple[str, ...] = (),
    version: str = VERSION,
    creates: bool = False,
    after: Callable[[Ctx], None] | None = None,
) -> Case:
    def run(ctx: Ctx) -> list[str]:
        url = ctx.site(id)
        tamper(ctx.www / id)
        return ["download", version, "--base-url", url, "--to", str(ctx.dir / "out"), *args]

    return Case(id, "download", run, exit, says=says, creates=creates, after=after)


def _index_edit(change: Callable[[dict[str, Any]], Any]) -> Mutation:
    return json_edit("index.json", change)


def _republish_manifest(change: Callable[[dict[str, Any]], Any]) -> Mutation:
    """Edit the published manifest and record its new sha256 in index.json: a publisher (or
    attacker) in full control of the tree."""

    def run(root: Path) -> None:
        import hashlib

        json_edit(f"{VERSION}/manifest.json", change)(root)
        digest = hashlib.sha256((root / VERSION / "manifest.json").read_bytes()).hexdigest()
        _index_edit(lambda i: i["versions"][VERSION].__setitem__("manifest_sha256", digest))(root)

    return run


def _only_verified_files(ctx: Ctx) -> None:
    """An interrupted download keeps only files that verified (the next run resumes)."""
    out = ctx.dir / "out"
    published = ctx.www / "_published" / VERSION
    kept = [p for p in out.rglob("*") if p.is_file() and ".locks" not in p.parts]
    assert ACTORS not in {p.relative_to(out).as_posix() for p in kept}
    for p in kept:
        assert p.read_bytes() == (published / p.relative_to(out)).read_bytes(), p


def _lock_inside(ctx: Ctx) -> None:
    from belarus_timeline.downloader import verify_release

    out = ctx.dir / "out"
    assert (out / ".locks").is_dir(), sorted(p.name for p in out.iterdir())
    assert sorted(p.name for p in ctx.dir.iterdir()) == ["out"], "nothing beside the folder"
    # The lock inside the folder does not make the download fail its verification.
    checked = verify_release(out, base_url=f"{ctx.url}/download-lock-inside-the-folder")
    assert checked.ok, [c for c in checked.checks if c.status != "ok"]


DOWNLOAD_CASES = [
    CLI(
        "download-two-part-version",
        "download",
        ["download", "1.0", "--base-url", "{url}"],
        2,
        "1.0",
    ),
    CLI(
        "download-path-as-version",
        "download",
        ["download", "../../evil", "--base-url", "{url}"],
        2,
        "evil",
    ),
    CLI("download-version-newline", "download", ["download", "1.0.1\n", "--base-url", "{url}"], 2),
    CLI(
        "download-to-a-file",
        "download",
        ["download", VERSION, "--base-url", "{url}", "--to", "{dir}/f"],
        2,
        "not a folder",
        prepare=lambda ctx: (ctx.dir / "f").write_text("x"),
    ),
    CLI("download-format-xml", "download", ["download", VERSION, "--format", "xml"], 2, "xml"),
    CLI(
        "download-no-base-url",
        "download",
        ["download", VERSION, "--to", "{dir}/out"],
        1,
        "BELARUS_TIMELINE_BASE_URL",
    ),
    D("download-unpublished-version", lambda root: None, 1, "not published", version="9.9.9"),
    D("download-index-malformed", put("index.json", b"{"), 1, "refused"),
    D("download-index-deeply-nested", put("index.json", deep_json(100_000)), 1, "refused"),
    D(
        "download-index-versions-a-list",
        _index_edit(lambda i: i.__setitem__("versions", [])),
        1,
        "refused",
    ),
    D(
        "download-manifest-swapped",
        replace(f"{VERSION}/manifest.json", b'"version"', b'"version" ', 1),
        1,
        "does not match",
    ),
    D(
        "download-file-tampered",
        replace(f"{VERSION}/{ACTORS}", b"Vladimir Putin", b"Vladimir Putln"),
        1,
        "does not verify",
        creates=True,  # the files fetched before it stay: each one verified
        after=_only_verified_files,
    ),
    D(
        "download-file-missing",
        unlink(f"{VERSION}/{ACTORS}"),
        1,
        "404",
        creates=True,
        after=_only_verified_files,
    ),
    D(
        "download-manifest-path-escapes",
        _republish_manifest(lambda m: m["files"][0].__setitem__("path", "../../escaped")),
        1,
        "refused",
    ),
    D(
        "download-manifest-absolute-path",
        _republish_manifest(lambda m: m["files"][0].__setitem__("path", "/tmp/escaped")),
        1,
        "refused",
    ),
    D(
        "download-manifest-overwrites-itself",
        _republish_manifest(lambda m: m["files"][0].__setitem__("path", "manifest.json")),
        1,
        "refused",
    ),
    D(
        "download-manifest-other-version",
        _republish_manifest(lambda m: m.__setitem__("version", "2.0.0")),
        1,
        "not " + VERSION,
    ),
    D("download-unknown-table", lambda root: None, 1, "No table", args=("--tables", "nothing")),
    D("download-lock-inside-the-folder", lambda root: None, 0, creates=True, after=_lock_inside),
]


# --- export ------------------------------------------------------------------------------------

EXPORT_CASES = [
    CLI("export-two-part-version", "export", ["export", "geojson", "--version", "1.0"], 2, "1.0"),
    CLI("export-path-as-version", "export", ["export", "geojson", "--version", "../x"], 2),
    CLI("export-unknown-format", "export", ["export", "kml"], 2, "kml"),
    CLI(
        "export-out-under-a-file",
        "export",
        ["export", "geojson", "--out", "{dir}/f/x.geojson"],
        2,
        "not a folder",
        prepare=lambda ctx: (ctx.dir / "f").write_text("x"),
    ),
    CLI(
        "export-unpublished-version",
        "export",
        ["export", "geojson", "--version", "9.9.9"],
        1,
        "BELARUS_TIMELINE_BASE_URL",
    ),
    CLI("export-into-a-folder", "export", ["export", "jsonl", "--out", "{dir}"], 0, creates=True),
    CLI(
        "export-to-a-file",
        "export",
        ["export", "ics", "--out", "{dir}/events.ics"],
        0,
        creates=True,
    ),
]


# --- the command line --------------------------------------------------------------------------

CLI_CASES = [
    CLI("no-command", "cli", [], 2),
    CLI("unknown-command", "cli", ["frobnicate"], 2, "frobnicate"),
    CLI("unknown-option", "cli", ["validate", "--frobnicate"], 2, "frobnicate"),
    CLI("limit-zero", "cli", ["validate", "{pkg}", "--limit", "0"], 2, "--limit"),
    CLI("limit-negative", "cli", ["validate", "{pkg}", "--limit", "-3"], 2, "--limit"),
    CLI("limit-a-word", "cli", ["validate", "{pkg}", "--limit", "many"], 2, "--limit"),
    CLI("validate-missing-path", "cli", ["validate", "{dir}/nowhere"], 2, "nowhere"),
    CLI(
        "validate-a-csv-file", "cli", ["validate", "{pkg}/data/events.csv"], 2, "not a data package"
    ),
    CLI(
        "validate-sources-missing",
        "cli",
        ["validate", "{pkg}", "--sources", "{dir}/nowhere"],
        2,
        "--sources",
    ),
    CLI("validate-an-empty-folder", "cli", ["validate", "{dir}"], 1, "package-error"),
    CLI("validate-the-descriptor-file", "cli", ["validate", "{pkg}/datapackage.json"], 0),
    CLI("diff-not-a-version", "cli", ["diff", "{rel}", "not-a-version"], 2, "not-a-version"),
    CLI("diff-two-part-version", "cli", ["diff", "{rel}", "1.0"], 2, "1.0"),
    CLI("diff-unknown-version", "cli", ["diff", "{rel}", "9.9.9", "--dist", "{dir}"], 1),
    CLI("verify-two-part-version", "cli", ["verify", "1.0"], 2, "1.0"),
    CLI("verify-unknown-version", "cli", ["verify", "9.9.9", "--dist", "{dir}"], 2, "9.9.9"),
    CLI("verify-a-file", "cli", ["verify", "{pkg}/datapackage.json"], 2, "not a release folder"),
    CLI("verify-a-package-not-a-release", "cli", ["verify", "{pkg}"], 1, "manifest"),
    CLI(
        "verify-registry-missing",
        "cli",
        ["verify", "{rel}", "--registry", "{dir}/nowhere"],
        2,
        "--registry",
    ),
    CLI(
        "verify-against-the-published-index",
        "cli",
        ["verify", "{rel}", "--base-url", "{url}/_published"],
        0,
        "index.json",
    ),
    CLI(
        "publish-to-a-file",
        "cli",
        ["publish", "{rel}", "--to", "{dir}/f", "--registry", "{registry}"],
        2,
        "not a folder",
        prepare=lambda ctx: (ctx.dir / "f").write_text("x"),
    ),
    CLI("publish-two-part-version", "cli", ["publish", "1.0", "--to", "{dir}/www"], 2, "1.0"),
    CLI(
        "publish-unknown-version",
        "cli",
        ["publish", "9.9.9", "--to", "{dir}/www", "--dist", "{dir}"],
        2,
        "9.9.9",
    ),
    CLI(
        "publish-not-recorded",
        "cli",
        ["publish", "{rel}", "--to", "{dir}/www", "--registry", "{dir}/empty"],
        1,
        "not recorded",
        prepare=lambda ctx: (ctx.dir / "empty").mkdir(),
    ),
    CLI(
        "publish-over-a-malformed-index",
        "cli",
        ["publish", "{rel}", "--to", "{dir}/www", "--registry", "{registry}"],
        1,
        "index",
        prepare=lambda ctx: (
            (ctx.dir / "www").mkdir(),
            (ctx.dir / "www" / "index.json").write_text("{"),
        ),
    ),
    CLI("help", "cli", ["validate", "--help"], 0),
    CLI("version", "cli", ["--version"], 0),
    CLI("versions-json", "cli", ["versions", "--json"], 0, "1.0.0"),
]

CASES: list[Case] = [
    *CSV_CASES,
    *VALUE_CASES,
    *REFERENCE_CASES,
    *DESCRIPTOR_CASES,
    *SCHEMA_CASES,
    *PROVENANCE_CASES,
    *SEMANTIC_CASES,
    *RELEASE_CASES,
    *BUILD_CASES,
    *DOWNLOAD_CASES,
    *EXPORT_CASES,
    *CLI_CASES,
]
