"""Integer codes of keys (validate/keys.py) against the joined strings they stand for.

The semantic checks compare keys by codes instead of joining cells into strings; these tests
compare the codes with the plain computation on inputs made to trip them: cells holding the
separator (two tuples that join into one string), empty cells, repeated keys, several chunks.
"""

from __future__ import annotations

import csv
import random
from itertools import pairwise
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from belarus_timeline.package import TableSchema
from belarus_timeline.tables import RawTable
from belarus_timeline.validate import validate_package
from belarus_timeline.validate.columns import Table
from belarus_timeline.validate.keys import (
    SEP,
    Coder,
    combine,
    encode,
    first_rows,
    index_in,
    is_in,
    repeats,
)
from helpers import copy_package

TRICKY = ["", "a", "b", SEP, "a" + SEP, SEP + "b", "a" + SEP + "b", "ab"]
PLAIN = ["", "a", "b", "ab", "ba", "é", "e1", "e2"]


def _table(name: str, columns: dict[str, list[str]], rng: random.Random) -> Table:
    """A table of string columns, cut into chunks at random places."""
    n = len(next(iter(columns.values())))
    cuts = sorted({0, n, *(rng.randrange(n + 1) for _ in range(3))})
    arrays = {
        k: pa.chunked_array([pa.array(v[a:b], pa.string()) for a, b in pairwise(cuts)])
        for k, v in columns.items()
    }
    raw = RawTable(header=list(columns), table=pa.table(arrays))
    return Table(name, f"data/{name}.csv", TableSchema.from_descriptor({"fields": []}), raw)


def _check_codes(joined: list[str], codes: np.ndarray) -> None:
    """Equal codes exactly for equal joined strings."""
    seen: dict[str, int] = {}
    back: dict[int, str] = {}
    for s, c in zip(joined, codes.tolist(), strict=True):
        assert seen.setdefault(s, c) == c
        assert back.setdefault(c, s) == s


@pytest.mark.parametrize("alphabet", [TRICKY, PLAIN], ids=["separator", "plain"])
@pytest.mark.parametrize("seed", range(8))
def test_keys_equal_exactly_when_the_joined_strings_are(alphabet: list[str], seed: int) -> None:
    rng = random.Random(seed)
    sizes = {"t1": rng.randrange(0, 40), "t2": rng.randrange(1, 40)}
    tables = {
        name: _table(name, {f: [rng.choice(alphabet) for _ in range(n)] for f in "xyz"}, rng)
        for name, n in sizes.items()
    }
    coder = Coder(tables, [[("t1", f), ("t2", f)] for f in "xyz"])
    for width in (1, 2, 3):
        fields = "xyz"[:width]
        parts = [[(name, f) for f in fields] for name in tables]
        codes = coder.keys(*parts)
        joined = [
            SEP.join(str(tables[name].col(f)[i]) for f in fields)
            for name, n in sizes.items()
            for i in range(n)
        ]
        _check_codes(joined, np.concatenate(codes))
        # The first row of each group, and lookups into the other table.
        a, b = codes
        assert first_rows(a).tolist() == [joined.index(joined[i]) for i in range(len(a))]
        j1, j2 = joined[: len(a)], joined[len(a) :]
        assert index_in(b, a).tolist() == [j1.index(s) if s in j1 else -1 for s in j2]
        assert is_in(b, a).tolist() == [s in j1 for s in j2]


def test_first_rows_of_codes_in_any_order() -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        codes = rng.integers(0, 6, rng.integers(0, 30))
        expected = [int(np.flatnonzero(codes == c)[0]) for c in codes]
        assert first_rows(codes).tolist() == expected
        ordered = encode(pa.array(codes, pa.int64()))[0]
        assert first_rows(ordered).tolist() == expected


def test_a_duplicate_statement_found_only_by_the_joined_strings(tmp_path: Path) -> None:
    """("e<SEP>date", "x", place "p") and ("e", "date<SEP>x", place "p") join into one key: the
    second is reported as a duplicate of the first, as the joined strings say."""
    root = copy_package(tmp_path / "pkg")
    path = root / "data" / "statements.csv"
    text = path.read_text(encoding="utf-8")
    rows = text.count("\n")  # header + data rows: the next row's number is rows + 1
    text += f"s1,e{SEP}date,x,,p,normal,\ns2,e,date{SEP}x,,p,normal,\n"
    path.write_text(text, encoding="utf-8")
    report = validate_package(root, limit=None)
    dup = [f for f in report.findings if f.code == "duplicate-statement"]
    assert [(f.row, f.message) for f in dup] == [
        (rows + 2, f"The same value as statement row {rows + 1}.")
    ]


def test_a_preferred_value_found_only_by_the_joined_strings(tmp_path: Path) -> None:
    """An event (id E, edtf "D<SEP>p") and a preferred statement (event "E<SEP>date", property
    D, place "p") join into one key: the event's date counts as stated, as the joined strings
    say (no preferred-mismatch on its edtf)."""
    root = copy_package(tmp_path / "pkg")
    events = root / "data" / "events.csv"
    with events.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    edtf = rows[0].index("edtf")
    event, date = rows[1][0], rows[1][edtf]
    rows[1][edtf] = f"{date}{SEP}p"
    with events.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    with (root / "data" / "statements.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"s1,{event}{SEP}date,{date},,p,preferred,\n")
    report = validate_package(root, limit=None)
    assert report.rows["events"] == len(rows) - 1
    assert not [
        f
        for f in report.findings
        if (f.code, f.file, f.row, f.field) == ("preferred-mismatch", "data/events.csv", 2, "edtf")
    ]


def test_combined_codes_do_not_overflow_int32() -> None:
    """Codes are int32; the pair codes ``a * (max(b) + 1) + b`` pass 2**31 here (widened first),
    so pairs that would wrap onto one another stay apart."""
    n = 70_000
    a = np.arange(n, dtype=np.int32)
    b = np.arange(n, dtype=np.int32)[::-1].copy()
    pairs = list(zip(a.tolist(), b.tolist(), strict=True))
    got = combine(a, b)
    plain = np.unique(np.array(pairs), axis=0, return_inverse=True)[1].reshape(-1)
    assert got.tolist() == plain.tolist()
    assert encode(pa.array(["x", "y", "x"]))[0].dtype == np.int32


@pytest.mark.parametrize("seed", range(4))
def test_combined_codes_are_the_ranks_of_the_pairs(seed: int) -> None:
    """``combine`` ranks the pairs itself (less memory than ``np.unique``): the same codes, on
    pairs that repeat, one part constant, and a single row."""
    rng = np.random.default_rng(seed)
    for n, high in ((1, 3), (50, 2), (1000, 7), (5000, 1)):
        a = rng.integers(0, high, n).astype(np.int32)
        b = rng.integers(0, 3 * high, n).astype(np.int32)
        plain = np.unique(np.stack([a, b], axis=1), axis=0, return_inverse=True)[1].reshape(-1)
        got = combine(a, b)
        assert got.dtype == np.int32
        assert got.tolist() == plain.tolist()


@pytest.mark.parametrize("seed", range(6))
def test_repeats_is_whether_a_tuple_repeats(seed: int) -> None:
    """Each way of telling (a table of every tuple, the sorted integers, the pairs ranked when
    the integers would overflow) against a set of the tuples."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 400))
    for sizes in ([n * 3], [3, 5], [n * 50, n * 50], [2**31 - 1, 2**31 - 1, 7]):
        parts = [rng.integers(0, min(s, 2**31 - 1), n, dtype=np.int64) for s in sizes]
        parts = [np.minimum(p, s - 1).astype(np.int32) for p, s in zip(parts, sizes, strict=True)]
        parts[0][-1] = sizes[0] - 1  # the largest code present (the table's size)
        tuples = list(zip(*(p.tolist() for p in parts), strict=True))
        assert repeats(parts) == (len(set(tuples)) < n)
        distinct = sorted(set(tuples))
        unique = [np.array(col, np.int32) for col in zip(*distinct, strict=True)]
        assert not repeats(unique)
        doubled = [np.concatenate([u, u[:1]]) for u in unique]
        assert repeats(doubled)
    assert not repeats([]) and not repeats([np.array([5], np.int32)])


@pytest.mark.parametrize("seed", range(6))
def test_encode_gives_arrows_codes_whether_or_not_cells_come_in_runs(seed: int) -> None:
    """Coded from the first cell of each run or from every cell: the codes and values of
    ``pc.dictionary_encode`` (numbered in order of first appearance), over chunks too."""
    rng = random.Random(seed)
    values = [rng.choice(["a", "b", "ab", "", "é", "a\x1fb"]) for _ in range(rng.randint(1, 40))]
    rows = [v for v in values for _ in range(rng.choice([1, 1, 3, 7]))]
    cut = rng.randint(0, len(rows))
    for col in (pa.array(rows), pa.chunked_array([pa.array(rows[:cut]), pa.array(rows[cut:])])):
        expected = pc.dictionary_encode(
            pa.chunked_array([col]) if isinstance(col, pa.Array) else col
        )
        codes, got = encode(col)
        want = np.concatenate([c.indices.to_numpy() for c in expected.chunks] or [[]])
        assert codes.dtype == np.int32
        assert codes.tolist() == want.tolist()
        assert got.to_pylist() == expected.chunks[-1].dictionary.to_pylist()
