"""File helpers shared by the release, publish, download and export steps."""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import shutil
import socket
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any, BinaryIO


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def atomic_write(path: Path, data: bytes | Iterable[bytes]) -> Path:
    """Write ``data`` (bytes, or chunks of bytes) to ``path`` through a temporary file in the
    same folder and ``os.replace``, so that a reader never sees half a file and a failed run
    leaves the old file in place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, bytes):
                fh.write(data)
            else:
                fh.writelines(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates 0600; these are ordinary public files.
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def json_bytes(data: Any) -> bytes:
    """``data`` as the project writes JSON files: UTF-8, indented by 2, a final newline."""
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def tree_sha256(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root``, by POSIX path relative to it, in sorted order."""
    return {
        p.relative_to(root).as_posix(): sha256_file(p)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def differing(a: dict[str, str], b: dict[str, str]) -> list[str]:
    """Keys whose values differ between two {path: sha256} maps (present in one only included)."""
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


# A build works in dist/.tmp-build-<pid>-<host>-<release>-XXXX; one left behind by a build that
# was killed (its process is gone) is removed by the next build on the same machine.
_TMP = re.compile(r"^\.tmp-build-(?P<pid>[0-9]+)-(?P<host>[0-9a-f]{8})-")
# Names the builder used before it recorded its process in them.
_OLD_TMP = re.compile(
    r"^\.tmp-belarus-timeline-.+-[A-Za-z0-9_]{8}$|^\.belarus-timeline-.+\.zip\.tmp$"
)


def _host() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def build_tmp_prefix(name: str) -> str:
    """The start of the name of a build's temporary files and folders in ``dist``."""
    return f".tmp-build-{os.getpid()}-{_host()}-{name}-"


def _alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would end the process there: never clean
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def clean_build_leftovers(dist: Path) -> None:
    """Remove temporary folders and zips of builds that were killed."""
    for p in dist.iterdir():
        m = _TMP.match(p.name)
        stale = (
            m is not None and m.group("host") == _host() and not _alive(int(m.group("pid")))
        ) or (m is None and _OLD_TMP.match(p.name) is not None)
        if not stale:
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


class Sidecar:
    """Files written through :meth:`write` are also read as they are written, by a thread of
    their own (zlib and hashlib release the GIL, so on a second core): their sha256 goes to
    ``known`` and, but for the suffixes ``stored``, their raw deflate stream at ``level`` (as
    :func:`deflate_file` makes it) to a file in ``folder``, recorded in ``made``; both keyed by
    their POSIX path relative to ``root``. :meth:`join` waits for them. :meth:`write` may be
    called from several threads at once."""

    def __init__(
        self,
        root: Path,
        known: dict[str, str],
        deflate: tuple[Path, int, dict[str, Path]] | None,
        stored: tuple[str, ...],
    ) -> None:
        self.root, self.known, self.deflate, self.stored = root, known, deflate, stored
        self._threads: list[threading.Thread] = []
        self._errors: list[BaseException] = []
        self._lock = threading.Lock()  # writers on several threads: one stream file each

    def write(self, path: Path, data: bytes | Iterable[bytes]) -> Path:
        """:func:`atomic_write` of ``data`` to ``path``, read on the side."""
        rel = path.relative_to(self.root).as_posix()
        chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=4)  # bounded memory
        failed = threading.Event()
        with self._lock:
            into = None
            if self.deflate is not None and path.suffix not in self.stored:
                into = self.deflate[0] / f"side-{len(self._threads)}.deflate"
            thread = threading.Thread(target=self._read, args=(rel, chunks, into, failed))
            thread.daemon = True
            self._threads.append(thread)
        thread.start()

        def fed() -> Iterator[bytes]:
            for chunk in [data] if isinstance(data, bytes) else data:
                chunks.put(chunk)
                yield chunk

        try:
            atomic_write(path, fed())
        except BaseException:
            failed.set()  # before the end is put: the file was not written
            chunks.put(None)
            raise
        chunks.put(None)
        return path

    def _read(
        self,
        rel: str,
        chunks: queue.Queue[bytes | None],
        into: Path | None,
        failed: threading.Event,
    ) -> None:
        try:
            digest = hashlib.sha256()
            comp = zlib.compressobj(self.deflate[1], zlib.DEFLATED, -15) if self.deflate else None
            with ExitStack() as stack:
                dst = stack.enter_context(into.open("wb")) if into is not None else None
                while (chunk := chunks.get()) is not None:
                    digest.update(chunk)
                    if dst is not None and comp is not None:
                        dst.write(comp.compress(chunk))
                if dst is not None and comp is not None:
                    dst.write(comp.flush())
            if failed.is_set():
                return
            self.known[rel] = digest.hexdigest()
            if into is not None and self.deflate is not None:
                self.deflate[2][rel] = into
        except BaseException as exc:  # raised again by join()
            self._errors.append(exc)
            while chunks.get() is not None:  # the writer must not wait on a full queue
                pass

    def join(self) -> None:
        """Wait until every file written is read; raise what a reading thread raised."""
        for thread in self._threads:
            thread.join()
        if self._errors:
            raise self._errors[0]


class _Deflated:
    """Stands in for a zip entry's compressor: hands out the entry's raw deflate stream,
    made beforehand, while :mod:`zipfile` takes the CRC and sizes from the data as usual."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def compress(self, data: bytes) -> bytes:
        return self._stream.read(len(data))

    def flush(self) -> bytes:
        return self._stream.read()


def deflate_file(path: Path, into: Path, level: int) -> Path:
    """Write to ``into`` the raw deflate stream :mod:`zipfile` writes for ``path`` at ``level``
    (its compressor: ``zlib.compressobj(level, DEFLATED, -15)``, whose output does not depend
    on how the input is cut into blocks); returns ``into``."""
    comp = zlib.compressobj(level, zlib.DEFLATED, -15)
    with path.open("rb") as src, into.open("wb") as dst:
        for block in iter(lambda: src.read(1 << 20), b""):
            dst.write(comp.compress(block))
        dst.write(comp.flush())
    return into


def zip_tree(
    folder: Path,
    target: Path,
    stamp: tuple[int, int, int, int, int, int],
    level: int,
    stored: tuple[str, ...],
    tmp_prefix: str,
    ready: dict[str, Path] | None = None,
) -> None:
    """Zip the files of ``folder`` (hidden entries, such as a downloader's ``.locks/``, left
    out) in sorted order into ``target``, atomically: files whose suffix is in ``stored`` as they
    are, the others deflated at ``level``. Temporary files start with ``tmp_prefix``.
    ``ready`` maps members (POSIX paths in ``folder``) to their deflate streams at ``level``,
    made beforehand by :func:`deflate_file` from the same bytes."""
    members = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if p.is_file() and not any(part.startswith(".") for part in rel.parts):
            members.append((rel.as_posix(), p, p.suffix not in stored))
    tmp = target.with_name(f"{tmp_prefix}zip")
    work = Path(tempfile.mkdtemp(prefix=tmp_prefix, dir=target.parent))
    try:
        write_zip_members(tmp, members, stamp, level, work, ready)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    os.replace(tmp, target)


def write_zip_members(
    target: Path,
    members: list[tuple[str, Path, bool]],
    stamp: tuple[int, int, int, int, int, int],
    level: int,
    work: Path,
    ready: dict[str, Path] | None = None,
) -> None:
    """Write ``target`` as zipfile writes (name, path, deflated) members one after another
    (fixed time ``stamp``, mode 0644, Unix), byte for byte; the deflating, which bounds the
    time, is done beforehand by a thread per core (zlib releases the GIL), into ``work``, for
    the members whose stream is not ``ready`` (see :func:`zip_tree`)."""
    ready = ready or {}
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        streams: dict[str, Future[Path]] = {}
        for i, (name, path, deflated) in enumerate(members):
            if deflated and name in ready:
                streams[name] = Future()
                streams[name].set_result(ready[name])
            elif deflated:
                streams[name] = pool.submit(deflate_file, path, work / f"{i}.deflate", level)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
            for name, path, deflated in members:
                info = zipfile.ZipInfo(name, stamp)
                info.compress_type = zipfile.ZIP_DEFLATED if deflated else zipfile.ZIP_STORED
                info.external_attr = 0o644 << 16
                info.create_system = 3
                with ExitStack() as stack:
                    # Opened in this order so that the entry is closed (flushed) first.
                    src = stack.enter_context(path.open("rb"))
                    made = streams[name].result().open("rb") if deflated else None
                    stream = stack.enter_context(made) if made is not None else None
                    # A member over 2 GiB (evidence.csv at 10M events) needs Zip64 headers,
                    # which zipfile only writes when told beforehand; smaller members keep the
                    # plain headers (the same bytes as before).
                    big = path.stat().st_size * 1.05 > zipfile.ZIP64_LIMIT
                    dst = stack.enter_context(zf.open(info, "w", force_zip64=big))
                    if stream is not None:
                        dst._compressor = _Deflated(stream)  # type: ignore[attr-defined]
                    shutil.copyfileobj(src, dst, 1 << 20)  # streamed: never a whole file
