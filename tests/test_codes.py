"""The catalogue of finding codes is complete and exact.

Every code in the catalogue is produced by at least one bad input (the corpus of
test_validate.py plus the cases here), no finding ever carries a code outside it, and every
check declares the codes it emits: a check's source names only codes it declares.
"""

from __future__ import annotations

import csv
import inspect
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

import belarus_timeline.validate.descriptor
import belarus_timeline.validate.provenance
import belarus_timeline.validate.release
import belarus_timeline.validate.runner
import belarus_timeline.validate.semantic
import belarus_timeline.validate.statements
import belarus_timeline.validate.structural  # noqa: F401  (registers its checks)
from belarus_timeline.cli import main
from belarus_timeline.release import build_release
from belarus_timeline.validate.codes import CATALOGUE, CHECKS, LAYERS, Code, catalogue_markdown
from helpers import copy_package, redeclare_hash, tree_digest

# The mutations are the hostile corpus's own.
from hostile_base import cell, desc, replace, resource
from hostile_base import rows as table_rows
from test_validate import CORPUS

Mutation = Callable[[Path], None]


def _duplicate_resource(d: dict) -> None:
    d["resources"].append(dict(d["resources"][0]))


def _dialect(name: str, **changes: object) -> Mutation:
    def change(d: dict) -> None:
        (r,) = [r for r in d["resources"] if r["name"] == name]
        r["dialect"].update(changes)

    return desc(change)


def _drop_evidence_resource(d: dict) -> None:
    d["resources"] = [r for r in d["resources"] if r["name"] != "evidence"]


def _link_backwards(root: Path) -> None:
    # The anniversary (2023-02-24) cannot precede the news conference (2023-02-16).
    def change(rows: list[list[str]]) -> None:
        row = list(rows[1])
        row[:3] = ["invasion-first-anniversary", "precedes", "lukashenko-minsk-news-conference"]
        rows.append(row)

    table_rows("event_links", change)(root)


def _swap_columns(rows: list[list[str]]) -> None:
    for r in rows:
        r[1], r[2] = r[2], r[1]


def _short_row(rows: list[list[str]]) -> None:
    rows[1] = rows[1][:-1]


def _long_row(rows: list[list[str]]) -> None:
    rows[1] = [*rows[1], "surplus"]


def _drop_evidence_of_first_event(root: Path) -> None:
    events = (root / "data" / "events.csv").read_text(encoding="utf-8").splitlines()
    first = events[1].split(",", 1)[0]

    def change(rows: list[list[str]]) -> None:
        rows[1:] = [r for r in rows[1:] if r[rows[0].index("event_id")] != first]

    table_rows("evidence", change)(root)


def _unique_twice(root: Path) -> None:
    # quote_id is declared unique (and is the key): a repeated row repeats it.
    table_rows("quotes", lambda rows: rows.append(list(rows[1])))(root)


def _remove_archive(root: Path) -> None:
    for p in (root / "sources").iterdir():
        p.unlink()


def _archive_outside(root: Path) -> None:
    cell("sources", 2, "archive_path", "../elsewhere.txt")(root)


def _archive_not_utf8(root: Path) -> None:
    import hashlib

    with (root / "data" / "sources.csv").open(encoding="utf-8", newline="") as fh:
        first = next(csv.DictReader(fh))  # the source of data row 2
    src = root / first["archive_path"]
    data = src.read_bytes() + b"\xff"
    src.write_bytes(data)
    cell("sources", 2, "sha256", hashlib.sha256(data).hexdigest())(root)


# (id, mutation, code expected among the findings)
EXTRA: list[tuple[str, Mutation, Code]] = [
    ("no-descriptor", lambda root: (root / "datapackage.json").unlink(), Code.PACKAGE_ERROR),
    ("resource-without-path", resource("events", path=None), Code.PACKAGE_ERROR),
    ("duplicate-resource", desc(_duplicate_resource), Code.DUPLICATE_RESOURCE),
    ("schema-missing", resource("events", schema="schema/nothing.json"), Code.SCHEMA_ERROR),
    ("data-file-missing", lambda root: (root / "data" / "claims.csv").unlink(), Code.MISSING_FILE),
    (
        "csv-file-empty",
        lambda root: (root / "data" / "actors.csv").write_bytes(b""),
        Code.SOURCE_ERROR,
    ),
    ("columns-swapped", table_rows("places", _swap_columns), Code.LABEL_ORDER),
    ("row-too-short", table_rows("places", _short_row), Code.MISSING_CELL),
    ("row-too-long", table_rows("places", _long_row), Code.EXTRA_CELL),
    ("unique-field-repeats", _unique_twice, Code.UNIQUE_ERROR),
    ("empty-span", cell("evidence", 2, "char_end", "0"), Code.EMPTY_SPAN),
    (
        "self-link",
        table_rows("event_links", lambda r: r[1].__setitem__(2, r[1][0])),
        Code.SELF_LINK,
    ),
    ("event-without-evidence", _drop_evidence_of_first_event, Code.NO_EVIDENCE),
    ("latitude-only", cell("places", 2, "longitude", ""), Code.HALF_COORDINATES),
    (
        "precision-none-with-point",
        cell("places", 2, "coordinate_precision", "none"),
        Code.COORDINATE_PRECISION,
    ),
    ("archived-text-missing", _remove_archive, Code.MISSING_SOURCE_TEXT),
    ("archive-path-escapes", _archive_outside, Code.UNSAFE_PATH),
    ("archived-text-not-utf8", _archive_not_utf8, Code.ENCODING_ERROR),
    ("span-beyond-the-text", cell("evidence", 2, "char_end", "999999"), Code.SPAN_OUT_OF_RANGE),
    ("table-dropped", desc(_drop_evidence_resource), Code.MISSING_TABLE),
    ("resource-format-unknown", resource("events", format="xlsx"), Code.RESOURCE_ERROR),
    ("dialect-semicolon", _dialect("events", delimiter=";"), Code.DIALECT_ERROR),
    ("declared-bytes-wrong", resource("events", bytes=1), Code.BYTE_COUNT),
    ("declared-hash-wrong", resource("events", hash="sha256:" + "0" * 64), Code.HASH_COUNT),
    ("header-repeats-a-name", replace("data/actors.csv", b"role", b"name"), Code.DUPLICATE_LABEL),
    ("blank-line", replace("data/actors.csv", b"\nalexander", b"\n\nalexander"), Code.BLANK_ROW),
    ("escape-character", cell("actors", 2, "name", "Vladimir \x1bPutin"), Code.CONTROL_CHARACTER),
    ("right-to-left-override", cell("actors", 2, "name", "\u202eniktuP"), Code.BIDI_CONTROL),
    ("whitespace-only", cell("events", 2, "summary", "   "), Code.WHITESPACE_ONLY),
    ("period-month-13", cell("claims", 2, "period", "2022-13"), Code.INVALID_EDTF),
    (
        "deprecated-time-zone",
        cell("events", 2, "timezone", "Europe/Kiev"),
        Code.DEPRECATED_TIMEZONE,
    ),
    ("place-within-itself", cell("places", 6, "within_place_id", "belarus"), Code.CYCLE),
    ("precedes-against-dates", _link_backwards, Code.LINK_CONTRADICTS_DATES),
]


def _findings(root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> list[dict]:
    before = tree_digest(root.parent)
    code = main(["validate", str(root), "--json", *extra])
    out = capsys.readouterr().out
    assert tree_digest(root.parent) == before, "validation modified a file"
    report = json.loads(out)
    assert code == 1 and report["valid"] is False
    errors: list[dict] = report["errors"]
    return errors


@pytest.mark.parametrize("case", EXTRA, ids=[c[0] for c in EXTRA])
def test_each_extra_case_gives_its_code(
    case: tuple[str, Mutation, Code], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, mutate, code = case
    root = copy_package(tmp_path / "pkg")
    mutate(root)
    found = _findings(root, capsys)
    assert code in {e["code"] for e in found}, json.dumps(found, indent=1, ensure_ascii=False)
    for e in found:
        assert e["code"] in set(Code), e
        assert e["layer"] in CATALOGUE[Code(e["code"])].layers, e
        assert e["message"] and e["fix"]


def _parquet_mismatch_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> set[str]:
    pkg = copy_package(tmp_path / "pkg")
    result = build_release(pkg, tmp_path / "dist", registry=tmp_path / "reg", exports=False)
    rel = tmp_path / "tampered"
    shutil.copytree(result.path, rel)
    # The Parquet file of one table replaced by another table's: same name, other rows.
    shutil.copy(rel / "parquet" / "places.parquet", rel / "parquet" / "actors.parquet")
    codes = {e["code"] for e in _findings(rel, capsys)}  # hash-count: the file changed
    redeclare_hash(rel, "parquet/actors.parquet")  # and the descriptor with it
    return codes | {e["code"] for e in _findings(rel, capsys)}


def test_every_catalogued_code_is_produced_and_nothing_else(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: set[str] = set()
    for i, (_, table, change, _expected) in enumerate(CORPUS):
        root = copy_package(tmp_path / f"c{i}")
        (table_rows(table, change) if table else change)(root)
        seen |= {e["code"] for e in _findings(root, capsys)}
    for i, (_, mutate, _code) in enumerate(EXTRA):
        root = copy_package(tmp_path / f"e{i}")
        mutate(root)
        seen |= {e["code"] for e in _findings(root, capsys)}
    seen |= _parquet_mismatch_codes(tmp_path, capsys)
    assert seen <= set(Code), sorted(seen - set(Code))
    assert set(Code) <= seen, f"never produced: {sorted(set(Code) - seen)}"


def test_catalogue_describes_every_code() -> None:
    assert set(CATALOGUE) == set(Code)
    for code, info in CATALOGUE.items():
        assert info.layers and set(info.layers) <= set(LAYERS), code
        assert info.severity == "error" and info.meaning.endswith("."), code
    table = catalogue_markdown()
    assert all(f"| `{code}` |" in table for code in Code)


def test_every_check_names_only_the_codes_it_declares() -> None:
    assert CHECKS, "no check registered"
    declared_union: set[Code] = set()
    for qualname, declared in CHECKS.items():
        module_name, _, func_name = qualname.rpartition(".")
        func = getattr(__import__(module_name, fromlist=[func_name]), func_name)
        named = {Code[m] for m in re.findall(r"\bCode\.([A-Z_]+)\b", inspect.getsource(func))}
        assert named <= declared, (qualname, sorted(named - declared))
        declared_union |= declared
    assert declared_union == set(Code), sorted(set(Code) - declared_union)
