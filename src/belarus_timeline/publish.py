"""Publishing releases as a static folder any web server (or object store) can serve.

``publish(release, to)`` lays out::

    to/index.json                       every version, the sha256 of its manifest, its zip
    to/<version>/…                      the release folder (manifest.json, SHA256SUMS, data/, …)
    to/latest/…                         a copy of the newest release (not a pre-release)
    to/belarus-timeline-<version>.zip   the release's zip (datapackage.json at its root)

with ``index.json`` like::

    {"name": "belarus-timeline",
     "versions": {"1.0.0": {"manifest_sha256": "…", "created": "…",
                            "zip": {"path": "belarus-timeline-1.0.0.zip", "bytes": …,
                                    "sha256": "…"}}},
     "latest": "1.0.0"}

Downloads trust a version's files through its manifest, and a manifest through its sha256 here
(or through the copy shipped in the installed package). ``publish_all`` lays out every recorded
version found in a dist folder: the whole tree a static host serves (``make publish-site``).
Nothing else is written into the tree: the lock that serialises publishers lives in the
system's temporary folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable
from pathlib import Path

from filelock import FileLock

from belarus_timeline.archive import open_release
from belarus_timeline.downloader import verify_release
from belarus_timeline.errors import ReleaseError
from belarus_timeline.files import atomic_write, differing, sha256_file, tree_sha256
from belarus_timeline.manifest import (
    INDEX,
    MANIFEST,
    SUMS,
    Index,
    IndexEntry,
    ZipEntry,
    parse_index,
    read_manifest,
    registered_versions,
    registry_dir,
    release_name,
    zip_name,
)
from belarus_timeline.semver import newest

LATEST = "latest"


def read_index(folder: Path) -> Index:
    """The publication index of ``folder`` (an empty one if there is none yet)."""
    path = folder / INDEX
    if not path.is_file():
        return Index(versions={})
    return parse_index(path.read_bytes(), str(path))


def _lock_for(to: Path) -> FileLock:
    """A lock per published folder, outside it: a static host must not serve lock files."""
    key = hashlib.sha256(str(to.resolve()).encode()).hexdigest()[:16]
    return FileLock(str(Path(tempfile.gettempdir()) / f"belarus-timeline-publish-{key}.lock"))


def _check_zip(release: Path, zip_path: Path) -> None:
    """The zip must hold exactly the release: the same manifest, every file verifying."""
    if not zip_path.is_file():
        raise ReleaseError(
            f"{zip_path}: missing. A release is published with its zip; build it with "
            "`belarus-timeline build` (make release), which writes both."
        )
    with open_release(zip_path) as opened:
        if opened.missing or opened.manifest != read_manifest(release):
            raise ReleaseError(
                f"{zip_path} does not hold the release {release} (other manifest, or files "
                f"missing: {', '.join(opened.missing[:5])}). Rebuild it with make release."
            )


def _copy_tree(release: Path, files: list[str], target: Path, to: Path) -> None:
    """Copy ``files`` of ``release`` to ``target`` through a temporary folder and a rename."""
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}-", dir=to))
    try:
        tmp.chmod(0o755)
        for f in files:
            (tmp / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(release / f, tmp / f)
        if target.exists():
            # Replace (latest/): move the old copy aside first, then delete it.
            old = to / f".old-{target.name}-{uuid.uuid4().hex}"
            os.rename(target, old)
            os.rename(tmp, target)
            shutil.rmtree(old)
        else:
            os.rename(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def _differing(release: Path, target: Path, files: list[str]) -> list[str]:
    return [
        f
        for f in files
        if not (target / f).is_file() or sha256_file(target / f) != sha256_file(release / f)
    ]


def publish(
    release: Path | str,
    to: Path | str,
    zip_path: Path | str | None = None,
    *,
    registry: Path | str | None = None,
) -> Path:
    """Copy a built release folder to ``to/<version>/``, its zip (default: beside the folder)
    to ``to/``, record it in ``to/index.json`` and, when it is the newest release, copy it to
    ``to/latest/``.

    The release must be exactly what was recorded for its version in ``registry`` (default: the
    registry shipped in the package, ``releases/``): every file listed there, unchanged, and
    nothing else; the zip must hold the release. Publishing a version that is already there with
    the same content is a no-op; with different content it is refused.
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
    read_index(to)  # a malformed index is refused before anything else is looked at
    zip_src = Path(zip_path) if zip_path else release.parent / f"{release.name}.zip"
    _check_zip(release, zip_src)
    files = [f.path for f in manifest.files] + [MANIFEST, SUMS]
    to.mkdir(parents=True, exist_ok=True)
    target = to / version
    zip_target = to / zip_name(version)
    with _lock_for(to).acquire(timeout=60):
        versions = dict(read_index(to).versions)  # a malformed index refuses before any copy
        if target.exists():
            changed = _differing(release, target, files)
            if zip_target.is_file() and sha256_file(zip_target) != sha256_file(zip_src):
                changed.append(zip_target.name)
            if changed:
                raise ReleaseError(
                    f"{target} is already published with different content in: "
                    f"{', '.join(changed)}. Published versions are immutable: release a new "
                    "version instead."
                )
        else:
            _copy_tree(release, files, target, to)
        if not zip_target.is_file():
            atomic_write(zip_target, zip_src.read_bytes())
        versions[version] = IndexEntry(
            manifest_sha256=sha256_file(target / MANIFEST),
            created=manifest.created,
            zip=ZipEntry(
                path=zip_target.name,
                bytes=zip_target.stat().st_size,
                sha256=sha256_file(zip_target),
            ),
        )
        index = Index(versions=versions)  # sorted by SemVer precedence on validation
        index.latest = newest(index.versions)
        latest = to / LATEST
        if index.latest == version and (
            not latest.is_dir() or differing(tree_sha256(target), tree_sha256(latest))
        ):
            _copy_tree(target, files, latest, to)
        atomic_write(to / INDEX, index.to_bytes())
    return target


def publish_all(
    dist: Path | str,
    to: Path | str,
    registry: Path | str,
    never_published: Iterable[str] = (),
) -> list[Path]:
    """Publish every version recorded in ``registry`` (``releases/``) from ``dist`` (where
    ``make release`` builds them and ``publish --all --fetch-missing`` fetches older ones) into
    ``to``: the whole static tree.

    A recorded version missing from ``dist`` is an error, because a static host replaced by this
    tree would lose it, unless it is one of ``never_published`` (recorded, but not in the
    published index: there is nothing to lose)."""
    dist, registry = Path(dist), Path(registry)
    skip = set(never_published)
    recorded = [v for v in registered_versions(registry) if v not in skip]
    missing = [v for v in recorded if not (dist / release_name(v)).is_dir()]
    if missing:
        raise ReleaseError(
            f"recorded version(s) {', '.join(missing)} are not in {dist}; the published tree "
            "would lose them. Fetch them with `make publish-site` (publish --all --fetch-missing) "
            "or build them first."
        )
    return [publish(dist / release_name(v), to, registry=registry) for v in recorded]
