"""The exports' fast paths against the simple computations they replace, on tricky inputs:
iCalendar line folding, indented JSON (whole and streamed), the view's rows read from Arrow,
and the page written in chunks."""

from __future__ import annotations

import dataclasses
import json
import math
import random
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from belarus_timeline.files import json_bytes
from belarus_timeline.load import load
from belarus_timeline.outputs.formats import _fold
from belarus_timeline.outputs.jsontext import Stream, indented_json_bytes, indented_json_chunks
from belarus_timeline.outputs.page import _asset, _esc, _script_json, page_data, page_html
from belarus_timeline.outputs.rows import records
from belarus_timeline.outputs.views import build_view
from belarus_timeline.package import DataPackage
from helpers import ROOT, edit_table


def _fold_per_char(line: str) -> str:
    """The original folding: one character at a time."""
    out: list[str] = []
    current, size, limit = "", 0, 75
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += ch
        size += n
    out.append(current)
    return "\r\n".join(out)


def _lines() -> list[str]:
    alphabet = ["a", " ", ",", "й", "€", "😀", "\\", "\u0301"]
    rng = random.Random(7)
    lines = ["", "x", "a" * 74, "a" * 75, "a" * 76, "a" * 149, "a" * 150, "a" * 151]
    # Multi-byte characters straddling the 75th and 149th octets.
    lines += ["a" * k + ch * 5 + "b" * 80 for k in range(70, 76) for ch in ("й", "€", "😀")]
    lines += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(300))) for _ in range(500)]
    return lines


def test_fold_equals_folding_per_character() -> None:
    for line in _lines():
        assert _fold(line) == _fold_per_char(line), line


_TRICKY: list[Any] = [
    {},
    [],
    (),
    {"a": [], "b": {}, "c": [[]], "d": [{}], "e": ()},
    [None, True, False, 0, -1, 10**30, 1.5, -0.0, 1e16, 1e-7, math.inf, -math.inf, math.nan],
    {"k": 'quote " back \\ newline \n tab \t ctrl \x01 del \x7f ü й 😀 \u2028'},
    {"nested": {"deep": [{"x": [1, [2, [3, {}]]]}, "y"]}},
    [("tuple", 1), {"t": ("a",)}],
    {1: "int key", 2.5: "float key", None: "none key", False: "bool key"},  # json's own path
    {"bool_subclass_free": [1, 2], "str": "plain"},
]


class _Str(str):
    pass


class _Int(int):
    pass


@pytest.mark.parametrize("data", [*_TRICKY, [_Str("sub")], {"a": {"b": _Int(3)}}, _TRICKY])
def test_indented_json_equals_json_dumps(data: Any) -> None:
    assert indented_json_bytes(data) == json_bytes(data)


@pytest.mark.parametrize("items", [[], [{}], _TRICKY, [[_Str("x")], {"a": _Int(2)}] * 3])
def test_streamed_json_equals_json_dumps(items: list[Any]) -> None:
    data = {"head": {"a": [1, "b"]}, "items": items, "tail": "end"}
    streamed = {**data, "items": Stream(iter(items))}
    assert b"".join(indented_json_chunks(streamed)) == json_bytes(data)
    many = list(range(50_000))  # more than one chunk
    chunks = list(indented_json_chunks({"n": Stream(iter(many))}))
    assert len(chunks) > 1
    assert b"".join(chunks) == json_bytes({"n": many})


def _same(a: Any, b: Any) -> bool:
    """Values as the view reads them: a date by its day, an empty cell by its kind."""
    if isinstance(b, pd.Timestamp):
        return bool(a == b.date())
    if b is pd.NaT or b is pd.NA:
        return a is b
    if isinstance(b, float) and math.isnan(b):
        return isinstance(a, float) and math.isnan(a)
    return type(a) is type(b) and bool(a == b)


def _frame_records(root: Path, table: str) -> list[dict[Hashable, Any]]:
    return load(root=root, tables=[table])[table].to_dict("records")


def test_rows_from_arrow_equal_the_loaders_records(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    from helpers import copy_package

    copy_package(root)

    def blank(rows: list[list[str]]) -> None:
        # Empty cells of every type, and a value outside a vocabulary (the loader's
        # categoricals cannot hold it: NaN).
        header = rows[0]
        for col in ("end_date", "timezone", "place_id", "cameo_code", "plover_mode"):
            rows[1][header.index(col)] = ""
        rows[2][header.index("status")] = "not-a-status"
        rows[3][header.index("event_type")] = ""

    edit_table(root, "events", blank)

    def blank_places(rows: list[list[str]]) -> None:
        header = rows[0]
        for col in ("latitude", "longitude", "geonames_id", "wikidata_qid"):
            rows[1][header.index(col)] = ""

    edit_table(root, "places", blank_places)
    pkg = DataPackage(root)
    for table in ("events", "places", "actors", "participants", "quotes", "claims", "evidence"):
        fast, slow = records(pkg, table), _frame_records(root, table)
        assert [list(r) for r in fast] == [list(r) for r in slow]
        for f, s in zip(fast, slow, strict=True):
            assert all(_same(f[k], s[k]) for k in s), (table, f, s)
    for table in ("statements", "event_links", "link_evidence", "sources"):
        fast, slow = records(pkg, table), _frame_records(root, table)
        assert len(fast) == len(slow)
        for f, s in zip(fast, slow, strict=True):
            assert all(_same(f[k], s[k]) for k in s), (table, f, s)


def _page_whole(view: Any, sources_root: Path) -> str:
    """The original page: the template filled in with str.replace, the data dumped whole."""
    return (
        _asset("timeline.html")
        .replace("__JSONLD__", "")
        .replace("__TITLE__", _esc(view.title))
        .replace("__VERSION__", _esc(view.version))
        .replace("__CSS__", _asset("timeline.css"))
        .replace("__JS__", _asset("timeline.js"))
        .replace("__DATA__", _script_json(page_data(view, sources_root)))
    )


def test_page_in_chunks_equals_the_page_dumped_whole() -> None:
    view = build_view(ROOT)
    assert page_html(view, ROOT) == _page_whole(view, ROOT)
    # A title that names the placeholder gets the data twice, as str.replace put it.
    odd = dataclasses.replace(view, title="</script> & __DATA__")
    assert page_html(odd, ROOT) == _page_whole(odd, ROOT)
    empty = dataclasses.replace(view, events=())
    assert page_html(empty, ROOT) == _page_whole(empty, ROOT)
    assert json.loads(json.dumps(page_data(view, ROOT)))["events"]
