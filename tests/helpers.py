"""Helpers shared by the tests (imported by test modules; fixtures live in conftest.py)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_PARTS = ("datapackage.json", "data", "schema", "sources", "CHANGELOG.md")


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
