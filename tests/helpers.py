"""Helpers shared by the tests (imported by test modules; fixtures live in conftest.py)."""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import http.server
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_PARTS = (
    "datapackage.json",
    "data",
    "schema",
    "sources",
    "CHANGELOG.md",
    "LICENSE",
    "LICENSE-DATA",
)


def copy_package(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for part in PACKAGE_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part)
        else:
            shutil.copy2(src, dest / part)
    return dest


def frictionless_validate(folder: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``frictionless validate --json datapackage.json`` in ``folder`` (the CLI users run)."""
    exe = Path(sys.executable).with_name("frictionless")
    return subprocess.run(
        [str(exe), "validate", "--json", "datapackage.json"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 and mode of every file under root: proves a command modified nothing."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() + oct(p.stat().st_mode)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def edit_table(root: Path, table: str, change: Callable[[list[list[str]]], None]) -> None:
    """Edit ``data/<table>.csv`` of a package copy as a list of rows (header first)."""
    path = root / "data" / f"{table}.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    change(rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


class StaticServer(http.server.ThreadingHTTPServer):
    """A static file server on 127.0.0.1 (a free port) that counts the requests it answers."""

    daemon_threads = True

    def __init__(self, root: Path) -> None:
        self.root = root
        self.hits: list[str] = []
        handler = functools.partial(_QuietHandler, directory=str(root))
        super().__init__(("127.0.0.1", 0), handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    server: StaticServer

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.hits.append(self.path)
        super().do_GET()


@contextlib.contextmanager
def serve(root: Path) -> Iterator[StaticServer]:
    """Serve ``root`` on 127.0.0.1 for the block (the README's ``http.server --bind``)."""
    srv = StaticServer(root)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def copy_with_history(dest: Path) -> Path:
    """A copy of the package with the repository's recorded versions and their kept tables
    (``releases/``): it builds the current version as a fresh clone does, against the previous
    one, so the release equals the recorded one."""
    copy_package(dest)
    shutil.copytree(ROOT / "releases", dest / "releases")
    return dest


def redeclare_hash(release: Path, path: str) -> None:
    """Make a release descriptor declare the current hash of ``path``: a tamper that also edits
    the descriptor, so that only the content checks can catch it."""
    import json

    p = release / "datapackage.json"
    d = json.loads(p.read_text(encoding="utf-8"))
    for r in d["resources"]:
        if r["path"] == path:
            r["hash"] = "sha256:" + hashlib.sha256((release / path).read_bytes()).hexdigest()
            r.pop("bytes", None)
    p.write_text(json.dumps(d, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def record_bars(monkeypatch: Any, module: Any) -> list[Any]:
    """Progress bars switched on, and every bar ``module`` makes recorded in the list returned
    (the bar-per-download and bar-per-stage tests)."""
    from belarus_timeline import progress

    made: list[Any] = []
    real = module.bar

    def recording(desc: str, total: float, **kw: Any) -> Any:
        made.append(real(desc, total, **kw))
        return made[-1]

    monkeypatch.setattr(module, "bar", recording)
    monkeypatch.setattr(progress, "enabled", lambda: True)
    return made
