"""The page's event data written from Arrow columns against the view's writer, byte for byte,
on a generated package made tricky (as ``test_export_columnar`` does for the exports) with
evidence that stays true to its sources: spans added in other sources, overlapping, at
the edges of paragraphs, in long paragraphs with and without spaces, around quotes,
backslashes, control characters, non-ASCII and "</script>". And the chart of many events from
columns against the whole view's."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from belarus_timeline.outputs.catalog import dataset
from belarus_timeline.outputs.chart import chart_bytes
from belarus_timeline.outputs.columnar import shared_package
from belarus_timeline.outputs.columnpage import column_page_chunks, light_view, spread
from belarus_timeline.outputs.page import page_chunks
from belarus_timeline.outputs.views import build_view
from belarus_timeline.outputs.writeall import write_all
from belarus_timeline.package import DataPackage
from helpers import ROOT, edit_table
from test_export_columnar import (
    _NASTY,
    Rows,
    _column,
    _shuffle,
    _tricky,
    generated,  # noqa: F401 (a fixture)
)

#: Texts with characters to escape, but NUL and a lone CR (which a CSV cell may not hold).
_ODD = [t.replace("\x00", "\x01").replace("\r", "\x0b") for t in _NASTY]
#: Appended to some sources: paragraphs long and short, with and without spaces.
_TAIL = (
    "\n\n" + " ".join(_ODD) + "\n\n\n" + "word " * 150 + "\n\n" + "x" * 900 + "\n\n"
    + "</script> & <b> " * 40 + "\n\nend"
)  # fmt: skip


def _texts(root: Path) -> dict[str, str]:
    texts = {}
    for i in range(3):
        path = root / "sources" / f"source-{i}.txt"
        text = path.read_text(encoding="utf-8") + _TAIL
        path.write_text(text, encoding="utf-8")
        texts[f"source-{i}"] = text
    return texts


def _evidence(texts: dict[str, str]) -> Callable[[Rows], None]:
    """More spans, each equal to its excerpt: in other sources, in the tail, overlapping."""

    def change(rows: Rows) -> None:
        c = {k: _column(rows, k) for k in rows[0]}
        extra = []
        for i, row in enumerate(rows[1:240]):
            if row[c["statement_id"]] and i % 3 == 0:
                row[c["stance"]] = "contradicts"
            elif i % 4 == 1:
                row[c["stance"]] = "qualifies"
            sid = f"source-{i % 3}"
            text = texts[sid]
            tail = len(text) - len(_TAIL)
            start = (tail - 40 + i * 23) % len(text) if i % 2 else (i * 97) % len(text)
            end = min(len(text), start + 1 + (i % 6) * 9)  # an empty excerpt reads as none
            alt = list(row)
            alt[c["evidence_id"]] += f"-x{i}"
            alt[c["statement_id"]] = (f"{row[c['statement_id']]}-alt{i % 80}", "", "")[i % 3]
            alt[c["stance"]] = ("supports", "contradicts", "qualifies")[i % 3]
            alt[c["date_basis"]] = ("", "resolved", _ODD[i % 4])[i % 3]
            alt[c["date_expression"]] = _ODD[i % 4] if i % 2 else ""
            alt[c["source_id"]] = sid
            alt[c["char_start"]], alt[c["char_end"]] = str(start), str(end)
            alt[c["excerpt"]] = text[start:end]
            extra.append(alt)
        rows.extend(extra)
        _shuffle(rows)

    return change


def _tricky_page(base: Path, dest: Path) -> Path:
    return _tricky(base, dest, _evidence(_texts(base)))


def _columns(root: Path, batch: int) -> bytes | None:
    """The page from the columns (None: they fall back)."""
    light = light_view(root)
    assert light is not None
    data = dataset(DataPackage(root))
    chunks = column_page_chunks(shared_package(light), light, root, data, batch)
    return None if chunks is None else b"".join(chunks)


def _pages(root: Path, batch: int) -> tuple[bytes | None, bytes]:
    """The page from the columns (None: they fall back) and from the view."""
    data = dataset(DataPackage(root))
    view = "".join(page_chunks(build_view(root), root, data)).encode("utf-8")
    return _columns(root, batch), view


@pytest.mark.parametrize("batch", [7, 20_000])
def test_page_from_columns_equals_the_views(
    generated: Path,  # noqa: F811
    tmp_path: Path,
    batch: int,
) -> None:
    for root in (ROOT, generated, _tricky_page(generated, tmp_path / "tricky")):
        columns, view = _pages(root, batch)
        assert columns is not None, root
        assert columns == view, root


def test_page_the_columns_do_not_write_is_left_to_the_view(
    generated: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    root = shutil.copytree(generated, tmp_path / "odd")

    def moved(rows: Rows) -> None:
        rows[1][_column(rows, "char_start")] = "1"  # no longer its excerpt

    edit_table(root, "evidence", moved)
    assert _columns(root, 7) is None
    unknown = shutil.copytree(generated, tmp_path / "unknown")
    edit_table(unknown, "evidence", lambda rows: rows[1].__setitem__(-3, "source-x"))
    assert _columns(unknown, 7) is None


@pytest.mark.parametrize("rows", [3, 40])  # the busiest places' rows and one for the rest; all
def test_chart_of_many_events_from_the_columns(
    generated: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rows: int,
) -> None:
    monkeypatch.setattr("belarus_timeline.outputs.chart.MAX_MARKED_EVENTS", 10)
    monkeypatch.setattr("belarus_timeline.outputs.chart._MAX_DENSITY_ROWS", rows)
    root = _tricky_page(generated, tmp_path / "tricky")
    light = light_view(root)
    assert light is not None and not light.events
    many = spread(shared_package(light))
    assert len(many.label) > 10
    assert chart_bytes(light, many) == chart_bytes(build_view(root))


def test_write_all_from_columns_equals_the_views(
    generated: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = _tricky_page(generated, tmp_path / "tricky")
    write_all(root, tmp_path / "columns")
    monkeypatch.setattr("belarus_timeline.outputs.writeall.light_view", lambda *a: None)
    write_all(root, tmp_path / "view")
    for path in sorted((tmp_path / "view").rglob("*")):
        if path.is_file():
            other = tmp_path / "columns" / path.relative_to(tmp_path / "view")
            assert other.read_bytes() == path.read_bytes(), path.name


def test_excerpts_checked_a_few_rows_at_a_time(
    generated: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The spans are compared with their texts a slice of rows at a time: every slice is
    compared, the last one too."""
    monkeypatch.setattr("belarus_timeline.outputs.columnpassages._ROWS", 2)
    columns, view = _pages(generated, 7)
    assert columns == view
    root = shutil.copytree(generated, tmp_path / "odd")

    def moved(rows: Rows) -> None:
        rows[-1][_column(rows, "char_start")] = "1"  # no longer its excerpt

    edit_table(root, "evidence", moved)
    assert _columns(root, 7) is None
