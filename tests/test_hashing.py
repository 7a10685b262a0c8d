"""64-bit hashes of string cells (validate/hashing.py): a function of the cell alone."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa

from belarus_timeline.validate.hashing import hash64

CELLS = [
    "",
    "a",
    "a\0",
    "\0",
    "abcdefgh",
    "abcdefghi",
    "abcdefgh\0",
    "x" * 64,
    "x" * 65,
    "x" * 1000,
    "é" * 40,
    "événement-1",
    "event-1",
    "event-10",
]


def test_a_cell_hashes_alike_wherever_it_is() -> None:
    """In any column, chunk, slice, position or string type, beside cells of any length (the
    words hashed per step depend on the longest cell of a chunk, never the hash)."""
    rng = random.Random(1)
    cells = CELLS + [f"id-{i}" for i in range(300)]
    alone = {c: int(hash64(pa.array([c]))[0]) for c in cells}
    for _ in range(20):
        mixed = [rng.choice(cells) for _ in range(rng.randrange(1, 80))]
        cut = rng.randrange(len(mixed) + 1)
        arr = pa.array(["pad", *mixed], pa.string()).slice(1)
        chunked = pa.chunked_array([arr.slice(0, cut), arr.slice(cut)])
        for col in (arr, chunked, arr.cast(pa.large_string()), arr.cast(pa.string_view())):
            assert hash64(col).tolist() == [alone[c] for c in mixed]


def test_different_cells_hash_apart() -> None:
    cells = CELLS + [f"evidence-{i}" for i in range(100_000)]
    assert len(set(hash64(pa.array(cells)).tolist())) == len(cells)


def test_a_null_hashes_as_the_empty_cell() -> None:
    h = hash64(pa.array(["", None, "a"]))
    assert h.dtype == np.uint64 and h[0] == h[1] != h[2]
    assert len(hash64(pa.array([], pa.string()))) == 0
