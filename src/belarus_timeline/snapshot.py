"""The data of every recorded version, kept in the repository: the next version builds offline.

Beside the recorded manifest ``releases/<version>.json``, ``releases/<version>/`` holds that
release's tables as the release wrote them: its ``datapackage.json`` (CSV resources only),
``data/*.csv`` and ``schema/*.json`` — a few tens of kilobytes per version, enough to compute
the diff and the required version bump from a fresh clone with no network and no configuration.

Why files and not git history at a recorded commit: a shallow clone (the CI default), a source
archive or a copied folder has no history, and the build must not need git at all. Why not the
whole release: the Parquet files, exports and page are derived from these tables and would only
add binary weight to the repository.

A snapshot is trusted only through the recorded manifest: each table's content hash (canonical
cell text, independent of the file writer) must equal the manifest's, so a snapshot edited by
hand, or one that does not belong to its manifest, is refused.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from belarus_timeline.canonical import content_hash, sort_by_key
from belarus_timeline.errors import PackageError, ReleaseError
from belarus_timeline.files import json_bytes
from belarus_timeline.manifest import parse_manifest
from belarus_timeline.package import DESCRIPTOR, DataPackage
from belarus_timeline.tables import read_arrow

__all__ = ["read_snapshot", "snapshot_dir", "write_snapshot"]


def snapshot_dir(registry: Path, version: str) -> Path:
    """Where the data of ``version`` is kept: ``<registry>/<version>/``."""
    return Path(registry) / version


def write_snapshot(release: Path, target: Path) -> Path:
    """Copy a built release's tables (descriptor, CSV, schemas) to ``target``, atomically.

    The descriptor keeps the package metadata and the CSV resources only (the Parquet files are
    not kept). An existing ``target`` is left as it is."""
    if target.exists():
        return target
    d = json.loads((release / DESCRIPTOR).read_text(encoding="utf-8"))
    d["resources"] = [r for r in d["resources"] if r.get("format") == "csv"]
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}-", dir=target.parent))
    try:
        tmp.chmod(0o755)
        (tmp / DESCRIPTOR).write_bytes(json_bytes(d))
        for r in d["resources"]:
            for part in (r["path"], r["schema"]):
                (tmp / part).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(release / part, tmp / part)
        os.rename(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return target


def read_snapshot(registry: Path, version: str) -> DataPackage | None:
    """The kept data of a recorded ``version``, checked against its recorded manifest; ``None``
    when the registry keeps no snapshot of it. :class:`ReleaseError` when it does not match."""
    folder = snapshot_dir(registry, version)
    if not (folder / DESCRIPTOR).is_file():
        return None
    recorded = Path(registry) / f"{version}.json"
    manifest = parse_manifest(recorded.read_bytes(), str(recorded))
    try:
        pkg = DataPackage(folder)
        found = {}
        for name in pkg.table_names:
            schema = pkg.schema(name)
            found[name] = content_hash(sort_by_key(read_arrow(pkg, name), schema))
    except (PackageError, OSError, ValueError) as exc:
        raise ReleaseError(
            f"{folder}: the kept data of version {version} is unreadable: {exc}"
        ) from exc
    expected = {name: t.content_sha256 for name, t in manifest.tables.items()}
    differ = sorted(n for n in expected.keys() | found.keys() if expected.get(n) != found.get(n))
    if pkg.version != version or differ:
        raise ReleaseError(
            f"{folder}: the kept data of version {version} does not match its recorded manifest "
            f"{recorded} (tables differing: {', '.join(differ) or 'none'}; version "
            f"{pkg.version!r}). Restore releases/{version}/ from version control."
        )
    return pkg
