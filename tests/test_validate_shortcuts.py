"""The validator's exact shortcuts, each against the plain computation it replaces, on inputs
chosen to break them: runs of equal values across chunk boundaries, foreign keys whose target
breaks the pattern, archive paths through links, excerpt blocks partly checked."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from belarus_timeline.package import TableSchema, outside_reason
from belarus_timeline.tables import RawTable
from belarus_timeline.validate import provenance, statements, structural
from belarus_timeline.validate.columns import Table, anchored, by_runs, mask
from belarus_timeline.validate.keys import Coder
from belarus_timeline.validate.report import Collector, Report

ID = "^[a-z0-9]+(-[a-z0-9]+)*$"


def _regex(col: Any, pattern: str) -> np.ndarray:
    return mask(pc.match_substring_regex(col, anchored(pattern)))


@pytest.mark.parametrize(
    "chunks",
    [
        [[]],
        [["a"]],
        [["a", "a", "a", "a"]],
        [["a", "a"], ["a", "b"], ["b", "b", "b"], [], ["B", "b", "b"]],
        [["x-1", "x-1", "x-1", "Bad", "Bad", "", "", "x-2"]],
        [["a", "b", "a", "b", "a"]],  # every row a run: computed on the column
        [["é", "é"], ["é", "e"], ["e", "e", "-e", "-e"]],
    ],
)
def test_by_runs_gives_the_per_value_result_of_every_row(chunks: list[list[str]]) -> None:
    col = pa.chunked_array([pa.array(c, pa.string()) for c in chunks], pa.string())
    got = by_runs(col, lambda c: _regex(c, ID))
    assert got.tolist() == _regex(col, ID).tolist()
    assert len(got) == len(col)


def _table(name: str, fields: list[dict[str, Any]], rows: list[list[str]], **extra: Any) -> Table:
    schema = TableSchema.from_descriptor({"fields": fields, **extra})
    names = [f["name"] for f in fields]
    columns = {
        n: pa.chunked_array([pa.array([r[i] for r in rows], pa.string())])
        for i, n in enumerate(names)
    }
    return Table(name, f"data/{name}.csv", schema, RawTable(names, pa.table(columns)))


def _id(name: str, pattern: str | None = ID) -> dict[str, Any]:
    return {
        "name": name,
        "type": "string",
        **({"constraints": {"pattern": pattern}} if pattern else {}),
    }


@pytest.mark.parametrize(
    ("targets", "local_pattern", "target_pattern"),
    [
        (["a-1", "b-2", "c"], ID, ID),  # every key matches: found values skip the regex
        (["a-1", "Bad", "c"], ID, ID),  # a key breaks the pattern: no shortcut
        (["a-1", "", "c"], ID, ID),  # an empty key (missing) does not stop the shortcut
        (["a-1", "Bad", "c"], ID, "^[A-Za-z0-9-]+$"),  # another pattern: no shortcut
        (["a-1", "Bad", "c"], ID, None),  # the target has no pattern
        (["a-1", "b-2", "c"], "^[a-z]-[0-9]$", ID),  # stricter here than there
    ],
)
@pytest.mark.parametrize("coded", [False, True])  # keys hashed, or the package's codes
def test_a_foreign_key_stands_in_for_the_pattern_only_when_exact(
    targets: list[str], local_pattern: str, target_pattern: str | None, coded: bool
) -> None:
    target = _table("target", [_id("key", target_pattern)], [[v] for v in targets])
    values = ["a-1", "a-1", "Bad", "Bad", "", "c", "zz", "-x", "c", "b-2", "a-1"]
    fk = [{"fields": "ref", "reference": {"resource": "target", "fields": "key"}}]
    local = _table("local", [_id("ref", local_pattern)], [[v] for v in values], foreignKeys=fk)
    tables = {"target": target, "local": local}
    coder = Coder(tables, [[("local", "ref"), ("target", "key")]]) if coded else None
    got = structural._pattern_ok(local, local.schema.field("ref"), tables, coder)
    present = np.array([v != "" for v in values])
    expected = _regex(local.col("ref"), local_pattern)
    assert (got & present).tolist() == (expected & present).tolist()


@pytest.mark.parametrize("coded", [False, True])
def test_a_self_reference_stands_in_for_the_pattern_exactly(coded: bool) -> None:
    rows = [["p-1", ""], ["p-2", "p-1"], ["Bad", "p-2"], ["p-3", "Bad"], ["p-4", "nowhere"]]
    fk = [{"fields": "parent", "reference": {"resource": "", "fields": "id"}}]
    t = _table("places", [_id("id"), _id("parent")], rows, foreignKeys=fk)
    coder = Coder({"places": t}, [[("places", "id"), ("places", "parent")]]) if coded else None
    got = structural._pattern_ok(t, t.schema.field("parent"), {"places": t}, coder)
    expected = _regex(t.col("parent"), ID)
    present = np.array([r[1] != "" for r in rows])
    assert (got & present).tolist() == (expected & present).tolist()


def test_resolving_folders_once_says_what_outside_reason_says(tmp_path: Path) -> None:
    base = tmp_path / "pkg"
    (base / "sources" / "deep").mkdir(parents=True)
    (base / "sources" / "a.txt").write_text("a")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "b.txt").write_text("b")
    os.symlink(outside / "b.txt", base / "sources" / "out.txt")
    os.symlink(base / "sources" / "a.txt", base / "sources" / "in.txt")
    os.symlink(outside, base / "linked")
    os.symlink(base / "sources", base / "alias")
    paths = [
        "sources/a.txt",
        "sources/out.txt",
        "sources/in.txt",
        "sources/missing.txt",
        "sources/deep/../a.txt",
        "linked/b.txt",
        "linked/nothing.txt",
        "alias/a.txt",
        "alias/out.txt",
        "sources/./a.txt",
        "/etc/passwd",
        ".hidden/a.txt",
        "",
        "missing-folder/a.txt",
        ".",
        "sources//a.txt",
        "sources/a.txt/",
    ]
    inside = provenance._Inside(base)
    for rel in paths * 2:  # the second time from the remembered folders
        assert inside.reason(rel) == outside_reason(base, rel), rel


@pytest.mark.parametrize(
    ("kept", "view_limit"),
    [(0, provenance._VIEW_LIMIT), (1 << 20, provenance._VIEW_LIMIT), (0, 20)],
    ids=["read-again", "kept", "beyond-views"],
)
def test_excerpts_compared_text_by_text_give_the_plain_comparison(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kept: int, view_limit: int
) -> None:
    """Texts read one at a time for the rows of two tables at once, in blocks smaller than a
    source's rows, rows not in the texts' order, some rows unchecked, spans short (held in
    their string view) and long (in the text's buffer), ASCII and not, texts kept from their
    verification or read again, and texts past a view's reach: the plain comparison."""
    monkeypatch.setattr(provenance, "_BLOCK", 4)
    monkeypatch.setattr(provenance, "_RECENT", 1)
    monkeypatch.setattr(provenance, "_VIEW_LIMIT", view_limit)
    texts = [
        "Hello, “world”! A line longer than a string view holds in itself.",
        "abcdef",
        "ёжик в тумане, и ещё немного текста",
        "plain ASCII text, long enough for views of both kinds",
    ]
    rows = []
    for k, text in enumerate(texts):
        (tmp_path / f"{k}.txt").write_text(text, encoding="utf-8")
        data = (tmp_path / f"{k}.txt").read_bytes()
        rows.append(
            {
                "source_id": f"s{k}",
                "archive_path": f"{k}.txt",
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )
    sources = Table(
        "sources",
        "data/sources.csv",
        TableSchema.from_descriptor({"fields": [{"name": f} for f in rows[0]]}),
        RawTable(list(rows[0]), pa.Table.from_pylist(rows)),
    )
    known = provenance._source_texts(sources, tmp_path, Collector(Report("x"), None), kept)
    assert known.lengths.tolist() == [len(t) for t in texts]
    assert sum(d is not None for d in known._kept) == (len(texts) if kept else 0)
    rng = np.random.default_rng(3)
    for trial in range(12):
        spans, plains = [], []
        for n in (23, 9):
            code = rng.integers(0, len(texts), n)
            code = code if trial % 2 else np.sort(code)
            start = np.array([rng.integers(0, len(texts[c])) for c in code])
            ends = [len(texts[c]) + 1 for c in code]
            end = np.array([rng.integers(a + 1, b) for a, b in zip(start, ends, strict=True)])
            excerpts = [
                texts[c][a:b] if rng.random() < 0.7 else texts[c][a : b - 1] + "x"
                for c, a, b in zip(code, start, end, strict=True)
            ]
            col = pa.chunked_array([pa.array(excerpts[:5]), pa.array(excerpts[5:])])
            check = [np.ones(n, bool), rng.random(n) < 0.5, np.zeros(n, bool)][trial % 3]
            none = np.zeros(n, bool)
            spans.append(
                provenance.Spans(None, "x", code, start, end, col, none, none, check, none.copy())  # type: ignore[arg-type]
            )
            plains.append(
                [
                    bool(k) and texts[c][a:b] != e
                    for k, c, a, b, e in zip(check, code, start, end, excerpts, strict=True)
                ]
            )
        provenance.compare_excerpts(spans, known)
        assert [s.mismatch.tolist() for s in spans] == plains
        for s in spans:  # one table alone (a batch read in turn): its blocks find the leads
            s.mismatch[:] = False
            provenance.compare_excerpts([s], known)
        assert [s.mismatch.tolist() for s in spans] == plains


def test_date_expressions_looked_up_in_blocks_give_the_plain_lookup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(statements, "_BLOCK", 3)
    rng = np.random.default_rng(5)
    words = ["", "on Thursday", "last week … on Thursday", "ёжик", "x"]
    excerpts = ["He left on Thursday.", "last week, then on Thursday", "ёжик в тумане", ""]
    n = 17
    expr = [words[k] for k in rng.integers(0, len(words), n)]
    text = [excerpts[k] for k in rng.integers(0, len(excerpts), n)]
    plain = {}
    for i, (e, t) in enumerate(zip(expr, text, strict=True)):
        absent = [f for f in e.split(statements.FRAGMENTS) if f not in t] if e else []
        if absent:
            plain[i] = absent[0]
    col = [pa.chunked_array([pa.array(v[:7]), pa.array(v[7:])]) for v in (expr, text)]
    assert statements._absent_expressions(*col) == plain
    assert plain  # the inputs hold absent expressions
