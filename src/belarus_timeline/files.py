"""File helpers shared by the release, publish, download and export steps."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any


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
