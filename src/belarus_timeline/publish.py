"""Publishing releases as a static folder any web server (or object store) can serve.

``publish(release, to)`` lays out ``to/<version>/…`` and maintains ``to/index.json``::

    {"name": "belarus-timeline",
     "versions": {"1.0.0": {"manifest_sha256": "…", "created": "…"}},
     "latest": "1.0.0"}

Downloads trust a version's files through its manifest, and a manifest through its sha256 here
(or through the copy shipped in the installed package).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from filelock import FileLock

from belarus_timeline.downloader import registry_dir, verify_release
from belarus_timeline.errors import ReleaseError
from belarus_timeline.files import atomic_write, sha256_file
from belarus_timeline.manifest import (
    INDEX,
    MANIFEST,
    SUMS,
    Index,
    IndexEntry,
    parse_index,
    read_manifest,
)


def read_index(folder: Path) -> Index:
    """The publication index of ``folder`` (an empty one if there is none yet)."""
    path = folder / INDEX
    if not path.is_file():
        return Index(versions={})
    return parse_index(path.read_bytes(), str(path))


def publish(release: Path | str, to: Path | str, *, registry: Path | str | None = None) -> Path:
    """Copy a built release folder to ``to/<version>/`` and record it in ``to/index.json``.

    The release must be exactly what was recorded for its version in ``registry`` (default: the
    registry shipped in the package, ``releases/``): every file listed there, unchanged, and
    nothing else. Publishing a version that is already there with the same content is a no-op;
    with different content it is refused.
    """
    release, to = Path(release), Path(to)
    if to.exists() and not to.is_dir():
        raise ReleaseError(f"{to} is a file: publish into a folder (it is created if needed).")
    registry = Path(registry) if registry is not None else registry_dir()
    version = read_manifest(release).version
    if not (registry / f"{version}.json").is_file():
        raise ReleaseError(
            f"version {version} is not recorded in {registry}: only a release built (and so "
            "recorded) by `belarus-timeline build` can be published."
        )
    bad = [c for c in verify_release(release, registry=registry).checks if c.status != "ok"]
    if bad:
        listing = ", ".join(f"{c.path} ({c.status})" for c in bad)
        raise ReleaseError(
            f"{release} is not the release recorded in {registry / (version + '.json')}: "
            f"{listing}. Nothing was published; rebuild it with `belarus-timeline build`."
        )
    manifest = read_manifest(release)
    version = manifest.version
    files = [f.path for f in manifest.files] + [MANIFEST, SUMS]
    to.mkdir(parents=True, exist_ok=True)
    target = to / version
    with FileLock(str(to / f".{INDEX}.lock"), timeout=60):
        versions = dict(read_index(to).versions)  # a malformed index refuses before any copy
        if target.exists():
            differing = [
                f
                for f in files
                if not (target / f).is_file() or sha256_file(target / f) != sha256_file(release / f)
            ]
            if differing:
                raise ReleaseError(
                    f"{target} is already published with different content in: "
                    f"{', '.join(differing)}. Published versions are immutable: release a new "
                    "version instead."
                )
        else:
            tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{version}-", dir=to))
            try:
                tmp.chmod(0o755)
                for f in files:
                    (tmp / f).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(release / f, tmp / f)
                os.rename(tmp, target)
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp)
        versions[version] = IndexEntry(
            manifest_sha256=sha256_file(target / MANIFEST), created=manifest.created
        )
        index = Index(versions=versions)  # sorted by SemVer precedence on validation
        index.latest = next(reversed(index.versions))
        atomic_write(to / INDEX, index.to_bytes())
    return target
