"""The bytes of CSV files checked as runs of bytes (csvbytes): the same answers as Python's
decoder and bytes.count, however the reads cut the file."""

from __future__ import annotations

import io
import random
from typing import Any

import pyarrow as pa
import pytest

from belarus_timeline import csvbytes


@pytest.mark.parametrize("seed", range(4))
def test_quotes_in_counts_like_bytes_count_across_blocks(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counted a block at a time (blocks of 7 bytes here): the count of bytes.count, from bytes
    and from an Arrow buffer."""
    monkeypatch.setattr(csvbytes, "_QUOTE_BLOCK", 7)
    rng = random.Random(seed)
    data = bytes(rng.choice(b'"a,\n\xc3\xa9"') for _ in range(rng.randint(0, 200)))
    assert csvbytes.quotes_in(data) == data.count(b'"')
    assert csvbytes.quotes_in(pa.py_buffer(data)) == data.count(b'"')


class _Pieces(io.RawIOBase):
    """A file that gives its bytes in pieces of random sizes (a character split anywhere)."""

    def __init__(self, data: bytes, rng: random.Random) -> None:
        super().__init__()
        self.data, self.at, self.rng = data, 0, rng

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.rng.randint(1, 9), len(self.data) - self.at)
        buffer[:n] = self.data[self.at : self.at + n]
        self.at += n
        return n


# Characters of 1 to 4 bytes, stray continuation and leading bytes, a surrogate, an overlong
# form, a byte never in UTF-8.
_PIECES = ["a", '"', ",", "\n", "é", "—", "€", "😀", b"\x80", b"\xe2\x80", b"\xf0\x9f\x98",
           b"\xed\xa0\x80", b"\xc0\xaf", b"\xff"]  # fmt: skip


@pytest.mark.parametrize("seed", range(40))
def test_checked_read_agrees_with_pythons_decoder(seed: int) -> None:
    """Read in pieces of 1-9 bytes, the bytes are UTF-8 exactly when Python decodes them, and
    the quotes are those of bytes.count."""
    rng = random.Random(seed)
    bad = seed % 2  # half the files only of whole characters
    parts = [p for p in _PIECES if isinstance(p, str) or bad]
    data = b"".join(
        p.encode() if isinstance(p, str) else p
        for p in (rng.choice(parts) for _ in range(rng.randint(0, 60)))
    )
    checked = csvbytes.CheckedRead(_Pieces(data, rng))
    assert checked.read() == data
    try:
        data.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        utf8 = False
    assert checked.valid == utf8
    assert checked.quotes == data.count(b'"')


def test_checked_read_is_valid_only_once_read_to_the_end() -> None:
    checked = csvbytes.CheckedRead(io.BytesIO("é,ok\n".encode()))
    assert checked.read(1) == b"\xc3"
    assert checked.utf8 and not checked.valid  # the character is not finished yet
    checked.read()
    assert checked.valid


def test_as_strings_shares_the_bytes_it_sees_as_strings() -> None:
    cells = pa.array([b"a", "é".encode(), b""], pa.binary())
    for table in (pa.table({"x": cells, "n": [1, 2, 3]}), pa.record_batch([cells], ["x"])):
        seen = csvbytes.as_strings(table)
        assert seen.schema.field("x").type == pa.string()
        assert seen.column("x").to_pylist() == ["a", "é", ""]
        assert seen.schema.names == table.schema.names
        col = seen.column("x")
        first = col.chunks[0] if isinstance(col, pa.ChunkedArray) else col
        assert first.buffers()[2].address == cells.buffers()[2].address  # no copy


@pytest.mark.parametrize("end", [b"\xc3", b"\xe2\x80", b"\xf0\x9f\x98", b"\xf0"])
def test_a_file_that_ends_inside_a_character_is_not_utf8(end: bytes) -> None:
    checked = csvbytes.CheckedRead(_Pieces("a,é\n".encode() + end, random.Random(0)))
    checked.read()
    assert not checked.valid
