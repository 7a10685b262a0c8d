"""Files written through a Sidecar: the same file as atomic_write writes, and on the side its
sha256 and the deflate stream deflate_file makes from it (whatever the chunks); nothing is
recorded for a file whose writing failed, and a failure on the side is raised by join()."""

from __future__ import annotations

import os
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from belarus_timeline.files import Sidecar, deflate_file, sha256_file


def _chunks() -> Iterator[bytes]:
    yield b""
    for i in range(300):
        yield (f"line {i} " * (i % 17)).encode() + os.urandom(i % 5)
    yield b""


def test_sidecar_takes_the_sha256_and_deflate_stream_of_what_it_writes(tmp_path: Path) -> None:
    out, streams = tmp_path / "out", tmp_path / "streams"
    streams.mkdir()
    known: dict[str, str] = {}
    made: dict[str, Path] = {}
    side = Sidecar(out, known, (streams, 6, made), (".png",))
    data = list(_chunks())
    side.write(out / "exports" / "a.json", iter(data))
    side.write(out / "chart.png", b"\x89PNG....")
    side.write(out / "empty.txt", iter([]))
    side.join()
    assert (out / "exports" / "a.json").read_bytes() == b"".join(data)
    assert set(known) == {"exports/a.json", "chart.png", "empty.txt"}
    for rel, digest in known.items():
        assert digest == sha256_file(out / rel)
    assert set(made) == {"exports/a.json", "empty.txt"}  # a stored member is not deflated
    for rel, stream in made.items():
        expected = deflate_file(out / rel, tmp_path / "expected", 6).read_bytes()
        assert stream.read_bytes() == expected
        assert zlib.decompress(expected, -15) == (out / rel).read_bytes()


def test_sidecar_records_nothing_of_a_failed_write(tmp_path: Path) -> None:
    known: dict[str, str] = {}
    made: dict[str, Path] = {}
    side = Sidecar(tmp_path, known, (tmp_path, 6, made), ())

    def broken() -> Iterator[bytes]:
        yield b"half"
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        side.write(tmp_path / "x.json", broken())
    side.write(tmp_path / "y.json", b"whole")
    side.join()
    assert not (tmp_path / "x.json").exists()
    assert set(known) == set(made) == {"y.json"}


def test_sidecar_raises_what_failed_on_the_side(tmp_path: Path) -> None:
    side = Sidecar(tmp_path, {}, (tmp_path / "no-such-folder", 6, {}), ())
    side.write(tmp_path / "x.json", iter([b"a"] * 50))  # the writer is never left waiting
    assert (tmp_path / "x.json").read_bytes() == b"a" * 50
    with pytest.raises(FileNotFoundError):
        side.join()


def test_sidecar_writes_from_several_threads_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The exports are written side by side: each file still gets a deflate stream of its own
    (a thread slow to be made widens the window in which two writers could take one name)."""
    import threading

    made_slowly = threading.Thread

    class Slow(made_slowly):  # type: ignore[misc, valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            time.sleep(0.05)
            super().__init__(*args, **kwargs)

    out, streams = tmp_path / "out", tmp_path / "streams"
    streams.mkdir()
    known: dict[str, str] = {}
    made: dict[str, Path] = {}
    side = Sidecar(out, known, (streams, 6, made), ())
    data = {f"f{i}.json": b"".join(_chunks()) + bytes([i]) * 1000 for i in range(6)}
    monkeypatch.setattr(threading, "Thread", Slow)
    writers = [
        made_slowly(target=side.write, args=(out / name, iter([body])))
        for name, body in data.items()
    ]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    side.join()
    assert set(made) == set(data)
    assert len(set(made.values())) == len(data)
    for rel, stream in made.items():
        assert zlib.decompress(stream.read_bytes(), -15) == data[rel]
        assert known[rel] == sha256_file(out / rel)
