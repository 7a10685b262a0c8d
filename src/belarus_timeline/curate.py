"""Curation: add a source, find a passage's offsets, repair offsets that point at the wrong place.

- :func:`add_source` archives a text byte for byte under ``sources/`` and appends its row
  (with its sha256) to ``data/sources.csv``;
- :func:`locate` finds every occurrence of a passage in an archived text, straight and curly
  quotation marks and apostrophes matching each other, and the closest passage when there is
  none;
- :func:`fix_offsets` rewrites the offsets of spans whose excerpt occurs exactly once in its
  source and are not where the offsets say; ambiguous ones are left for the curator.

Every write is atomic (a temporary file renamed into place) and touches nothing but what it
says: ``fix_offsets`` replaces the offset cells only, every other byte of the file is kept.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from pydantic import ValidationError

from belarus_timeline.errors import CurationError, PackageError, UsageError
from belarus_timeline.files import atomic_write
from belarus_timeline.models import row_model
from belarus_timeline.package import DataPackage
from belarus_timeline.tables import convert
from belarus_timeline.validate.columns import SPAN_TABLES
from belarus_timeline.validate.provenance import occurrences

__all__ = [
    "AddedSource",
    "Located",
    "OffsetFix",
    "OffsetFixes",
    "add_source",
    "csv_cells",
    "fix_offsets",
    "locate",
]

SOURCES = "data/sources.csv"
#: Quotation marks and apostrophes that match each other when locating a passage. Each maps
#: one character to one, so offsets in the folded text are offsets in the original.
_FOLD = str.maketrans(
    {c: "'" for c in "\u2018\u2019\u201a\u201b\u2032\u02bc`"}
    | {c: '"' for c in "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"}
)
DEFAULT_RIGHTS = (
    "© {publisher}. The archived copy is kept only so that the spans can be checked; it is not "
    "part of any data release and is not licensed under the data's licence."
)


def _fold(text: str) -> str:
    return text.translate(_FOLD)


# --- the sources table -----------------------------------------------------------------------


def _sources(pkg: DataPackage) -> list[dict[str, str]]:
    path = pkg.root / SOURCES
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise PackageError(f"{path}: cannot read the sources table ({exc}).") from exc


def source_text(root: Path | str, source_id: str) -> str:
    """The archived text of a source, checked against its recorded sha256."""
    pkg = DataPackage(root)
    rows = {r["source_id"]: r for r in _sources(pkg)}
    if source_id not in rows:
        known = ", ".join(sorted(rows)) or "none"
        raise UsageError(f"no source {source_id!r} in {SOURCES} (the sources are: {known})")
    row = rows[source_id]
    path = pkg.path_of(row["archive_path"])
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CurationError(f"{path}: the archived text of {source_id!r} is missing.") from exc
    if hashlib.sha256(data).hexdigest() != row["sha256"]:
        raise CurationError(
            f"{path}: the archived text differs from the sha256 recorded in {SOURCES}; restore "
            "it from version control before locating passages in it."
        )
    return data.decode("utf-8")


# --- add-source ------------------------------------------------------------------------------


@dataclass
class AddedSource:
    """What :func:`add_source` did."""

    source_id: str
    archive_path: str
    sha256: str
    characters: int
    row: dict[str, str]

    def next_steps(self) -> str:
        """What the curator does next, as the commands to run."""
        sid = self.source_id
        return "\n".join(
            [
                f"archived {self.archive_path} ({self.characters} characters, sha256 "
                f"{self.sha256[:12]}…) and added source {sid!r} to {SOURCES}.",
                "Next (README, 'Adding a source'):",
                f'  1. find each passage:  belarus-timeline locate {sid} "words of the passage"',
                f"  2. add rows with source_id {sid} and those offsets: data/evidence.csv "
                "(stance supports, contradicts or qualifies), data/statements.csv for a value "
                "another source does not give, data/quotes.csv (the utterance_id of an "
                "existing quote for another rendering), data/link_evidence.csv",
                "  3. belarus-timeline validate --fix-offsets",
                "  4. make docs  (datapackage.json's description, sources and coverage; README)",
                "  5. raise the version in datapackage.json (MINOR: rows added), describe it in "
                "CHANGELOG.md, then make release",
            ]
        )


def _check_row(pkg: DataPackage, row: dict[str, str]) -> None:
    """The new row against the sources table's own schema: types and formats as the validator
    converts cells, then required, patterns and vocabularies (the pydantic row model)."""
    for f in pkg.schema("sources").fields:
        value = row.get(f.name, "")
        if value and convert(pa.array([value], pa.string()), f).invalid.any():
            raise UsageError(f"{f.name} {value!r} is not a valid {f.format or f.type}")
    model = row_model("sources", pkg.root)
    try:
        model.model_validate({k: (v if v != "" else None) for k, v in row.items()})
    except ValidationError as exc:
        err = exc.errors()[0]
        name = ".".join(str(x) for x in err["loc"])
        raise UsageError(f"{name} {row.get(name, '')!r}: {err['msg']}") from None


def _read_text(file: Path) -> tuple[bytes, str]:
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise UsageError(f"{file}: cannot read the file ({exc.strerror})") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CurationError(
            f"{file}: not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}). Save the "
            "text as UTF-8 and add it again; offsets are counted in the decoded text."
        ) from None
    if "\r" in text:
        raise CurationError(
            f"{file}: has carriage returns (Windows or old Mac line ends). Convert the line ends "
            "to \\n first: readers that translate line ends would count other offsets."
        )
    if not text.strip():
        raise CurationError(f"{file}: the text is empty.")
    return data, text


def _csv_line(values: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(values)
    return buf.getvalue()


def add_source(
    root: Path | str,
    file: Path | str,
    *,
    source_id: str,
    title: str,
    publisher: str,
    published: str,
    url: str | None = None,
    language: str = "en",
    contributors: str | None = None,
    rights: str | None = None,
    notes: str | None = None,
) -> AddedSource:
    """Archive ``file`` byte for byte as ``sources/<source_id>.txt`` and append its row to
    ``data/sources.csv``. Refuses a text that is not UTF-8, an id or a text (same sha256)
    already there, and a row the sources schema rejects; on any failure nothing is written."""
    pkg = DataPackage(root)
    data, text = _read_text(Path(file))
    digest = hashlib.sha256(data).hexdigest()
    archive = f"sources/{source_id}.txt"
    row = {
        "source_id": source_id,
        "title": title,
        "publisher": publisher,
        "published": published,
        "url": url or "",
        "language": language,
        "contributors": contributors or "",
        "archive_path": archive,
        "sha256": digest,
        "rights": rights or DEFAULT_RIGHTS.format(publisher=publisher),
        "notes": notes or "",
    }
    _check_row(pkg, row)
    existing = _sources(pkg)
    for i, r in enumerate(existing):
        if r["source_id"] == source_id:
            raise CurationError(f"source {source_id!r} is already in {SOURCES} (row {i + 2}).")
        if r["sha256"] == digest:
            raise CurationError(
                f"{file} is already archived as source {r['source_id']!r} ({r['archive_path']})."
            )
    target = pkg.path_of(archive)
    if target.exists():
        raise CurationError(f"{target} exists already; choose another --id.")
    table = pkg.root / SOURCES
    header = list(existing[0]) if existing else list(row)
    old = table.read_bytes()
    sep = b"" if old.endswith(b"\n") or not old else b"\n"
    atomic_write(target, data)
    try:
        line = _csv_line([row.get(h, "") for h in header]).encode("utf-8")
        atomic_write(table, old + sep + line)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return AddedSource(source_id, archive, digest, len(text), row)


# --- locate ----------------------------------------------------------------------------------


@dataclass
class Located:
    """Where a passage occurs in a source: every match, or else the closest passage."""

    source_id: str
    excerpt: str
    matches: list[tuple[int, int, str]]  # char_start, char_end, the exact source text
    closest: tuple[int, int, str, float] | None = None  # ... and the similarity (0..1)

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready data (``locate --json``)."""
        return {
            "source_id": self.source_id,
            "excerpt": self.excerpt,
            "matches": [{"char_start": a, "char_end": b, "text": t} for a, b, t in self.matches],
            "closest": None
            if self.closest is None
            else dict(
                zip(("char_start", "char_end", "text", "similarity"), self.closest, strict=True)
            ),
        }

    def to_text(self) -> str:
        """As lines for a reader: one per match, with the exact text to copy."""
        if self.matches:
            n = len(self.matches)
            lines = [f"{n} match{'es' if n > 1 else ''} in {self.source_id}:"]
            lines += [f"  char_start={a} char_end={b}  {t}" for a, b, t in self.matches]
            if n > 1:
                lines.append("The passage occurs more than once: pick the occurrence you mean.")
            return "\n".join(lines)
        if self.closest is None:
            return f"no match in {self.source_id}, and no passage like it."
        a, b, t, score = self.closest
        return (
            f"no match in {self.source_id}. The closest passage (similarity {score:.2f}):\n"
            f"  char_start={a} char_end={b}  {t}"
        )


def locate(root: Path | str, source_id: str, excerpt: str) -> Located:
    """Every occurrence of ``excerpt`` in the archived text of ``source_id``: straight and curly
    quotation marks and apostrophes match each other; the closest passage when none matches."""
    if not excerpt:
        raise UsageError("give the words of the passage to locate")
    text = source_text(root, source_id)
    folded = _fold(text)
    found = occurrences(folded, _fold(excerpt))
    matches = [(a, a + len(excerpt), text[a : a + len(excerpt)]) for a in found]
    return Located(source_id, excerpt, matches, None if matches else _closest(text, excerpt))


def _closest(text: str, excerpt: str) -> tuple[int, int, str, float] | None:
    """The passage of the text most like ``excerpt`` (difflib's ratio): tried where the
    excerpt's words occur, aligned with difflib (so words added or left out are allowed for),
    widened to whole words."""
    hay, needle = _fold(text).lower(), _fold(excerpt).lower()
    n = len(needle)
    starts: set[int] = set()
    for m in re.finditer(r"\w{3,}", needle):
        for at in occurrences(hay, m.group())[:50]:
            starts.add(max(0, at - m.start()))
        if len(starts) > 500:
            break
    if not starts:
        block = difflib.SequenceMatcher(None, hay, needle, autojunk=False).find_longest_match()
        if block.size == 0:
            return None
        starts.add(max(0, block.a - block.b))
    best: tuple[float, int, int] = (-1.0, 0, 0)
    for s in sorted(starts):
        window = hay[s : s + 2 * n]
        blocks = [
            b
            for b in difflib.SequenceMatcher(
                None, needle, window, autojunk=False
            ).get_matching_blocks()
            if b.size
        ]
        if not blocks:
            continue
        a, b = s + blocks[0].b, s + blocks[-1].b + blocks[-1].size
        score = difflib.SequenceMatcher(None, needle, hay[a:b], autojunk=False).ratio()
        best = max(best, (score, -a, b))
    score, a, b = best[0], -best[1], best[2]
    if score < 0:
        return None
    while a > 0 and not text[a - 1].isspace():
        a -= 1
    while b < len(text) and not text[b].isspace():
        b += 1
    return a, b, text[a:b], round(score, 3)


# --- fix offsets -----------------------------------------------------------------------------


def csv_cells(text: str) -> list[list[tuple[int, int]]]:
    """Where each cell of each record of a CSV text lies: ``(start, end)`` of its raw text,
    quotes included. RFC 4180: ``,`` between cells, ``"`` around a cell with doubled ``""``
    inside, ``\\n`` or ``\\r\\n`` after a record."""
    records: list[list[tuple[int, int]]] = []
    cells: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        start = i
        if text[i] == '"':
            i += 1
            while i < n:
                if text[i] == '"':
                    if i + 1 < n and text[i + 1] == '"':
                        i += 2
                        continue
                    i += 1
                    break
                i += 1
        while i < n and text[i] not in ",\r\n":
            i += 1
        cells.append((start, i))
        if i < n and text[i] == ",":
            i += 1
            if i == n:
                cells.append((i, i))
            continue
        if text.startswith("\r\n", i):
            i += 2
        elif i < n:
            i += 1
        records.append(cells)
        cells = []
    if cells:
        records.append(cells)
    return records


def _unquote(raw: str) -> str:
    return raw[1:-1].replace('""', '"') if raw.startswith('"') else raw


@dataclass(frozen=True)
class OffsetFix:
    """One span's offsets: rewritten (``new`` set) or left for the curator (``reason``)."""

    file: str
    row: int  # frictionless numbering: the header is row 1
    record: str  # the row's first cell (its id or source)
    old: tuple[str, str]
    new: tuple[int, int] | None = None
    reason: str = ""

    def to_text(self) -> str:
        where = f"{self.file}:{self.row} ({self.record})"
        if self.new is None:
            return f"left {where}: {self.reason}"
        (s0, e0), (s1, e1) = self.old, self.new
        return f"fixed {where}: char_start {s0} -> {s1}, char_end {e0} -> {e1}"


@dataclass
class OffsetFixes:
    """What :func:`fix_offsets` did, file by file."""

    fixed: list[OffsetFix] = field(default_factory=list)
    left: list[OffsetFix] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready data (``validate --fix-offsets --json``)."""

        def one(f: OffsetFix) -> dict[str, Any]:
            return {
                "file": f.file,
                "row": f.row,
                "record": f.record,
                "old": list(f.old),
                "new": list(f.new) if f.new else None,
                "reason": f.reason or None,
            }

        return {"fixed": [one(f) for f in self.fixed], "left": [one(f) for f in self.left]}


def _verified_texts(pkg: DataPackage) -> dict[str, str]:
    """The archived texts whose bytes still match their recorded sha256 (offsets are never
    fixed against a text that changed)."""
    texts: dict[str, str] = {}
    for r in _sources(pkg):
        try:
            data = pkg.path_of(r["archive_path"]).read_bytes()
            if hashlib.sha256(data).hexdigest() == r["sha256"]:
                texts[r["source_id"]] = data.decode("utf-8")
        except (OSError, PackageError, UnicodeDecodeError):
            continue
    return texts


def _fix_table(
    pkg: DataPackage, name: str, text_field: str, texts: dict[str, str], out: OffsetFixes
) -> None:
    rel = pkg.resource(name).path
    path = pkg.path_of(rel)
    raw = path.read_text(encoding="utf-8")
    records = csv_cells(raw)
    if not records:
        return
    header = [_unquote(raw[a:b]) for a, b in records[0]]
    try:
        at = [header.index(c) for c in ("source_id", "char_start", "char_end", text_field)]
    except ValueError:
        return  # a header problem: the validator reports it
    edits: list[tuple[int, int, str]] = []
    for number, cells in enumerate(records[1:], start=2):
        if len(cells) != len(header):
            continue
        sid, s, e, excerpt = (_unquote(raw[cells[k][0] : cells[k][1]]) for k in at)
        text = texts.get(sid)
        if text is None or not excerpt:
            continue
        ok = s.isdigit() and e.isdigit() and text[int(s) : int(e)] == excerpt
        if ok:
            continue
        found = occurrences(text, excerpt)
        record = _unquote(raw[cells[0][0] : cells[0][1]])
        if len(found) == 1:
            new = (found[0], found[0] + len(excerpt))
            edits += [(*cells[at[1]], str(new[0])), (*cells[at[2]], str(new[1]))]
            out.fixed.append(OffsetFix(rel, number, record, (s, e), new))
        else:
            why = f"occurs {len(found)} times" if found else "does not occur in the source"
            out.left.append(
                OffsetFix(rel, number, record, (s, e), reason=f"the {text_field} {why}")
            )
    if edits:
        for a, b, value in sorted(edits, reverse=True):
            raw = raw[:a] + value + raw[b:]
        atomic_write(path, raw.encode("utf-8"))


def fix_offsets(root: Path | str) -> OffsetFixes:
    """Rewrite the offsets of every span whose excerpt is not at its offsets but occurs exactly
    once in its (unchanged) source; leave the others, saying why. Only offset cells change."""
    pkg = DataPackage(root)
    if (pkg.root / "manifest.json").is_file():
        raise UsageError(f"{pkg.root} is a release: a release is never modified")
    texts = _verified_texts(pkg)
    out = OffsetFixes()
    for name, text_field in SPAN_TABLES.items():
        if name in pkg.table_names:
            _fix_table(pkg, name, text_field, texts, out)
    return out
