"""Large tables validated a batch of rows at a time: the same report as whole tables, whether
the batches' checks find nothing (their keys then checked over every row joined), find
something (the table then read again whole) or the file is not clean (read whole)."""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from belarus_timeline import tables
from belarus_timeline.errors import PackageError
from belarus_timeline.package import DataPackage
from belarus_timeline.tables import CsvProblem, EncodingProblem, RawTable, read_raw
from belarus_timeline.validate import columns, runner, validate_package
from belarus_timeline.validate.batches import NotClean, cells_at, clean_batches, prefetched
from belarus_timeline.validate.columns import Table
from helpers import copy_package, edit_table

Rows = list[list[str]]
TINY = 1024  # bytes of cells per batch: the sample package's large tables span 2-7 batches


@pytest.fixture(autouse=True)
def _in_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    """Packages of any size read in turn (by default only those above WHOLE_MAX_BYTES)."""
    monkeypatch.setattr(runner, "WHOLE_MAX_BYTES", 0)


def _copy_key(table: str, column: str, src: int, dst: int) -> Any:
    """Row ``dst`` takes row ``src``'s key: a duplicate in another batch."""

    def change(rows: Rows) -> None:
        k = rows[0].index(column)
        rows[dst][k] = rows[src][k]

    return table, change


def _copy_row(table: str, src: int, dst: int) -> Any:
    def change(rows: Rows) -> None:
        rows[dst] = list(rows[src])

    return table, change


def _cells(table: str, column: str, value: str, every: int = 3) -> Any:
    """Every ``every``-th row gets ``value``: bad cells in several batches."""

    def change(rows: Rows) -> None:
        k = rows[0].index(column)
        for row in rows[1::every]:
            row[k] = value

    return table, change


def _raw(table: str, data: bytes) -> Any:
    """The file's bytes changed as a whole (``data`` appended after the fourth line)."""

    def change(path: Path) -> None:
        lines = path.read_bytes().split(b"\n")
        path.write_bytes(b"\n".join([*lines[:4], data, *lines[4:]]))

    return table, change


CASES: dict[str, tuple[list[Any], list[Any], set[str]]] = {
    # (edits of the rows, edits of the bytes, the tables read again whole)
    "valid": ([], [], set()),
    "duplicate keys across batches": (
        [_copy_key("evidence", "evidence_id", 1, -1), _copy_key("events", "event_id", 2, -2)],
        [],
        set(),
    ),
    "duplicate compound keys": ([_copy_row("participants", 1, -1)], [], set()),
    # Ids of a domain's first table read in batches are coded without a hash table only when
    # no value recurs in another batch: these recur (the exact hashing then codes them).
    "an id again in a later batch": (
        [_copy_key("evidence", "statement_id", 2, -2), _copy_key("evidence", "event_id", 1, -1)],
        [],
        set(),
    ),
    "an unknown id in several batches": (
        [_cells("evidence", "statement_id", "no-such-statement", 4)],
        [],
        set(),
    ),
    "bad cells in several batches": (
        [_cells("evidence", "stance", "maybe"), _cells("events", "title", "=1+1", 2)],
        [],
        {"evidence", "events"},
    ),
    "bad cells and duplicates": (
        [_cells("quotes", "text", " "), _copy_key("evidence", "evidence_id", 1, -1)],
        [],
        {"quotes"},
    ),
    # The span order is checked as each batch is read (char_start and char_end not kept).
    "empty spans in several batches": (
        [_cells("evidence", "char_end", "0", 4), _cells("quotes", "char_end", "1", 5)],
        [],
        {"evidence", "quotes"},
    ),
    "a row of the wrong width": ([], [_raw("evidence", b"a,b")], {"evidence"}),
    "a blank row": ([], [_raw("evidence", b",,,,,,,,,,,")], {"evidence"}),
    "a blank line": ([], [_raw("evidence", b"")], {"evidence"}),
    "a line break in a cell": ([], [_raw("quotes", b'"x\ny",a,b')], {"quotes"}),
}


@pytest.mark.parametrize(
    ("case", "workers", "reverse"),
    [(c, w, False) for c in CASES for w in (1, 2)]
    + [("valid", 2, True), ("bad cells and duplicates", 2, True)],
)
def test_batched_reports_equal_whole_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, workers: int, reverse: bool
) -> None:
    """Reversed, the resources are listed in another order than the tables are read: the
    findings still come in the resource order."""
    rows, raws, again = CASES[case]
    pkg = copy_package(tmp_path / "pkg")
    for table, change in rows:
        edit_table(pkg, table, change)
    for table, change in raws:
        change(pkg / "data" / f"{table}.csv")
    if reverse:
        d = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
        d["resources"].reverse()
        (pkg / "datapackage.json").write_text(json.dumps(d), encoding="utf-8")
    monkeypatch.setattr(runner, "_WORKERS", workers)
    outcomes: dict[str, bool] = {}
    real = runner._read_batched

    def spy(pkg: DataPackage, name: str, *a: Any) -> Any:
        joined = real(pkg, name, *a)
        outcomes[name] = joined is not None
        return joined

    monkeypatch.setattr(runner, "_read_batched", spy)
    for limit in (1, 3, None):
        whole = validate_package(pkg, limit=limit, tables_out={})
        assert not outcomes
        monkeypatch.setattr(runner, "_BATCH_BYTES", TINY)
        report = validate_package(pkg, limit=limit)
        monkeypatch.setattr(runner, "_BATCH_BYTES", 256 << 20)
        assert report.to_dict() == whole.to_dict()
        assert {"evidence", "events", "quotes"} <= set(outcomes)
        assert {n for n, stood in outcomes.items() if not stood} == again
        assert report.valid == (case == "valid")
        outcomes.clear()


def test_batches_hold_the_rows_of_the_whole_read(tmp_path: Path) -> None:
    pkg = copy_package(tmp_path / "pkg")
    path = pkg / "data" / "evidence.csv"
    raw = read_raw(path)
    parts = [cells for _, cells in clean_batches(path, TINY)]
    assert len(parts) > 2
    assert pa.concat_tables(parts).equals(raw.table)


@pytest.mark.parametrize(
    "data",
    [
        b"\xef\xbb\xbfa,b\n1,2\n",  # a byte order mark
        b"a,a\n1,2\n",  # a repeated header cell
        b"a,\n1,2\n",  # an empty header cell
        b"a,b\n1,2\n\n3,4\n",  # a blank line
        b"a,b\n1,2\n,\n",  # a blank row
        b"a,b\n1,2,3\n",  # a row too wide
        b'a,b\n"1\n2",3\n',  # a line break in a cell
        b"a,b\n\xff,1\n",  # not UTF-8
        b'a,b\n1,2\n"3\xe2\x80",4\n',  # not UTF-8 in a quoted cell of a later row
        b'a,b\n1,2\n3,"4\n',  # a quote never closed
        # A quote never closed that the reader itself takes (the row ends at the line end),
        # found by the count of the quotes read, at the end of the file:
        b'a,b\n1,2"\n3,4\n',
        b"a,b\n" + b"5,6\n" * 2000 + b'1,2"\n3,4\n' + b"5,6\n" * 2000,  # (batches later)
        b"a,b",  # no line end
    ],
)
def test_a_file_that_is_not_clean_is_refused(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    with pytest.raises(NotClean):
        list(clean_batches(path, TINY))


def test_concat_joins_the_slimmed_batches(tmp_path: Path) -> None:
    """The joined batches hold what the whole table, slimmed alike, holds."""
    pkg = copy_package(tmp_path / "pkg")
    dp = DataPackage(pkg)
    schema = dp.schema("evidence")
    path = pkg / "data" / "evidence.csv"
    keep = {"evidence_id", "char_start", "date_basis"}
    whole = Table("evidence", "data/evidence.csv", schema, read_raw(path))
    whole.slim(keep)
    parts = []
    for header, cells in clean_batches(path, TINY):
        t = Table("evidence", "data/evidence.csv", schema, RawTable(header, cells))
        t.slim(keep)
        parts.append(t)
    joined = Table.concat(parts)
    assert joined.raw.table.equals(whole.raw.table)
    assert joined.dropped == whole.dropped
    assert set(joined.typed) == set(whole.typed) == keep
    for k in keep:
        a, b = joined.typed[k], whole.typed[k]
        assert pa.chunked_array(_chunks(a.values)).equals(pa.chunked_array(_chunks(b.values)))
        assert np.array_equal(a.missing, b.missing)
        assert np.array_equal(a.invalid, b.invalid)


def _chunks(a: Any) -> list[Any]:
    return list(a.chunks) if isinstance(a, pa.ChunkedArray) else [a]


def test_prefetched_gives_every_item_in_order_and_stops_cleanly() -> None:
    with ThreadPoolExecutor(2) as pool:
        assert list(prefetched(iter(range(10)), pool)) == list(range(10))
        items = prefetched((i for i in range(10)), pool)
        assert next(items) == 0
        items.close()  # the pending read is waited for: no "generator already executing"


def _same_length_same_hash(col: Any) -> np.ndarray:
    """A hash that collides for every two cells of one length (most ids here)."""
    return np.asarray(pc.utf8_length(col).to_numpy(zero_copy_only=False), np.uint64)


@pytest.mark.parametrize(
    ("case", "bad_hash"),
    [
        (c, h)
        for c in ("valid", "duplicate keys across batches", "bad cells and duplicates")
        for h in (lambda col: np.zeros(len(col), np.uint64), _same_length_same_hash)
    ],
)
def test_colliding_hashes_are_confirmed_by_the_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, bad_hash: Any
) -> None:
    """A key no later check reads is held as hashes across batches: with a hash under which
    many different keys collide, the cells read again from the file decide, so no duplicate
    is reported that the cells do not have and every real one still is (the whole read's
    report)."""
    rows = CASES[case][0]
    pkg = copy_package(tmp_path / "pkg")
    for table, change in rows:
        edit_table(pkg, table, change)
    whole = validate_package(pkg, limit=None, tables_out={})
    read_again: list[tuple[str, int]] = []

    def spy(path: Path, column: str, at: np.ndarray) -> pa.Array:
        read_again.append((path.stem, len(at)))
        return cells_at(path, column, at)

    monkeypatch.setattr(columns, "hash64", bad_hash)
    monkeypatch.setattr(runner, "cells_at", spy)
    monkeypatch.setattr(runner, "_BATCH_BYTES", TINY)
    report = validate_package(pkg, limit=None)
    assert report.to_dict() == whole.to_dict()
    assert min(r for r in read_again if r[0] == "evidence") > ("evidence", 0)


def test_keys_are_read_again_only_where_hashes_collide(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the real hash, a valid package's keys are not read again; a duplicate's rows are
    (only those two)."""
    read_again: list[tuple[str, list[int]]] = []

    def spy(path: Path, column: str, at: np.ndarray) -> pa.Array:
        read_again.append((path.stem, at.tolist()))
        return cells_at(path, column, at)

    monkeypatch.setattr(runner, "cells_at", spy)
    monkeypatch.setattr(runner, "_BATCH_BYTES", TINY)
    pkg = copy_package(tmp_path / "pkg")
    assert validate_package(pkg).valid
    assert read_again == []
    table, change = _copy_key("evidence", "evidence_id", 1, -1)
    edit_table(pkg, table, change)
    n = validate_package(pkg).rows["evidence"]
    assert read_again == [("evidence", [0, n - 1])]


def test_cells_at_are_the_cells_of_the_whole_read(tmp_path: Path) -> None:
    pkg = copy_package(tmp_path / "pkg")
    path = pkg / "data" / "evidence.csv"
    ids = read_raw(path).table.column("evidence_id")
    rows = np.array([0, 3, 4, len(ids) - 1])
    assert cells_at(path, "evidence_id", rows).to_pylist() == ids.take(rows).to_pylist()
    assert cells_at(path, "evidence_id", rows[:0]).to_pylist() == []


def test_cells_at_refuses_a_file_that_is_no_longer_utf8(tmp_path: Path) -> None:
    """Read again for a finding's cells, a file written since it was validated: an error, not
    cells that are not text (the byte is past the header's first 64 KiB, which are decoded)."""
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n" + b"x,1\n" * 20_000 + b"\xff,2\n")
    with pytest.raises(PackageError, match="changed while it was validated"):
        cells_at(path, "a", np.array([0]))


@pytest.mark.parametrize(
    ("written", "error", "says"),
    [
        (b"a,b\n\xff,2\n", EncodingProblem, "0xff"),  # no longer UTF-8
        (b"a,b\n1,2\n3,4\n", CsvProblem, "changed while it was read"),  # other text
    ],
)
def test_a_file_written_between_its_prescan_and_its_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, written: bytes, error: type, says: str
) -> None:
    """The cells are read unchecked after the prescan checked the file's bytes: a file written
    in between is found (by its size, time or inode) and reported as it is now."""
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n1,2\n")
    real = tables._prescan

    def prescan_then_write(p: Path) -> None:
        real(p)
        path.write_bytes(written)
        os.utime(path, ns=(1, 1))  # (a write within the clock's tick is still seen)

    monkeypatch.setattr(tables, "_prescan", prescan_then_write)
    with pytest.raises(error, match=says):
        read_raw(path)
