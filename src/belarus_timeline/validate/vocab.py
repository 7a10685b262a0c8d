"""Dictionaries shared by the columns of a domain: the kept columns of slimmed tables as int32
codes (every event_id column coded in one dictionary), coded table by table or batch by batch."""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterable
from itertools import pairwise

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from belarus_timeline.package import Field
from belarus_timeline.tables import convert
from belarus_timeline.validate.hashing import hash64


class Vocabularies:
    """Dictionaries shared by the columns of a domain (e.g. one for every event_id column):
    each kept column becomes int32 codes into its domain's dictionary, which grows as columns
    (or parts of one) are coded; the codes given earlier stay valid. ``domains``: the groups of
    (table, field) whose values are compared with one another; any other column has a
    dictionary of its own."""

    def __init__(self, domains: Iterable[Iterable[tuple[str, str]]]) -> None:
        groups = merge_domains(domains)
        self._key: dict[tuple[str, str], Hashable] = {r: g[0] for g in groups for r in g}
        self.shared: set[Hashable] = {g[0] for g in groups}
        self.values: dict[Hashable, pa.Array] = {}
        self._sep: dict[Hashable, bool] = {}
        self._decided: dict[tuple[str, str], bool] = {}
        # By key, the dictionary converted to the field's type (and the size it had then).
        self._typed: dict[tuple[Hashable, str, str | None], tuple[int, pa.Array]] = {}
        # By column, where its last part found its values in the shared dictionary (``_aligned``).
        self._next: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def key(self, table: str, name: str) -> Hashable:
        """The key of the dictionary of a table's column."""
        return self._key.get((table, name), (table, name))

    def encode(self, table: str, name: str, col: pa.ChunkedArray) -> pa.ChunkedArray | None:
        """The codes of ``col``'s cells (a table's column, or the next rows of one) in its
        dictionary, grown by the values it did not hold, as one int32 chunk. None where coding
        is not worth it (most cells distinct, in a dictionary of the column's own) or not
        possible: decided on a column's first rows, so that its parts all have one type."""
        key = self.key(table, name)
        aligned = self._aligned(table, name, col)
        if aligned is not None:
            return pa.chunked_array([pa.array(aligned[0], pa.int32())])
        with self._lock:
            known = self.values.get(key)
            if (
                self._decided.get((table, name), key in self.shared)
                and known is not None
                and pa.types.is_string(col.type)
                and not col.null_count
                and len(known) <= 2 * len(col)
            ):
                self._decided[(table, name)] = True
                return self._encode_known(key, col, known)
            if self._declined(table, name):
                return None
        enc = pc.dictionary_encode(col)
        local = enc.chunks[-1].dictionary if enc.num_chunks else pa.array([], pa.string())
        with self._lock:
            if not self._decide(table, name, col, local):
                return None
            lookup = self._grown(key, local)
        indices = pa.chunked_array([c.indices for c in enc.chunks], pa.int32())
        codes = lookup[_int32(pc.fill_null(indices, 0))] if len(lookup) else _int32(indices)
        nulls = mask(pc.is_null(indices)) if indices.null_count else None
        return pa.chunked_array([pa.array(codes, pa.int32(), mask=nulls)])

    def _encode_known(
        self, key: Hashable, col: pa.ChunkedArray, known: pa.Array
    ) -> pa.ChunkedArray:
        """``col`` coded by looking its cells up in a dictionary not much larger than it (no
        dictionary of the column's own first: most of its values are known, e.g. the ids of a
        table another one refers to); the values not found are appended."""
        codes = _int32(pc.fill_null(pc.index_in(col, value_set=known), -1)).copy()
        unseen = codes < 0
        if unseen.any():
            enc = pc.dictionary_encode(col.filter(pa.array(unseen)).combine_chunks())
            codes[unseen] = len(known) + _int32(enc.indices)
            self.values[key] = pa.concat_arrays([known, enc.dictionary])
        return pa.chunked_array([pa.array(codes, pa.int32())])

    def encode_part(
        self, table: str, name: str, col: pa.ChunkedArray
    ) -> tuple[pa.Array, pa.ChunkedArray] | None:
        """A batch of a table's column coded in a dictionary of its own: that dictionary and
        the int32 codes (one chunk); None where the column is not coded (decided as ``encode``
        decides). ``join`` codes the batches in the shared dictionary once all are read: one
        look-up per table, where coding each batch in the shared dictionary probed or hashed
        the whole dictionary for every batch (at 10M events, 20 batches of evidence against
        19.5M statement ids). A batch whose values are a run of the shared dictionary
        (``_aligned``) is not hashed: its dictionary is those values."""
        with self._lock:
            if self._declined(table, name):
                return None
        aligned = self._aligned(table, name, col)
        if aligned is not None:  # (its values are a run of the shared dictionary: no hashing)
            found, local = aligned
            codes = pa.array(found - found[0] if len(found) else found, pa.int32())
        elif col.null_count:  # (coded as the cells that hold a value; nulls stay null)
            valid = mask(pc.is_valid(col))
            found, local = dictionary_codes(col.filter(pa.array(valid)))
            at = np.zeros(len(col), np.int32)
            at[valid] = found
            codes = pa.array(at, pa.int32(), mask=~valid)
        else:
            found, local = dictionary_codes(col)
            codes = pa.array(found, pa.int32())
        with self._lock:
            if not self._decide(table, name, col, local):
                return None
        return local, pa.chunked_array([codes])

    def _aligned(
        self, table: str, name: str, col: pa.ChunkedArray
    ) -> tuple[np.ndarray, pa.Array] | None:
        """The codes of ``col``'s cells in the shared dictionary (int32) and its distinct
        values in order of first appearance, when those values are, in that order, a run of the
        dictionary's values (checked cell by cell); else None. Tables grouped in one order
        refer to each other so (every event's statements after its evidence): the check is one
        comparison per cell, where hashing millions of strings misses the cache at every step."""
        key = self.key(table, name)
        if key not in self.shared or col.null_count or not pa.types.is_string(col.type):
            return None
        with self._lock:
            known, hint = self.values.get(key), self._next.get((table, name), 0)
            if known is None or self._decided.get((table, name)) is False:
                return None
        at = first_at(known, col[0].as_py(), hint, len(col)) if len(col) else None
        if at is None:  # (told before the runs are found)
            return None
        starts = run_starts(col)
        heads = np.flatnonzero(starts)
        values = col.take(pa.array(heads)) if len(heads) < len(col) else col
        values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        at = slice_at(known, values, at)
        if at is None:
            return None
        with self._lock:
            if not self._decide(table, name, col, values):
                return None
            self._next[(table, name)] = at + len(values)
        return at + np.cumsum(starts, dtype=np.int32) - 1, values

    def _declined(self, table: str, name: str) -> bool:
        """Whether the column was decided not coded (on earlier rows): its values need not be
        hashed again. (Lock held.)"""
        return self._decided.get((table, name)) is False

    def _decide(self, table: str, name: str, col: pa.ChunkedArray, local: pa.Array) -> bool:
        """Whether a column is coded (``local``: the distinct values of its first rows), decided
        once, so that its parts all have one type: a string column of a shared domain or of
        mostly repeated values, whose dictionary stays well inside 2 GiB. (Lock held.)"""
        if (table, name) not in self._decided:
            self._decided[(table, name)] = (
                pa.types.is_string(col.type)
                and (self.key(table, name) in self.shared or len(local) * 2 <= len(col))
                and local.nbytes < _MAX_DICTIONARY
            )
        return self._decided[(table, name)]

    def _grown(self, key: Hashable, local: pa.Array) -> np.ndarray:
        """Per value of ``local`` (distinct values), its code in the dictionary of ``key``, the
        values it lacked appended to it. (Lock held.)"""
        known = self.values.get(key, pa.array([], pa.string()))
        lookup = _lookup(local, known)
        unseen = lookup < 0
        lookup[unseen] = len(known) + np.arange(int(unseen.sum()), dtype=np.int32)
        if unseen.any():
            self.values[key] = pa.concat_arrays([known, local.filter(pa.array(unseen))])
        return lookup

    def join(
        self, table: str, name: str, parts: list[tuple[pa.Array, pa.ChunkedArray]]
    ) -> pa.ChunkedArray:
        """The codes in the shared dictionary of a column whose batches ``encode_part`` coded
        (each batch's dictionary and codes), as one int32 chunk. A batch's dictionary that is
        a run of the shared one (``slice_at``) takes its codes from there; the others are
        coded together, looked up in the shared one a group at a time (256 MiB of text: the
        copies a look-up makes stay small), the values it lacks appended."""
        key = self.key(table, name)
        maps: list[np.ndarray] = [np.zeros(0, np.int32)] * len(parts)
        joined = False
        with self._lock:
            fresh = not len(self.values.get(key, ()))
        if fresh:  # (the domain's first table: its batches' values may just follow each other)
            union = disjoint_union([local for local, _ in parts])
            with self._lock:
                if union is not None and not len(self.values.get(key, ())):
                    self.values[key], maps = union
                    joined = True
        group: list[int] = []  # the parts whose values are hashed together
        hint = 0
        for k, (local, _) in enumerate([] if joined else parts):
            with self._lock:
                known = self.values.get(key)
            start = slice_at(known, local, hint) if known is not None else None
            if start is not None:  # (a run of the shared dictionary: no hashing)
                maps[k] = np.arange(start, start + len(local), dtype=np.int32)
                hint = start + len(local)
            else:
                group.append(k)
            if group and (
                k + 1 == len(parts)
                or sum(parts[g][0].nbytes for g in group) + parts[k + 1][0].nbytes >= _JOIN_BYTES
            ):
                both = pc.dictionary_encode(pa.concat_arrays([parts[g][0] for g in group]))
                with self._lock:
                    lookup = self._grown(key, both.dictionary)
                codes = lookup[_int32(both.indices)]
                ends = np.cumsum([0, *(len(parts[g][0]) for g in group)]).tolist()
                for g, (a, b) in zip(group, pairwise(ends), strict=True):
                    maps[g] = codes[a:b]
                group = []
        out = []
        for m, (_, own) in zip(maps, parts, strict=True):
            chunk = own.chunk(0)
            nulls = mask(pc.is_null(chunk)) if chunk.null_count else None
            at = _int32(pc.fill_null(chunk, 0))
            out.append(pa.array(m[at] if len(m) else at, pa.int32(), mask=nulls))
        return pa.chunked_array([pa.concat_arrays(out) if out else pa.array([], pa.int32())])

    def decode(self, key: Hashable, codes: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray:
        """The strings of ``codes`` (nulls stay null)."""
        out = pc.take(self.values[key], codes)
        return out if isinstance(out, pa.ChunkedArray) else pa.chunked_array([out])

    def typed(self, key: Hashable, f: Field, codes: pa.ChunkedArray) -> pa.ChunkedArray:
        """The typed values of ``codes`` (null where null): a cell's conversion depends on the
        cell alone, so the dictionary is converted once and taken from."""
        if f.type == "string":
            return self.decode(key, codes)
        # (By type and format too: a foreign key may share a dictionary across fields.)
        at = (key, f.type, f.format)
        with self._lock:
            size, done = self._typed.get(at, (-1, None))
            if done is None or size != len(self.values[key]):
                done = convert(self.values[key], f).values
                self._typed[at] = (len(self.values[key]), done)
        out = pc.take(done, codes)
        return out if isinstance(out, pa.ChunkedArray) else pa.chunked_array([out])

    def code_of(self, key: Hashable, values: list[str]) -> np.ndarray:
        """The codes of those of ``values`` the dictionary holds (ascending). The dictionary is
        looked up in a set of ``values``, not the reverse: a set of a dictionary of ids took
        1.7 GB of Arrow for evidence's statement_id at 10M events (the validator's peak)."""
        at = pc.index_in(self.values[key], value_set=pa.array(values, pa.string()))
        return np.flatnonzero(mask(pc.is_valid(at))).astype(np.int32)

    def holds(self, key: Hashable, sep: str) -> bool:
        """Whether a value of the dictionary holds ``sep``."""
        with self._lock:
            if key not in self._sep:
                values = self.values[key]
                found = bool(len(values)) and bool(pc.any(pc.match_substring(values, sep)).as_py())
                self._sep[key] = found
            return self._sep[key]


def merge_domains(domains: Iterable[Iterable[tuple[str, str]]]) -> list[list[tuple[str, str]]]:
    """The domains with those that share a column merged into one (each column in one group,
    in order of first mention): values compared across two domains through a shared column
    must be coded in one dictionary."""
    group: dict[tuple[str, str], int] = {}  # column -> its group's number
    groups: dict[int, list[tuple[str, str]]] = {}
    for k, domain in enumerate(domains):
        refs = list(dict.fromkeys(domain))
        if not refs:
            continue
        merged = sorted({group[r] for r in refs if r in group} | {k})
        into = merged[0]
        members = groups.setdefault(into, [])
        for other in merged[1:]:
            members += groups.pop(other, [])
        members += [r for r in refs if r not in members]
        for r in members:
            group[r] = into
    return [sorted(g, key=list(group).index) for g in groups.values()]


def dictionary_codes(col: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Per row, the code of its cell (0, 1, 2... in order of first appearance) as int32 (Arrow's
    own indices: half the memory of int64; a column has fewer than 2**31 rows), and the
    distinct values in code order. Where equal cells come in long runs (tables grouped by
    event), only the first cell of each run is hashed: a value first appears at a run's start,
    so the codes are the same."""
    n = len(col)
    if n >= 2 and not col.null_count:
        starts = run_starts(col)
        heads = np.flatnonzero(starts)
        if 4 * len(heads) <= 3 * n:  # (a comparison per row costs far less than a hash)
            codes, values = _codes(col.take(pa.array(heads)))
            return codes[np.cumsum(starts, dtype=np.int32) - 1], values
    return _codes(col)


def _codes(col: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """``_dictionary_codes``, without a hash table where the cells are all distinct (a key, or
    the heads of runs of a table grouped by it): then the codes are the row numbers."""
    if all_distinct(col):
        whole = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        return np.arange(len(col), dtype=np.int32), whole
    return _dictionary_codes(col)


def all_distinct(col: pa.Array | pa.ChunkedArray) -> bool:
    """Whether the cells of a string column without nulls are all distinct, proved by their
    64-bit hashes (``hashing.hash64``) all differing; False where two hashes are equal (equal
    cells or a collision: the caller then hashes them exactly) or the column is not such a
    column. Sorting 8-byte hashes costs half of a hash table of the strings per value (1.5M
    ids), and a fifth at 20M, whose table misses the cache at every step."""
    n = len(col)
    if col.null_count or not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        return False
    if n < 2:
        return True
    if n > 4 * _SAMPLE:  # (repeated values are most often told by the first rows alone)
        first = np.sort(hash64(col.slice(0, _SAMPLE)))
        if (first[1:] == first[:-1]).any():
            return False
    found = np.sort(hash64(col))
    return not bool((found[1:] == found[:-1]).any())


def disjoint_union(parts: list[pa.Array]) -> tuple[pa.Array, list[np.ndarray]] | None:
    """The values of ``parts`` (each of distinct strings, without nulls) one after the other,
    and each part's positions in them, when no two parts share a value but a part's first,
    which may be the last of the part before (a run of equal cells cut between two batches);
    else None (the caller hashes them). Proved by ``all_distinct`` of the values kept."""
    if any(p.null_count for p in parts):
        return None
    kept: list[pa.Array] = []
    maps: list[np.ndarray] = []
    size, last = 0, None
    for p in parts:
        shared = int(bool(len(p)) and last is not None and p[0].as_py() == last)
        # (A shared first value keeps the position it was given: the last one so far.)
        maps.append(np.arange(size - shared, size - shared + len(p), dtype=np.int32))
        kept.append(p.slice(shared))
        size += len(p) - shared
        last = p[len(p) - 1].as_py() if len(p) else last
    # (Hashed part by part: a hash's copies of the strings stay the size of one batch.)
    if not kept or not all_distinct(pa.chunked_array(kept, parts[0].type)):
        return None
    return pa.concat_arrays(kept), maps


def run_starts(col: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Whether each cell (of a column without nulls) starts a run of equal cells."""
    n = len(col)
    starts = np.ones(n, dtype=bool)
    if n >= 2:
        starts[1:] = mask(pc.not_equal(col.slice(1), col.slice(0, n - 1)))
    return starts


def slice_at(known: pa.Array, values: pa.Array, hint: int) -> int | None:
    """Where ``values`` (distinct) are a run of ``known``'s values, in their order, if they
    start where :func:`first_at` looks; else None (the caller hashes them)."""
    n = len(values)
    if not n or n > len(known) or values.null_count:
        return None
    found = first_at(known, values[0].as_py(), hint, n)
    if found is None or found > len(known) - n:
        return None
    same = pc.all(pc.equal(known.slice(found, n), values)).as_py()
    return found if same else None


def first_at(known: pa.Array, first: object, hint: int, n: int) -> int | None:
    """Where ``first`` is among ``known``'s (distinct) values, if it is where it is looked
    for: at ``hint`` (where the last part of a column ended), one before it (the value a part
    shares with the next one), or anywhere when ``n`` (the values to be found from there) are
    not far fewer than ``known``'s: a scan costs about a hundredth of a hash per value."""
    found = next(
        (p for p in (hint, hint - 1) if 0 <= p < len(known) and known[p].as_py() == first), None
    )
    if found is None and _SCAN_RATIO * n >= len(known):
        at = pc.index(known, first).as_py()
        found = at if at >= 0 else None
    return found


def _dictionary_codes(col: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    enc = pc.dictionary_encode(col)
    chunks = enc.chunks if isinstance(enc, pa.ChunkedArray) else [enc]
    parts = [np.zeros(0, np.int32)]
    parts += [np.asarray(c.indices.to_numpy(zero_copy_only=False), np.int32) for c in chunks]
    values = chunks[-1].dictionary if chunks else pa.array([], col.type)
    return np.concatenate(parts), values


def _lookup(local: pa.Array, known: pa.Array) -> np.ndarray:
    """Per value of ``local``, its position in ``known`` (-1 if absent; both hold distinct
    values). The smaller one is hashed: a part of a table (one batch) is looked up in a large
    dictionary by probing the dictionary's values against the part's."""
    if len(local) >= len(known):
        return _int32(pc.fill_null(pc.index_in(local, value_set=known), -1)).copy()
    at = pc.index_in(known, value_set=local)
    hit = mask(pc.is_valid(at))
    lookup = np.full(len(local), -1, dtype=np.int32)
    lookup[_int32(at.filter(pa.array(hit)))] = np.flatnonzero(hit).astype(np.int32)
    return lookup


# A dictionary's text stays well inside a ``string`` array's 2 GiB of data.
_MAX_DICTIONARY = 1 << 30
_JOIN_BYTES = 1 << 28  # batches' dictionaries looked up at a time (``Vocabularies.join``)
# ``slice_at`` scans a dictionary up to this many times the values' number for the first value.
_SCAN_RATIO = 64
_SAMPLE = 4096  # rows ``all_distinct`` looks at first


def _int32(a: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(a.to_numpy(zero_copy_only=False), dtype=np.int32)


def mask(a: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(a, False).to_numpy(zero_copy_only=False), dtype=bool)
