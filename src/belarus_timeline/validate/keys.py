"""Integer codes for the cells of string columns: joins and groupings over whole columns.

The semantic checks compare keys made of several cells (an event and a property, a link's
three ids), often across tables. Joining the cells into one string per row copies every column
and hashes long strings again for every check; coding each column once (one hash pass in Arrow,
together with the columns of other tables it is compared with) and combining the codes with
integer arithmetic gives the same groups. A column's codes are numbered in the order the values
first appear, so the first row of every group is found in one pass. Tables slimmed as they are
read hold their kept columns as codes already (``vocab.Vocabularies``: one dictionary per
domain, numbered table by table): those are taken as they are, so nothing here may depend on
the numbering (``first_rows`` finds the first rows of codes in any order).

Equal codes mean equal joined strings (``"\\x1f"`` between the cells, as ``columns.key_column``
joins them): cells are coded one by one only when none holds the separator, which would let two
different tuples join into one string; otherwise the joined strings themselves are coded.
"""

from __future__ import annotations

import threading
from itertools import pairwise
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from belarus_timeline.validate.columns import Table
from belarus_timeline.validate.vocab import dictionary_codes, merge_domains

Column: TypeAlias = pa.Array | pa.ChunkedArray
Ref = tuple[str, str]  # (table, field)
SEP = "\x1f"
encode = dictionary_codes  # a column's codes in order of first appearance, and its values


def combine(*codes: np.ndarray) -> np.ndarray:
    """Codes (0, 1, 2... in the tuples' sorted order) of the tuples of ``codes``: equal iff
    every part is (int32, as :func:`encode` gives them)."""
    out = codes[0]
    for part in codes[1:]:
        if not len(part):
            return part.astype(np.int32)
        # Both factors are below the row count (< 2**31), so the product fits in int64 (not in
        # int32: widened first). Sorting the integers is faster than hashing them (a hash table
        # of millions misses the cache).
        wide = out.astype(np.int64) * (int(part.max()) + 1) + part
        out = _ranks(wide)
    return out


def repeats(codes: list[np.ndarray]) -> bool:
    """Whether two rows have the same tuple of codes (one array of non-negative codes per
    part, of equal lengths). A single part or a few small ones are marked in a table of every
    possible tuple (a byte each); else the tuples' integers are sorted and neighbours compared
    (8 bytes a row, where joining and sorting the cells' strings takes some 60)."""
    if not codes or len(codes[0]) < 2:
        return False
    sizes = [int(c.max()) + 1 for c in codes]
    span = 1
    for size in sizes:
        span *= size
    if span >= 1 << 62:  # the tuples' integers would not fit in int64: ranked pair by pair
        return repeats([combine(*codes)])
    wide = codes[0]
    if len(codes) > 1:
        wide = wide.astype(np.int64)
        for part, size in zip(codes[1:], sizes[1:], strict=True):
            wide *= size
            wide += part
    if span <= 4 * len(wide):
        seen = np.zeros(span, dtype=bool)
        seen[wide] = True
        return int(np.count_nonzero(seen)) < len(wide)
    ordered = np.sort(wide)
    return bool((ordered[1:] == ordered[:-1]).any())


def _ranks(wide: np.ndarray) -> np.ndarray:
    """``np.unique(wide, return_inverse=True)[1]`` as int32, in less memory: numpy's holds
    five arrays of 8 bytes per row at once (some 1.5 GB for the 37M (event, actor) pairs of 10M
    events); here the sort order, the sorted values (freed before the ranks) and int32 ranks."""
    order = np.argsort(wide)
    ordered = wide[order]
    rises = np.empty(len(wide), dtype=bool)
    rises[:1] = False
    np.not_equal(ordered[1:], ordered[:-1], out=rises[1:])
    del ordered
    ranks = np.empty(len(wide), dtype=np.int32)
    ranks[order] = np.cumsum(rises, dtype=np.int32)
    return ranks


def first_rows(codes: np.ndarray) -> np.ndarray:
    """For every row, the position of the first row with the same code (in one pass when the
    codes are numbered in order of first appearance, as :func:`encode` gives them; any other
    numbering, e.g. a shared dictionary's, is sorted)."""
    if not len(codes):
        return codes
    top = np.maximum.accumulate(codes)
    # A row opens a group exactly where the running maximum rises.
    starts = np.flatnonzero(np.diff(top, prepend=-1) > 0)
    if len(starts) != int(top[-1]) + 1 or (codes[starts] != np.arange(len(starts))).any():
        _, starts = np.unique(codes, return_index=True)  # codes in another order
        lookup = np.zeros(int(codes.max()) + 1, np.int64)
        lookup[codes[starts]] = starts
        out: np.ndarray = lookup[codes]
        return out
    found: np.ndarray = starts[codes]
    return found


def index_in(codes: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """For every code, the first position in ``targets`` with the same code, -1 if none (int32:
    a table has fewer than 2**31 rows; half the memory of int64 for tens of millions of codes)."""
    size = int(max(codes.max(initial=-1), targets.max(initial=-1))) + 1
    none = len(targets)
    at = np.full(size, none, np.int32)
    np.minimum.at(at, targets, np.arange(none, dtype=np.int32))
    at[at == none] = -1
    out: np.ndarray = at[codes]
    return out


def is_in(codes: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Whether each code is among ``targets``."""
    size = int(max(codes.max(initial=-1), targets.max(initial=-1))) + 1
    present = np.zeros(size, bool)
    present[targets] = True
    out: np.ndarray = present[codes]
    return out


class Coder:
    """Codes of the columns of ``tables``, each domain (columns whose values are compared with
    one another, e.g. every event_id column; domains sharing a column are merged) coded once,
    together, when one of its columns is first asked for. One coder may serve every check of
    a package, from several threads: a domain is coded by one of them, the others wait."""

    def __init__(self, tables: dict[str, Table], domains: list[list[Ref]]) -> None:
        self.tables = tables
        self.domain = {ref: d for d in merge_domains(domains) for ref in d}
        self.done: dict[Ref, np.ndarray] = {}
        self._sep: dict[Ref, bool] = {}
        self.memo: dict[tuple[tuple[Ref, ...], ...], list[np.ndarray]] = {}
        self._locks = {d[0]: threading.Lock() for d in self.domain.values()}
        self._lock = threading.Lock()  # (a column of no domain)

    def col(self, ref: Ref) -> pa.ChunkedArray:
        return self.tables[ref[0]].col(ref[1])

    def shared(self, a: Ref, b: Ref) -> bool:
        """Whether two columns are coded together (their codes compare)."""
        return self.domain.get(a, [a])[0] == self.domain.get(b, [b])[0]

    def codes(self, ref: Ref) -> np.ndarray:
        """The codes of one column (comparable with those of its domain)."""
        domain = self.domain.get(ref, [ref])
        with self._locks.get(domain[0], self._lock):
            if ref not in self.done:
                refs = [r for r in domain if self._present(r)]
                if not self._stored(refs):
                    self._encode(refs)
        return self.done[ref]

    def _encode(self, refs: list[Ref]) -> None:
        codes, values = encode(_concat([self.col(r) for r in refs]))
        holds = bool(len(values)) and bool(pc.any(pc.match_substring(values, SEP)).as_py())
        ends = np.cumsum([0] + [self.tables[r[0]].raw.num_rows for r in refs]).tolist()
        for r, (a, b) in zip(refs, pairwise(ends), strict=True):
            self.done[r], self._sep[r] = codes[a:b], holds

    def holds_sep(self, ref: Ref) -> bool:
        """Whether a cell of the column (or of another of its domain) holds the separator."""
        self.codes(ref)
        return self._sep[ref]

    def keys(self, *parts: list[Ref]) -> list[np.ndarray]:
        """Codes of the rows' cells joined by the separator, for the key columns of several
        tables (one list of the same length per table), numbered together: equal iff the joined
        strings are."""
        memo = tuple(tuple(p) for p in parts)
        if memo not in self.memo:  # (two threads may both make them: the same codes)
            self.memo.setdefault(memo, self._keys(parts))
        return self.memo[memo]

    def _keys(self, parts: tuple[list[Ref], ...]) -> list[np.ndarray]:
        sizes = [self.tables[p[0][0]].raw.num_rows for p in parts]
        ends = np.cumsum([0, *sizes]).tolist()
        cols = [[self.codes(r) for r in p] for p in parts]
        if len(parts[0]) > 1 and any(self.holds_sep(r) for p in parts for r in p):
            joined = [pc.binary_join_element_wise(*(self.col(r) for r in p), SEP) for p in parts]
            codes = encode(_concat(joined))[0]
        else:
            codes = combine(*(np.concatenate(c) for c in zip(*cols, strict=True)))
        return [codes[a:b] for a, b in pairwise(ends)]

    def _stored(self, refs: list[Ref]) -> bool:
        """Take the codes the tables hold, when every column of the domain is coded in one
        shared dictionary (numbered in another order than :func:`encode`'s: the callers do not
        depend on the order)."""
        found = [self.tables[r[0]].codes(r[1]) for r in refs]
        vocabs = {id(self.tables[r[0]].vocab) for r in refs}
        if not refs or any(f is None for f in found) or len(vocabs) != 1:
            return False
        keys = {f[0] for f in found if f is not None}
        vocab = self.tables[refs[0][0]].vocab
        if len(keys) != 1 or vocab is None:
            return False
        holds = vocab.holds(keys.pop(), SEP)
        for r, f in zip(refs, found, strict=True):
            if f is not None:
                self.done[r], self._sep[r] = f[1], holds
        return True

    def _present(self, ref: Ref) -> bool:
        t = self.tables.get(ref[0])
        return t is not None and t.has(ref[1])


def _concat(cols: list[Column]) -> pa.ChunkedArray:
    chunks: list[pa.Array] = []
    for c in cols:
        chunks.extend(c.chunks if isinstance(c, pa.ChunkedArray) else [c])
    return pa.chunked_array(chunks, type=cols[0].type)
