"""Kept columns held as codes into shared dictionaries (validate/vocab.py ``Vocabularies``).

A slimmed table's kept columns become int32 codes; every reader must see what it saw with the
strings: the raw cells, the typed values (invalid and missing cells included), comparisons,
the Coder's groups. Each is compared here with the same table slimmed without coding, on cells
made to trip it (the separator, empty cells, values one table lacks, several chunks, parts).
"""

from __future__ import annotations

import random
from itertools import pairwise

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from belarus_timeline.package import TableSchema
from belarus_timeline.tables import RawTable
from belarus_timeline.validate import vocab as vocab_module
from belarus_timeline.validate.columns import DroppedColumn, Table, mask
from belarus_timeline.validate.keys import SEP, Coder, first_rows, index_in, is_in
from belarus_timeline.validate.vocab import Vocabularies, _lookup, merge_domains

IDS = ["", "a", "b", SEP, "a" + SEP, "ab", "é", "e1"]
INTS = ["", "1", "01", "-3", "x", "99999999999999999999"]
DATES = ["", "2020-01-02", "2020-02-30", "1999-12-31", "soon"]
FIELDS = [("x", "string"), ("y", "string"), ("n", "integer"), ("d", "date"), ("z", "string")]


def _table(name: str, n: int, rng: random.Random) -> Table:
    """Columns x, y (ids), n (integers), d (dates), z (mostly distinct), in random chunks."""
    pools = {"x": IDS, "y": IDS[:4], "n": INTS, "d": DATES}
    cells = {f: [rng.choice(pools[f]) for _ in range(n)] for f in pools}
    cells["z"] = [f"z{rng.randrange(10 * n + 1)}" for _ in range(n)]
    cuts = sorted({0, n, *(rng.randrange(n + 1) for _ in range(3))})
    arrays = {
        k: pa.chunked_array([pa.array(v[a:b], pa.string()) for a, b in pairwise(cuts)])
        for k, v in cells.items()
    }
    schema = TableSchema.from_descriptor({"fields": [{"name": f, "type": t} for f, t in FIELDS]})
    return Table(name, f"data/{name}.csv", schema, RawTable(list(cells), pa.table(arrays)))


def _pair(seed: int) -> tuple[dict[str, Table], dict[str, Table], Vocabularies]:
    """The same two tables slimmed twice: as strings, and coded (x of both in one domain)."""
    rng = random.Random(seed)
    sizes = {"t1": rng.randrange(0, 30), "t2": rng.randrange(1, 30)}
    plain = {k: _table(k, n, random.Random(seed * 7 + n)) for k, n in sizes.items()}
    coded = {k: _table(k, n, random.Random(seed * 7 + n)) for k, n in sizes.items()}
    vocab = Vocabularies([[("t1", "x"), ("t2", "x")], [("t1", "y"), ("t2", "y")]])
    for name in plain:
        plain[name].slim({"x", "y", "n", "d", "z"})
        coded[name].slim({"x", "y", "n", "d", "z"}, vocab)
    return plain, coded, vocab


@pytest.mark.parametrize("seed", range(12))
def test_coded_columns_read_as_their_cells(seed: int) -> None:
    plain, coded, _ = _pair(seed)
    for name, p in plain.items():
        c = coded[name]
        assert {"x", "y"} <= set(c.coded)  # shared dictionaries are always used
        for f, _ in FIELDS:
            cells = p.col(f).to_pylist()
            assert c.col(f).to_pylist() == cells
            assert c.values(f).to_pylist() == p.values(f).to_pylist()
            assert c.typed[f].missing.tolist() == p.typed[f].missing.tolist()
            assert c.typed[f].invalid.tolist() == p.typed[f].invalid.tolist()
            for v in ("", "a", SEP, "1", "nowhere"):
                assert c.equal(f, v).tolist() == [s == v for s in cells]
                assert c.differs(f, v).tolist() == [s != v for s in cells]
            assert c.among(f, ["a", "", "zz"]).tolist() == [s in ("a", "", "zz") for s in cells]
            regex = lambda col: mask(pc.match_substring_regex(col, "^[a-e]"))  # noqa: E731
            assert c.per_cell(f, regex).tolist() == p.per_cell(f, regex).tolist()
            rows = pa.array(list(range(len(cells)))[::-2], pa.int64())
            assert c.take(f, rows).to_pylist() == [cells[i] for i in rows.to_pylist()]
            shown = c.shown(f)
            assert [c.cell(f, i) for i in range(len(cells))] == cells
            assert [
                shown[i] if not isinstance(shown, pa.ChunkedArray) else shown[i].as_py()
                for i in range(len(cells))
            ] == cells


@pytest.mark.parametrize("seed", range(12))
def test_the_coder_groups_stored_codes_as_it_groups_the_strings(seed: int) -> None:
    plain, coded, _ = _pair(seed)
    domains = [[("t1", "x"), ("t2", "x")], [("t1", "y"), ("t2", "y")]]
    a, b = Coder(plain, domains), Coder(coded, domains)
    for parts in ([["x"], ["x"]], [["x", "y"], ["x", "y"]], [["y", "x"], ["y", "x"]]):
        refs = [[(name, f) for f in fields] for name, fields in zip(plain, parts, strict=True)]
        p1, p2 = a.keys(*refs)
        c1, c2 = b.keys(*refs)
        assert first_rows(c1).tolist() == first_rows(p1).tolist()
        assert index_in(c2, c1).tolist() == index_in(p2, p1).tolist()
        assert is_in(c2, c1).tolist() == is_in(p2, p1).tolist()
    assert b.holds_sep(("t1", "x")) == a.holds_sep(("t1", "x"))
    assert b.done[("t1", "x")] is not None and coded["t1"].codes("x") is not None


def test_a_column_coded_in_parts_shares_one_dictionary() -> None:
    """A table checked in batches slims each part: the dictionary grows, earlier codes stay
    valid, and the first part decides whether the column is coded (every part one type)."""
    vocab = Vocabularies([[("t", "id"), ("u", "id")]])
    parts = [["a", "b", "a"], ["c", "a"], [], ["d", "b", "e"]]
    codes = [vocab.encode("t", "id", pa.chunked_array([p], pa.string())) for p in parts]
    other = vocab.encode("u", "id", pa.chunked_array([["e", "zz"]]))
    assert all(c is not None for c in codes) and other is not None
    key = vocab.key("t", "id")
    whole = pa.chunked_array([ch for c in codes if c is not None for ch in c.chunks])
    assert vocab.decode(key, whole).to_pylist() == [v for p in parts for v in p]
    assert vocab.decode(key, other).to_pylist() == ["e", "zz"]
    assert whole.to_pylist()[-1] == other.to_pylist()[0]  # one code for "e" in both tables
    # A column of its own: coded when its first part repeats values, then always.
    assert vocab.encode("t", "kind", pa.chunked_array([["k", "k", "k"]])) is not None
    assert vocab.encode("t", "kind", pa.chunked_array([["p", "q", "r"]])) is not None
    assert vocab.encode("t", "text", pa.chunked_array([["p", "q", "r"]])) is None
    assert vocab.encode("t", "text", pa.chunked_array([["k", "k", "k"]])) is None


def test_a_slimmed_coded_table_still_refuses_dropped_columns() -> None:
    t = _table("t", 10, random.Random(3))
    t.slim({"y", "n"}, Vocabularies([]))  # y: 4 values in 10 rows, coded
    assert t.raw.table.column(t.raw.table.column_names.index("y")).type == pa.int32()
    for read in (lambda: t.col("x"), lambda: t.codes("x"), lambda: t.equal("d", "")):
        with pytest.raises(DroppedColumn):
            read()
    assert np.asarray(t.typed["n"].missing).dtype == bool


def test_values_are_looked_up_in_a_dictionary_either_way_round() -> None:
    """The smaller of a part's values and the dictionary is hashed: both ways give positions."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        known = rng.choice(50, rng.integers(0, 30), replace=False).tolist()
        local = rng.choice(50, rng.integers(0, 30), replace=False).tolist()
        got = _lookup(
            pa.array(map(str, local), pa.string()), pa.array(map(str, known), pa.string())
        )
        assert got.tolist() == [known.index(x) if x in known else -1 for x in local]


@pytest.mark.parametrize("seed", range(6))
def test_a_coded_table_slimmed_again_reads_the_same_cells(seed: int) -> None:
    """The validator slims a table of joined batches once more (dropping its key columns) without
    a dictionary: its coded columns must still decode (they read as their codes before)."""
    plain, coded, _ = _pair(seed)
    for name, p in plain.items():
        p.slim({"x", "y", "n"})
        coded[name].slim({"x", "y", "n"})
        for f in ("x", "y", "n"):
            assert coded[name].col(f).to_pylist() == p.col(f).to_pylist()
            assert coded[name].values(f).to_pylist() == p.values(f).to_pylist()
        with pytest.raises(DroppedColumn):
            coded[name].col("z")


@pytest.mark.parametrize(
    ("seed", "own", "group"),
    [(s, o, g) for s in range(6) for o, g in [(False, 0), (True, 1 << 28), (True, 1)]],
)
def test_coded_parts_joined_read_as_the_whole_table(
    seed: int, own: bool, group: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches coded one by one, then joined (``Table.concat``: the typed values of a coded
    column are its joined codes, null where missing or invalid): every cell and typed value is
    the whole table's, invalid and missing ones included. ``own``: each batch coded in a
    dictionary of its own, looked up in the shared one when joined (``group``: bytes of the
    batches' dictionaries looked up at a time)."""
    monkeypatch.setattr(vocab_module, "_JOIN_BYTES", group)
    rng = random.Random(seed)
    whole = _table("t", rng.randrange(1, 40), random.Random(seed))
    plain = _table("t", whole.raw.num_rows, random.Random(seed))
    plain.slim({"x", "y", "n", "d", "z"})
    vocab = Vocabularies([[("t", f)] for f in ("x", "y", "n", "d")])  # always coded
    n = whole.raw.num_rows
    cuts = sorted({0, n, *(rng.randrange(n + 1) for _ in range(3))})
    parts = []
    for a, b in pairwise(cuts):
        part = Table(
            "t",
            whole.file,
            whole.schema,
            RawTable(whole.raw.header, whole.raw.table.slice(a, b - a)),
        )
        part.slim({"x", "y", "n", "d", "z"}, vocab, part=own)
        assert bool(part.pending) == own
        parts.append(part)
    joined = Table.concat(parts)
    assert not joined.pending
    assert {"x", "y", "n", "d"} <= set(joined.coded)
    whole.slim({"x", "y", "n", "d", "z"}, Vocabularies([[("t", f)] for f in ("x", "y", "n", "d")]))
    for f in ("x", "y", "n", "d"):  # the codes null where the cell is missing or invalid
        nulls = pc.is_null(joined.typed[f].values).to_pylist()
        assert nulls == pc.is_null(whole.typed[f].values).to_pylist()
    for f, _ in FIELDS:
        assert joined.col(f).to_pylist() == plain.col(f).to_pylist()
        assert joined.values(f).to_pylist() == plain.values(f).to_pylist()
        assert joined.typed[f].missing.tolist() == plain.typed[f].missing.tolist()
        assert joined.typed[f].invalid.tolist() == plain.typed[f].invalid.tolist()


@pytest.mark.parametrize("seed", range(8))
def test_batches_coded_on_their_own_share_the_domain_dictionary(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table read in batches after another table of its domain was coded: its joined codes
    equal the other table's exactly where the cells are equal (values the other lacks are
    appended), whatever the groups of the look-up."""
    monkeypatch.setattr(vocab_module, "_JOIN_BYTES", random.Random(seed).choice([1, 40, 1 << 28]))
    rng = random.Random(seed)
    vocab = Vocabularies([[("t1", "x"), ("t2", "x")]])
    first = _table("t1", rng.randrange(0, 30), random.Random(seed))
    first.slim({"x"}, vocab)
    whole = _table("t2", rng.randrange(1, 40), random.Random(seed + 100))
    n = whole.raw.num_rows
    cuts = sorted({0, n, *(rng.randrange(n + 1) for _ in range(3))})
    parts = []
    for a, b in pairwise(cuts):
        raw = RawTable(whole.raw.header, whole.raw.table.slice(a, b - a))
        part, cells = Table("t2", whole.file, whole.schema, raw), raw.table.column("x").to_pylist()
        part.slim({"x"}, vocab, part=True)
        assert part.col("x").to_pylist() == cells  # (decoded from the batch's own dictionary)
        parts.append(part)
    joined = Table.concat(parts)
    assert joined.col("x").to_pylist() == whole.col("x").to_pylist()
    k1, c1 = first.codes("x") or (None, np.zeros(0))
    k2, c2 = joined.codes("x") or (None, np.zeros(0))
    assert k1 == k2 is not None
    cells = first.col("x").to_pylist() + joined.col("x").to_pylist()
    codes = np.concatenate([c1, c2]).tolist()
    assert len(set(zip(cells, codes, strict=True))) == len(set(cells)) == len(set(codes))


def test_domains_sharing_a_column_are_merged() -> None:
    a, b, c, d, e = (("t", k) for k in "abcde")
    assert merge_domains([[a, b], [c, d], [d, e], [e, a]]) == [[a, b, c, d, e]]
    assert merge_domains([[a, b], [c], [b, a], [d, c]]) == [[a, b], [c, d]]
    assert merge_domains([[], [a, a]]) == [[a]]
    vocab = Vocabularies([[a, b], [c, d], [b, c], [e]])
    assert len({vocab.key(*r) for r in (a, b, c, d)}) == 1 and vocab.key(*e) != vocab.key(*a)


def test_one_coder_serves_threads_and_domains_that_share_a_column() -> None:
    """The validator's coder: domains merged (codes compare across them), each coded once
    however many threads ask at the same time."""
    from concurrent.futures import ThreadPoolExecutor

    plain, _, _ = _pair(3)
    domains = [[("t1", "x"), ("t2", "x")], [("t2", "x"), ("t2", "y")]]
    coder = Coder(plain, domains)
    refs = [("t1", "x"), ("t2", "y"), ("t2", "x")] * 8
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(coder.codes, refs))
    assert all(g is coder.done[r] for g, r in zip(got, refs, strict=True))
    assert coder.shared(("t1", "x"), ("t2", "y")) and not coder.shared(("t1", "x"), ("t1", "y"))
    cells = {r: plain[r[0]].col(r[1]).to_pylist() for r in refs[:3]}
    for r, s in [(r, s) for r in cells for s in cells]:  # equal codes exactly at equal cells
        for i, u in enumerate(cells[r]):
            for j, v in enumerate(cells[s]):
                assert (coder.done[r][i] == coder.done[s][j]) == (u == v)


def test_a_column_decided_not_coded_on_its_first_batch_stays_so_unhashed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whether a column of no shared domain is coded is decided on its first batch (most cells
    distinct: not coded); a later batch, even of repeated cells, is then left as it is, its
    cells not hashed, so that every batch of the column has one type when they are joined."""
    vocab = Vocabularies([])
    distinct = pa.chunked_array([pa.array([f"id{i}" for i in range(10)])])
    repeated = pa.chunked_array([pa.array(["same"] * 10)])
    assert vocab.encode_part("t", "z", distinct) is None

    def hashed(col: object) -> None:
        raise AssertionError("a batch of a column decided not coded was hashed")

    monkeypatch.setattr(vocab_module, "dictionary_codes", hashed)
    monkeypatch.setattr(pc, "dictionary_encode", hashed)
    assert vocab.encode_part("t", "z", repeated) is None
    assert vocab.encode("t", "z", repeated) is None
    monkeypatch.undo()
    other = Vocabularies([])
    found = other.encode_part("t", "z", repeated)  # decided on repeated cells: coded
    assert found is not None
    assert other.encode_part("t", "z", distinct) is not None  # (and stays so)


def _id_table(name: str, cells: list[str]) -> Table:
    schema = TableSchema.from_descriptor({"fields": [{"name": "id", "type": "string"}]})
    raw = RawTable(["id"], pa.table({"id": pa.chunked_array([pa.array(cells, pa.string())])}))
    return Table(name, f"data/{name}.csv", schema, raw)


def _child_in_parts(cells: list[str], cuts: list[int], vocab: Vocabularies) -> Table:
    """A child table's cells read in parts (cut at ``cuts``) and joined."""
    parts = []
    for a, b in pairwise(cuts):
        part = _id_table("child", cells[a:b])
        part.slim({"id"}, vocab, part=True)
        parts.append(part)
    return Table.concat(parts)


def _grouped(rng: random.Random) -> tuple[list[str], list[str]]:
    """A parent's ids (in no sorted order), and a child's cells grouped in the parent's order,
    a few of the runs broken: a parent left out, a value the parent lacks, two neighbours
    swapped, a value again after others."""
    ids = [f"p{i}" for i in rng.sample(range(100), rng.randrange(1, 60))]
    cells = [k for k in ids for _ in range(rng.randrange(1, 3))]
    for _ in range(rng.randrange(0, 6)):
        at = rng.randrange(len(cells) + 1)
        kind = rng.randrange(4)
        if kind == 0 and cells:
            del cells[rng.randrange(len(cells))]
        elif kind == 1:
            cells.insert(at, f"new{rng.randrange(5)}")
        elif kind == 2 and len(cells) > at + 1:
            cells[at], cells[at + 1] = cells[at + 1], cells[at]
        elif cells:
            cells.insert(at, rng.choice(cells))
    return ids, cells or ["new0"]


def _unhashed_in_parts(
    monkeypatch: pytest.MonkeyPatch,
    coder: str,
    cells: list[str],
    cuts: list[int],
    vocab: Vocabularies,
) -> Table:
    """``_child_in_parts`` with Arrow's hash kernels and ``vocab``'s function ``coder`` made to
    fail: the parts are coded without hashing, or the test fails."""

    def hashed(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"{cells[:3]}... was hashed")

    monkeypatch.setattr(vocab_module, coder, hashed)
    monkeypatch.setattr(pc, "dictionary_encode", hashed)
    monkeypatch.setattr(pc, "index_in", hashed)
    child = _child_in_parts(cells, cuts, vocab)
    monkeypatch.undo()
    return child


def _same_codes(tables: list[Table]) -> None:
    """Every table's cells read as they were, and one code per distinct cell across them."""
    found = [t.codes("id") for t in tables]
    assert all(f is not None for f in found) and len({f[0] for f in found if f}) == 1
    cells = [c for t in tables for c in t.col("id").to_pylist()]
    codes = np.concatenate([f[1] for f in found if f]).tolist()
    assert len(set(zip(cells, codes, strict=True))) == len(set(cells)) == len(set(codes))


def test_parts_in_the_dictionarys_order_are_coded_without_hashing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A child table grouped in its parent's order (each parent's rows together, parents in
    the order their dictionary holds them; not sorted), read in parts cut anywhere, a run cut
    in two included: its codes are the parent's, and no part is hashed."""
    rng = random.Random(5)
    ids = [f"k{i}" for i in rng.sample(range(1000), 300)]
    vocab = Vocabularies([[("parent", "id"), ("child", "id")]])
    parent = _id_table("parent", ids)
    parent.slim({"id"}, vocab)
    cells = [k for k in ids for _ in range(rng.randrange(1, 4))]
    cuts = sorted({0, len(cells), *rng.sample(range(1, len(cells)), 6)})

    child = _unhashed_in_parts(monkeypatch, "dictionary_codes", cells, cuts, vocab)
    assert child.col("id").to_pylist() == cells
    _same_codes([parent, child])


@pytest.mark.parametrize("seed", range(16))
def test_parts_partly_in_the_dictionarys_order_get_the_codes_hashing_gives(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs in the dictionary's order mixed with what breaks them (a parent left out, a
    value the parent lacks, two parents swapped, a value again after others, a run cut
    between parts): the same cells and one code per value, whatever the scan allows."""
    rng = random.Random(seed)
    monkeypatch.setattr(vocab_module, "_SCAN_RATIO", rng.choice([0, 1, 64, 1 << 20]))
    monkeypatch.setattr(vocab_module, "_JOIN_BYTES", rng.choice([1, 40, 1 << 28]))
    ids, cells = _grouped(rng)
    vocab = Vocabularies([[("parent", "id"), ("child", "id")]])
    parent = _id_table("parent", ids)
    parent.slim({"id"}, vocab)
    cuts = sorted({0, len(cells), *(rng.randrange(len(cells) + 1) for _ in range(4))})
    child = _child_in_parts(cells, cuts, vocab)
    assert child.col("id").to_pylist() == cells
    _same_codes([parent, child])
    again = _id_table("child", cells)  # the whole table coded after its parts: the same codes
    again.slim({"id"}, vocab)
    assert again.col("id").to_pylist() == cells
    _same_codes([parent, child, again])


def test_slice_at_finds_a_run_only_where_every_value_is_in_order() -> None:
    known = pa.array(["a", "b", "c", "d", "e"])
    assert vocab_module.slice_at(known, pa.array(["b", "c"]), 1) == 1  # at the hint
    assert vocab_module.slice_at(known, pa.array(["b", "c"]), 2) == 1  # one before it
    assert vocab_module.slice_at(known, pa.array(["c", "d", "e"]), 0) == 2  # scanned for
    assert vocab_module.slice_at(known, pa.array(["c", "e"]), 2) is None  # a value skipped
    assert vocab_module.slice_at(known, pa.array(["c", "b"]), 2) is None  # out of order
    assert vocab_module.slice_at(known, pa.array(["d", "e", "f"]), 3) is None  # runs past
    assert vocab_module.slice_at(known, pa.array(["b", None]), 1) is None  # (nulls: never)
    assert vocab_module.slice_at(known, pa.array([], pa.string()), 0) is None
    assert vocab_module.slice_at(known, pa.array(["x"]), 0) is None


def test_all_distinct_is_proved_by_hashes_and_refused_on_any_equal_pair(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    many = [f"id-{i}" for i in range(3 * vocab_module._SAMPLE)]
    assert vocab_module.all_distinct(pa.array(many))
    assert vocab_module.all_distinct(pa.chunked_array([pa.array(many[:5]), pa.array(many[5:])]))
    assert vocab_module.all_distinct(pa.array(many, pa.large_string()))
    assert not vocab_module.all_distinct(pa.array([*many, many[7]]))  # past the first rows
    assert not vocab_module.all_distinct(pa.array(["a", "b", "a"]))
    assert not vocab_module.all_distinct(pa.array(["a", None]))  # (nulls: never)
    assert not vocab_module.all_distinct(pa.array([1, 2]))  # (strings only)
    assert vocab_module.all_distinct(pa.array(["a"]))
    # A collision (equal hashes of different cells) is refused: the caller hashes exactly.
    monkeypatch.setattr(vocab_module, "hash64", lambda col: np.zeros(len(col), np.uint64))
    assert not vocab_module.all_distinct(pa.array(["a", "b"]))


@pytest.mark.parametrize("collide", [False, True], ids=["hashes", "every-hash-equal"])
@pytest.mark.parametrize("seed", range(6))
def test_codes_of_distinct_or_repeated_cells_are_arrows_codes(
    seed: int, collide: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``dictionary_codes`` gives Arrow's codes (first appearance) and values, whether the
    cells (or the heads of their runs) are all distinct (no hash table: the row numbers),
    repeated, or colliding in every hash."""
    rng = random.Random(seed)
    if collide:
        monkeypatch.setattr(vocab_module, "hash64", lambda col: np.zeros(len(col), np.uint64))
    ids = [f"v{i}" for i in rng.sample(range(10_000), rng.randrange(1, 50))]
    cells = [k for k in ids for _ in range(rng.randrange(1, 4))]
    if seed % 2:  # a value again after others
        cells.insert(rng.randrange(len(cells) + 1), rng.choice(ids))
    col = pa.chunked_array([pa.array(cells[:3], pa.string()), pa.array(cells[3:], pa.string())])
    codes, values = vocab_module.dictionary_codes(col)
    enc = pc.dictionary_encode(pa.array(cells))
    assert codes.dtype == np.int32
    assert codes.tolist() == enc.indices.to_pylist()
    assert values.to_pylist() == enc.dictionary.to_pylist()


def test_a_fresh_domains_batches_that_follow_each_other_are_joined_without_hashing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first table of a domain read in batches, grouped by its ids (a run cut between two
    batches included): the batches' values are put one after the other, proved distinct by
    their 64-bit hashes; no hash table is built, and the codes read back as the cells."""
    rng = random.Random(3)
    ids = [f"k{i}" for i in rng.sample(range(100_000), 20_000)]
    cells = [k for k in ids for _ in range(rng.randrange(1, 4))]
    cuts = sorted({0, len(cells), *rng.sample(range(1, len(cells)), 6)})
    vocab = Vocabularies([[("child", "id"), ("parent", "id")]])

    child = _unhashed_in_parts(monkeypatch, "_dictionary_codes", cells, cuts, vocab)
    assert child.col("id").to_pylist() == cells
    assert vocab.values[vocab.key("child", "id")].to_pylist() == ids
    parent = _id_table("parent", ids)
    parent.slim({"id"}, vocab)
    _same_codes([child, parent])


def test_disjoint_union_shares_only_a_value_cut_between_two_parts() -> None:
    union = vocab_module.disjoint_union
    a, b, c = pa.array(["x", "y"]), pa.array(["y", "z"]), pa.array(["w"])
    values, maps = union([a, b, pa.array([], pa.string()), c]) or (None, [])
    assert values is not None and values.to_pylist() == ["x", "y", "z", "w"]
    assert [m.tolist() for m in maps] == [[0, 1], [1, 2], [], [3]]
    assert union([a, pa.array(["z", "x"])]) is None  # a value shared elsewhere: hashed
    assert union([a, pa.array(["y"]), pa.array(["y", "q"])]) is not None  # (a run over three)
    assert union([a, pa.array(["q", None])]) is None  # (nulls: never)
    assert union([]) is None


@pytest.mark.parametrize("seed", range(8))
def test_a_part_with_empty_cells_is_coded_as_arrow_codes_it(seed: int) -> None:
    """A batch's column with nulls (e.g. evidence's statement_id, empty on occurrence rows):
    the codes of its cells that hold a value, distinct or repeated, are Arrow's, its nulls
    stay null, and its dictionary holds the values in order of first appearance."""
    rng = random.Random(seed)
    ids = [f"s{i}" for i in rng.sample(range(1000), rng.randrange(1, 30))]
    cells: list[str | None] = [k for k in ids for _ in range(rng.randrange(1, 3))]
    for _ in range(rng.randrange(1, 8)):
        cells.insert(rng.randrange(len(cells) + 1), None)
    if seed % 2:  # a value again after others
        cells.insert(rng.randrange(len(cells) + 1), rng.choice(ids))
    vocab = Vocabularies([[("t", "id"), ("u", "id")]])
    found = vocab.encode_part("t", "id", pa.chunked_array([pa.array(cells, pa.string())]))
    assert found is not None
    local, codes = found
    enc = pc.dictionary_encode(pa.array(cells, pa.string()))
    assert local.to_pylist() == enc.dictionary.to_pylist()
    assert codes.to_pylist() == enc.indices.to_pylist()
