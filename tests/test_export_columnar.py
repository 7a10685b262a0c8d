"""The exports written from Arrow columns (GeoJSON, TimelineJS, JSON lines, iCalendar) against
the view's writers, byte for byte, on a generated package made tricky: quotes, backslashes,
control characters, non-ASCII in every text; empty and unknown places; open ends; disputed and
contradicted dates and places; actors in several roles; utterances of several renderings; rows
in any order. Data the columns do not write as the view does is left to the view."""

from __future__ import annotations

import importlib.util
import random
import shutil
import sys
from collections.abc import Callable
from json.encoder import encode_basestring
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow as pa
import pytest

from belarus_timeline.errors import PackageError
from belarus_timeline.outputs.columnar import cat, geojson_chunks, json_strings, shared_package
from belarus_timeline.outputs.columnics import fold, ics_chunks, ics_text
from belarus_timeline.outputs.columnjsonl import jsonl_chunks
from belarus_timeline.outputs.columnslides import slide_chunks
from belarus_timeline.outputs.featuretext import _fold, _ics_text
from belarus_timeline.outputs.formats import (
    _PENDING,
    _chunks,
    _dtstamp,
    _ics_chunks,
    _timelinejs,
    render,
)
from belarus_timeline.outputs.views import build_view
from belarus_timeline.package import DataPackage
from helpers import ROOT, edit_table
from test_export_fast import _lines

_NASTY = ['say "hi"\\ there', "tab\tnew\nline\r\x00\x1f\x7f", "Лукашенко — «ок» 😀\u2028", "</a>&"]

Rows = list[list[str]]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["generate"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "pkg"
    gen = _generator()
    gen.write(gen.generate(300, 5), out)
    return out


def _column(rows: Rows, name: str) -> int:
    return rows[0].index(name)


def _each(rows: Rows, name: str, every: int, value: Callable[[int, str], str]) -> None:
    c = _column(rows, name)
    for i, row in enumerate(rows[1:]):
        if i % every == 0:
            row[c] = value(i, row[c])


def _nasty(i: int, text: str) -> str:
    return _NASTY[i % len(_NASTY)] + text


def _shuffle(rows: Rows) -> None:
    body = rows[1:]
    random.Random(len(body)).shuffle(body)
    rows[1:] = body


def _events(rows: Rows) -> None:
    _each(rows, "title", 3, _nasty)
    _each(rows, "timezone", 5, lambda i, v: "")
    _each(rows, "end_date", 6, lambda i, v: "")
    _each(rows, "place_id", 7, lambda i, v: "" if i % 2 else "nowhere")
    start = _column(rows, "start_date")
    for a, b in zip(rows[1:41:2], rows[2:42:2], strict=True):
        b[start] = a[start]  # same day: ordered by last day, then id
    _shuffle(rows)


def _statements(rows: Rows) -> None:
    h = rows[0]
    extra = []
    for i, row in enumerate(rows[1:80]):
        alt = dict(zip(h, row, strict=True))
        alt["statement_id"] = f"{alt['statement_id']}-alt{i}"
        alt["rank"] = ("normal", "deprecated", "preferred")[i % 3]
        alt["rank_reason"] = _NASTY[i % 4] if i % 5 else ""
        if alt["property"] == "date":
            alt["edtf"] = ("2020-XX", "2019-05/..", _NASTY[i % 4], "")[i % 4]
        else:
            alt["place_id"] = ("nowhere", "", alt["place_id"])[i % 3]
        extra.append([alt[k] for k in h])
    rows.extend(extra)
    _shuffle(rows)


def _evidence(rows: Rows) -> None:
    stance, statement = _column(rows, "stance"), _column(rows, "statement_id")
    extra = []
    for i, row in enumerate(rows[1:200]):
        if row[statement] and i % 3 == 0:
            row[stance] = "contradicts"
        elif i % 4 == 1:
            row[stance] = "qualifies"
        if i % 6 == 2:
            alt = list(row)
            alt[_column(rows, "evidence_id")] += f"-x{i}"
            alt[statement] = (f"{row[statement]}-alt{i % 80}", "", row[statement])[i % 3]
            alt[stance] = ("supports", "contradicts")[i % 2]
            alt[_column(rows, "char_start")] = str(i % 7)
            extra.append(alt)
        if i % 6 == 4 and row[statement]:  # a span naming a statement of another event
            alt = list(row)
            alt[_column(rows, "evidence_id")] += f"-y{i}"
            alt[_column(rows, "event_id")] = rows[1 + (i + 50) % 199][_column(rows, "event_id")]
            alt[stance] = ("supports", "contradicts")[i % 2]
            extra.append(alt)
    rows.extend(extra)
    _each(rows, "source_id", 3, lambda i, v: f"source-{i % 4}")  # source-3: not a source
    _each(rows, "event_id", 97, lambda i, v: "no-such-event")
    _shuffle(rows)


def _participants(rows: Rows) -> None:
    role = _column(rows, "role")
    roles = ("host", "speaker", "target", "subject", "visitor")
    rows.extend([[*r[:role], roles[i % 5], *r[role + 1 :]] for i, r in enumerate(rows[1:90])])
    _shuffle(rows)


def _places(rows: Rows) -> None:
    _each(rows, "name", 4, _nasty)
    _each(rows, "latitude", 5, lambda i, v: "")
    _each(rows, "geonames_id", 3, lambda i, v: "")
    _each(rows, "wikidata_qid", 2, lambda i, v: "")


def _spans(rows: Rows) -> None:
    _each(rows, "char_start", 4, lambda i, v: "3")
    _shuffle(rows)


def _quotes(rows: Rows) -> None:
    """Utterances of several renderings: led by the one they are named after, or not."""
    h = rows[0]
    extra = []
    for i, row in enumerate(rows[1:60]):
        q = dict(zip(h, row, strict=True))
        q["quote_id"] = f"{q['quote_id']}-r{i}"
        q["utterance_id"] = (q["utterance_id"], f"unnamed-{i}", q["quote_id"])[i % 3]
        q["quote_kind"] = ("full", "fragment")[i % 2]
        q["char_start"] = str(i % 5)
        q["text"] = _NASTY[i % 4]
        extra.append([q[k] for k in h])
    rows.extend(extra)
    _each(rows, "speaker_id", 9, lambda i, v: "no-such-actor")
    _spans(rows)


def _links(rows: Rows) -> None:
    rows.extend([[r[0], r[1], "no-such-event"] for r in rows[1:10]])
    rows.extend([[r[0], "part_of", r[0]] for r in rows[10:15]])
    rows.extend([[r[0], r[1], r[2]] for r in rows[15:18]])
    _shuffle(rows)


def _sources(rows: Rows) -> None:
    _each(rows, "url", 2, lambda i, v: "")
    _each(rows, "title", 1, _nasty)


def _tricky(generated: Path, dest: Path, evidence: Callable[[Rows], None] = _evidence) -> Path:
    """A copy of ``generated`` with tricky values in every table (``evidence``: its edit)."""
    shutil.copytree(generated, dest)
    for table, change in [
        ("events", _events),
        ("statements", _statements),
        ("evidence", evidence),
        ("participants", _participants),
        ("places", _places),
        ("quotes", _quotes),
        ("event_links", _links),
        ("sources", _sources),
        ("claims", _spans),
    ]:
        edit_table(dest, table, change)
    return dest


def _columnar(root: Path, fmt: str = "geojson") -> bytes | None:
    pkg = DataPackage(root)
    if fmt == "geojson":
        chunks = geojson_chunks(pkg)
    elif fmt == "jsonl":
        chunks = jsonl_chunks(pkg, _PENDING, batch=7)
    elif fmt == "ics":
        try:
            view = build_view(root)  # the calendar's head and stamp
        except PackageError:
            return None  # the build stops there, before any export
        chunks = ics_chunks(pkg, _dtstamp(view), next(_ics_chunks(view)), _PENDING, batch=7)
    else:
        chunks = slide_chunks(pkg, lambda s: _timelinejs(build_view(root), s), _PENDING)
    return None if chunks is None else b"".join(chunks)


@pytest.mark.parametrize("batch", [7, 20_000])
@pytest.mark.parametrize("fmt", ["geojson", "timelinejs", "jsonl", "ics"])
def test_columnar_export_equals_the_views(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int, fmt: str
) -> None:
    monkeypatch.setattr("belarus_timeline.outputs.columnar.BATCH", batch)
    for root in (ROOT, generated, _tricky(generated, tmp_path / "tricky")):
        expected = render(fmt, build_view(root))
        assert _columnar(root, fmt) == expected, root


@pytest.mark.parametrize("fmt", ["geojson", "timelinejs", "jsonl", "ics"])
def test_columnar_export_of_no_events(generated: Path, tmp_path: Path, fmt: str) -> None:
    root = shutil.copytree(generated, tmp_path / "empty")
    edit_table(root, "events", lambda rows: rows.__delitem__(slice(1, None)))
    assert _columnar(root, fmt) == render(fmt, build_view(root))


def _dup(rows: Rows) -> None:
    rows.append(list(rows[1]))


_ALL = ("geojson", "timelinejs", "jsonl", "ics")


@pytest.mark.parametrize(
    ("table", "change", "fmts"),
    [
        ("events", _dup, _ALL),
        ("events", lambda rows: rows[1].__setitem__(_column(rows, "title"), ""), _ALL),
        ("events", lambda rows: rows[2].__setitem__(_column(rows, "event_type"), "war"), _ALL),
        ("evidence", lambda rows: rows[3].__setitem__(_column(rows, "stance"), "maybe"), _ALL),
        ("participants", lambda rows: rows[1].__setitem__(_column(rows, "role"), ""), _ALL),
        ("statements", lambda rows: rows[1].__setitem__(_column(rows, "rank"), "top"), _ALL),
        ("quotes", lambda rows: rows[1].__setitem__(_column(rows, "source_id"), ""), _ALL),
        (
            "quotes",
            lambda rows: rows[1].__setitem__(_column(rows, "quote_kind"), "x"),
            ("timelinejs", "ics"),
        ),
        ("event_links", lambda rows: rows[1].__setitem__(1, ""), ("timelinejs", "ics")),
        ("evidence", lambda rows: rows[3].__setitem__(_column(rows, "aspect"), "x"), ("jsonl",)),
        (
            "events",
            lambda rows: rows[2].__setitem__(_column(rows, "plover_category"), "x"),
            ("jsonl",),
        ),
        (
            "events",
            lambda rows: rows[2].__setitem__(_column(rows, "start_date"), "0999-01-01"),
            ("ics",),
        ),
    ],
)
def test_data_the_columns_do_not_write_is_left_to_the_view(
    generated: Path,
    tmp_path: Path,
    table: str,
    change: Callable[[Rows], None],
    fmts: tuple[str, ...],
) -> None:
    root = shutil.copytree(generated, tmp_path / "odd")
    edit_table(root, table, change)
    for fmt in fmts:
        assert _columnar(root, fmt) is None, fmt


def test_json_strings_equal_json_encoder() -> None:
    values = [*_NASTY, "", "plain", "a\\b", '"', "\b\f\x0b", None]
    got = json_strings(pa.array(values)).to_pylist()
    assert got == [None if v is None else encode_basestring(v) for v in values]


@pytest.mark.parametrize("seed", range(12))
def test_cat_joins_as_python_joins_the_values(seed: int) -> None:
    """``cat`` of constants and one column (inserted before and after each value) or several
    columns: each row the parts' values joined, null where any part is null; columns of
    either string type, sliced from larger ones."""
    rng = random.Random(seed)
    n = rng.randrange(0, 12)
    texts = ["", "a", "é“", '"', "x\ny", "😀z"]

    def column() -> tuple[pa.Array, list[str | None]]:
        values = [None if rng.random() < 0.2 else rng.choice(texts) for _ in range(n + 3)]
        kind = rng.choice([pa.string(), pa.large_string()])
        return pa.array(values, kind).slice(3), values[3:]

    for columns in (1, 1, 2, 3):
        parts: list[Any] = [rng.choice(texts) for _ in range(rng.randrange(0, 3))]
        cells: list[list[str | None]] = [[p] * n for p in parts]
        for _ in range(columns):
            at = rng.randrange(len(parts) + 1)
            col, values = column()
            parts.insert(at, col)
            cells.insert(at, values)
            for _ in range(rng.randrange(0, 2)):
                text = rng.choice(texts)
                parts.append(text)
                cells.append([text] * n)
        want = [
            None if any(c[i] is None for c in cells) else "".join(str(c[i]) for c in cells)
            for i in range(n)
        ]
        assert cat(*parts).to_pylist() == want


@pytest.mark.parametrize("seed", range(20))
def test_json_strings_escape_exactly_the_values_the_encoder_escapes(seed: int) -> None:
    """Random values of characters escaped or not, single- and multi-byte, nulls among them, in
    arrays sliced from a larger one (offsets not starting at 0) and with a null's bytes left
    in place (a value whose bytes hold a quote, then nulled): each as the encoder writes it."""
    rng = random.Random(seed)
    alphabet = ["a", "1", " ", '"', "\\", "\n", "\x00", "\x1f", "\x7f", "é", "“", "😀", "\u2028"]
    values = [
        None if rng.random() < 0.1 else "".join(rng.choices(alphabet, k=rng.randrange(0, 6)))
        for _ in range(rng.randrange(1, 40))
    ]
    whole = pa.array(values, pa.large_string())
    a = rng.randrange(len(values) + 1)
    part, cells = whole.slice(a), values[a:]
    assert json_strings(part).to_pylist() == [
        None if v is None else encode_basestring(v) for v in cells
    ]
    shown = pa.array([v is not None and '"' not in v for v in values])  # (as a validity bitmap)
    hidden = pa.Array.from_buffers(
        pa.large_string(), len(values), [shown.buffers()[1], *whole.buffers()[1:]]
    )
    assert json_strings(hidden).to_pylist() == [
        None if v is None or '"' in v else encode_basestring(v) for v in values
    ]


def test_lines_folded_column_wise_equal_fold() -> None:
    lines = [*_lines(), *_NASTY, "a" * 300, "é" * 100, "a" * 74 + "é" * 3]
    assert fold(pa.array(lines)).to_pylist() == [_fold(x) for x in lines]
    assert ics_text(pa.array(lines)).to_pylist() == [_ics_text(x) for x in lines]


def test_fold_cuts_every_width_of_character_as_fold_does() -> None:
    """Lines of 1- to 4-octet characters, of every length around the cuts, cut on the bytes
    of all the lines at once: the same as ``_fold`` line by line; a null stays null."""
    rng = random.Random(7)
    alphabet = ["a", " ", "é", "ж", "€", "中", "😀", "\\n"]
    lines = [
        "".join(rng.choice(alphabet[: rng.randint(1, len(alphabet))]) for _ in range(size))
        for size in [*range(0, 160), *(rng.randint(0, 900) for _ in range(300))]
    ]
    assert fold(pa.array(lines, pa.string())).to_pylist() == [_fold(x) for x in lines]
    assert fold(pa.array(lines[70:90], pa.large_string()).slice(3)).to_pylist() == [
        _fold(x) for x in lines[73:90]
    ]
    assert fold(pa.array(["é" * 80, None, ""])).to_pylist() == [_fold("é" * 80), None, ""]
    assert fold(pa.array([], pa.string())).to_pylist() == []


def test_exports_of_one_view_share_its_columns_and_equal_the_views(
    generated: Path, tmp_path: Path
) -> None:
    root = _tricky(generated, tmp_path / "tricky")
    view = build_view(root)
    for fmt in ("timelinejs", "geojson", "ics", "jsonl"):  # write_all's order
        assert b"".join(_chunks(fmt, view)) == render(fmt, view), fmt
    assert "_features" in shared_package(view).__dict__


def test_kept_on_makes_a_value_once_when_threads_ask_at_once() -> None:
    """The exports run side by side and share the columns they keep on the package: threads
    asking for one value at once get the one made by the first."""
    import threading
    import time

    from belarus_timeline.outputs.columnar import kept_on

    class Holder:
        pass

    holder = Holder()
    made: list[str] = []

    def make(key: str) -> str:
        made.append(key)
        time.sleep(0.1)  # the window in which a second thread would find nothing kept
        return key * 2

    got: list[str] = []
    keys = ["a", "a", "a", "b"]
    threads = [
        threading.Thread(target=lambda k=k: got.append(kept_on(holder, k, lambda: make(k))))
        for k in keys
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(made) == ["a", "b"]
    assert sorted(got) == ["aa", "aa", "aa", "bb"]
