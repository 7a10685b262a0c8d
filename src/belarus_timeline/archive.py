"""Releases as users have them, a folder or its zip, verified before anything is read.

A release carries its own ``manifest.json`` (every file with size and sha256) and
``SHA256SUMS``. Opening one checks, before any table is read:

- the manifest is well formed, and for a version this installation knows it is byte for byte
  the manifest recorded in the installed registry (``releases/<version>.json``): a release
  that differs from the published one is refused;
- ``SHA256SUMS`` agrees with the manifest and holds the manifest's own sha256;
- every file that is there has the size and sha256 the manifest gives. A file that is missing is
  allowed (a partial download): the caller is told which files verified and loads only those.

A zip is read without trusting its member names: only plain names the manifest lists may be in
it, each at most the size the manifest gives, and they are extracted into a private temporary
folder that is removed afterwards.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from belarus_timeline.errors import ManifestError, ReleaseError
from belarus_timeline.manifest import (
    MANIFEST,
    SUMS,
    Manifest,
    parse_manifest,
    registry_dir,
    verify_folder,
)


@dataclass(frozen=True)
class OpenedRelease:
    """A verified release: where its files are, its manifest, and which of its files are there."""

    source: Path
    folder: Path
    manifest: Manifest
    verified: frozenset[str]

    @property
    def missing(self) -> list[str]:
        """Files the manifest lists that are not there (a partial download)."""
        return [f.path for f in self.manifest.files if f.path not in self.verified]


def _trusted(raw: bytes, origin: Path) -> Manifest:
    """The release's manifest, refused if it differs from the one recorded for its version."""
    try:
        manifest = parse_manifest(raw, str(origin))
    except ManifestError as exc:
        raise ReleaseError(str(exc)) from None
    recorded = registry_dir() / f"{manifest.version}.json"
    if recorded.is_file() and recorded.read_bytes() != raw:
        raise ReleaseError(
            f"{origin}: this is not the published release {manifest.version}: its manifest "
            f"differs from the one recorded in this installation ({recorded}). Download the "
            f"release again (`belarus-timeline download {manifest.version}`)."
        )
    return manifest


def _check_sums(sums: bytes | None, manifest: Manifest, raw: bytes, origin: Path) -> None:
    if sums is None:
        raise ReleaseError(f"{origin}: no {SUMS}; a release carries one. Download it again.")
    expected = {f.path: f.sha256 for f in manifest.files}
    expected[MANIFEST] = hashlib.sha256(raw).hexdigest()
    listed: dict[str, str] = {}
    for line in sums.decode("utf-8", "replace").splitlines():
        digest, sep, path = line.partition("  ")
        if sep:
            listed[path] = digest
    if listed != expected:
        wrong = sorted(
            k for k in listed.keys() | expected.keys() if listed.get(k) != expected.get(k)
        )
        raise ReleaseError(
            f"{origin}: {SUMS} does not agree with {MANIFEST} (on {', '.join(wrong[:5])}); the "
            "release was altered or is damaged. Download it again."
        )


def _open_folder(folder: Path) -> OpenedRelease:
    path = folder / MANIFEST
    if not path.is_file():
        raise ReleaseError(
            f"{folder}: not a release (no {MANIFEST}). Pass a release folder or zip as "
            "downloaded or built; to read a package folder such as a checkout, use root=."
        )
    raw = path.read_bytes()
    manifest = _trusted(raw, folder)
    sums = folder / SUMS
    _check_sums(sums.read_bytes() if sums.is_file() else None, manifest, raw, folder)
    checks = verify_folder(folder, manifest)
    bad = [c for c in checks if c.status not in ("ok", "missing")]
    if bad:
        listing = "; ".join(f"{c.path}: {c.status} ({c.detail})" for c in bad[:5])
        raise ReleaseError(
            f"{folder}: files differ from the release's manifest: {listing}. Nothing was read; "
            "download the release again."
        )
    ok = frozenset(c.path for c in checks if c.status == "ok")
    return OpenedRelease(folder, folder, manifest, ok)


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, size: int, target: Path) -> str:
    """Extract one member, never more than ``size`` bytes; its sha256."""
    h = hashlib.sha256()
    written = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with zf.open(info) as src, target.open("wb") as dst:
        for block in iter(lambda: src.read(1 << 20), b""):
            written += len(block)
            if written > size:
                break
            h.update(block)
            dst.write(block)
    return h.hexdigest() if written == size else ""


def _open_zip(path: Path, into: Path) -> OpenedRelease:
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ReleaseError(f"{path}: not a readable zip ({exc}).") from exc
    with zf:
        members = {i.filename: i for i in zf.infolist() if not i.is_dir()}
        if len(members) != len([i for i in zf.infolist() if not i.is_dir()]):
            raise ReleaseError(f"{path}: a file is in the zip twice; refusing to read it.")
        if MANIFEST not in members:
            raise ReleaseError(
                f"{path}: no {MANIFEST} at the zip's root: not a release zip (releases before "
                "the zip layout with datapackage.json at the root are not supported)."
            )
        raw = zf.read(members[MANIFEST])
        manifest = _trusted(raw, path)
        _check_sums(zf.read(members[SUMS]) if SUMS in members else None, manifest, raw, path)
        sizes = {f.path: f for f in manifest.files}
        extra = sorted(set(members) - set(sizes) - {MANIFEST, SUMS})
        if extra:
            raise ReleaseError(
                f"{path}: the zip holds files its manifest does not list: {', '.join(extra[:5])}. "
                "Refusing to read it."
            )
        ok = []
        for name, info in members.items():
            if name in (MANIFEST, SUMS):
                continue
            entry = sizes[name]
            if _extract(zf, info, entry.bytes, into / name) != entry.sha256:
                raise ReleaseError(
                    f"{path}: {name} differs from the release's manifest (expected {entry.bytes} "
                    f"bytes with sha256 {entry.sha256}). Nothing was read; download it again."
                )
            ok.append(name)
    return OpenedRelease(path, into, manifest, frozenset(ok))


@contextlib.contextmanager
def open_release(path: Path | str) -> Iterator[OpenedRelease]:
    """A release folder or zip, verified; a zip is extracted into a temporary folder that is
    removed when the block ends."""
    path = Path(path)
    if path.is_dir():
        yield _open_folder(path)
        return
    if not path.is_file():
        raise ReleaseError(f"{path}: no such release folder or zip.")
    tmp = Path(tempfile.mkdtemp(prefix="belarus-timeline-"))
    try:
        yield _open_zip(path, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
