"""The release manifest, the publication index and the registry of recorded versions.

One set of pydantic models, used both to write these files (``release``, ``publish``) and to
read them back (``verify``, ``publish``, ``download``), so that what is written is exactly what
is accepted. A manifest lists every file of a release with its size and sha256; the index maps
each published version to the sha256 of its manifest; the registry (``releases/<version>.json``
in the repository, shipped in the wheel) holds the manifest recorded when a version was first
built.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from belarus_timeline.errors import ManifestError
from belarus_timeline.files import json_bytes, sha256_file
from belarus_timeline.package import bundled_root, unsafe_path_reason
from belarus_timeline.semver import is_semver, parse, sort_key

NAME = "belarus-timeline"
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
INDEX = "index.json"
# Only plain names: no spaces, no control or shell characters, no backslashes.
_SAFE_PATH = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*$")
SHA256 = r"^[0-9a-f]{64}$"


class ManifestFile(BaseModel):
    """One file of a release, as its manifest lists it."""

    model_config = ConfigDict(extra="forbid")
    path: str
    bytes: Annotated[int, Field(ge=0)]
    sha256: Annotated[str, Field(pattern=SHA256)]

    @field_validator("path")
    @classmethod
    def _plain_relative(cls, v: str) -> str:
        reason = unsafe_path_reason(v)
        if reason is None and not _SAFE_PATH.match(v):
            reason = "it has characters other than letters, digits, '.', '_', '-' and '/'"
        if reason is None and v in (MANIFEST, SUMS):
            reason = "it would overwrite the manifest or checksums"
        if reason is not None:
            raise ValueError(f"file path {v!r} is refused: {reason}")
        return v


class TableEntry(BaseModel):
    """A table of a release: its rows, key and writer-independent content hash."""

    model_config = ConfigDict(extra="forbid")
    rows: Annotated[int, Field(ge=0)]
    primary_key: list[str]
    content_sha256: Annotated[str, Field(pattern=SHA256)]


class Manifest(BaseModel):
    """``manifest.json`` of a release."""

    # A download needs only name, version and files; the rest is written for people and tools.
    model_config = ConfigDict(extra="ignore")
    name: str
    version: str
    created: str | None = None
    previous_version: str | None = None
    tools: dict[str, str] = {}
    tables: dict[str, TableEntry] = {}
    files: list[ManifestFile]

    @field_validator("version")
    @classmethod
    def _semver(cls, v: str) -> str:
        parse(v)
        return v

    @field_validator("files")
    @classmethod
    def _unique(cls, v: list[ManifestFile]) -> list[ManifestFile]:
        if not v:
            raise ValueError("a release lists at least one file")
        paths = [f.path for f in v]
        if len(set(paths)) != len(paths):
            raise ValueError("a file is listed twice")
        if len({p.lower() for p in paths}) != len(paths):
            raise ValueError("two files differ only in case")
        return v

    def to_bytes(self) -> bytes:
        """The manifest as written: indented UTF-8 JSON, keys in the models' order."""
        return json_bytes(self.model_dump(mode="json"))


def release_name(version: str) -> str:
    """The folder name of a release, ``belarus-timeline-<version>``."""
    return f"{NAME}-{version}"


def zip_name(version: str) -> str:
    """The file name of a release's zip, ``belarus-timeline-<version>.zip``."""
    return f"{release_name(version)}.zip"


class ZipEntry(BaseModel):
    """A release's zip as ``index.json`` lists it (published beside the index)."""

    model_config = ConfigDict(extra="forbid")
    path: str
    bytes: Annotated[int, Field(ge=0)]
    sha256: Annotated[str, Field(pattern=SHA256)]

    @field_validator("path")
    @classmethod
    def _plain_name(cls, v: str) -> str:
        if "/" in v or not _SAFE_PATH.match(v) or not v.endswith(".zip"):
            raise ValueError(f"zip path {v!r} is refused: not a plain .zip file name")
        return v


class IndexEntry(BaseModel):
    """One published version in ``index.json``."""

    model_config = ConfigDict(extra="ignore")
    manifest_sha256: Annotated[str, Field(pattern=SHA256)]
    created: str | None = None
    zip: ZipEntry | None = None


class Index(BaseModel):
    """``index.json`` of a published tree: every version, oldest first, and the latest."""

    model_config = ConfigDict(extra="ignore")
    name: str = NAME
    versions: dict[str, IndexEntry]
    latest: str | None = None

    @field_validator("versions")
    @classmethod
    def _semver_keys(cls, v: dict[str, IndexEntry]) -> dict[str, IndexEntry]:
        for key in v:
            parse(key)
        return dict(sorted(v.items(), key=lambda kv: sort_key(kv[0])))

    def to_bytes(self) -> bytes:
        return (json.dumps(self.model_dump(mode="json"), indent=2) + "\n").encode("utf-8")


def _why(exc: Exception) -> str:
    """The first problem, with where it is (``files.3.path: ...``)."""
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        return f"{loc}: {err['msg']}" if loc else str(err["msg"])
    if isinstance(exc, RecursionError):
        return "it is nested too deeply to be a manifest"
    return f"not JSON ({exc})"


def parse_manifest(raw: bytes, origin: str) -> Manifest:
    """A manifest's bytes, checked; :class:`ManifestError` says what is wrong and where."""
    try:
        return Manifest.model_validate(json.loads(raw))
    except (ValueError, RecursionError) as exc:
        raise ManifestError(f"The manifest {origin} is refused: {_why(exc)}.") from None


def read_manifest_bytes(folder: Path) -> bytes:
    """The bytes of a release folder's manifest."""
    path = folder / MANIFEST
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read the release manifest ({exc.strerror}).") from exc


def read_manifest(folder: Path) -> Manifest:
    """The manifest of a release folder."""
    return parse_manifest(read_manifest_bytes(folder), str(folder / MANIFEST))


def parse_index(raw: bytes, origin: str) -> Index:
    """An index's bytes, checked."""
    try:
        return Index.model_validate(json.loads(raw))
    except (ValueError, RecursionError) as exc:
        raise ManifestError(f"The index {origin} is refused: {_why(exc)}.") from None


def registry_dir() -> Path:
    """The registry of recorded versions that ships with the installed package."""
    return bundled_root() / "releases"


def registered_versions(registry: Path) -> list[str]:
    """Versions with a recorded manifest in ``registry`` (``releases/``), oldest first."""
    found = [p.stem for p in registry.glob("*.json") if is_semver(p.stem)]
    return sorted(found, key=sort_key)


def sums_bytes(manifest: Manifest, manifest_sha256: str) -> bytes:
    """``SHA256SUMS`` of a release, GNU format: every file of the manifest, then the manifest."""
    lines = [f"{f.sha256}  {f.path}\n" for f in manifest.files]
    return "".join([*lines, f"{manifest_sha256}  {MANIFEST}\n"]).encode("utf-8")


#: The downloader's lock folder, which ``download --to DIR`` keeps inside DIR.
LOCKS = ".locks"


@dataclass
class FileCheck:
    """The result of checking one file of a release against its manifest."""

    path: str
    status: str  # ok | missing | size-mismatch | hash-mismatch | unexpected | not-a-file
    detail: str = ""


def _present(folder: Path) -> list[str]:
    """Every file and link under ``folder`` (links not followed), as POSIX relative paths;
    the downloader's empty lock files are not counted."""
    out = []
    for top, dirs, files in os.walk(folder):
        here = Path(top)
        links = [d for d in dirs if (here / d).is_symlink()]
        for name in [*files, *links]:
            rel = (here / name).relative_to(folder).as_posix()
            p = here / name
            if rel.startswith(f"{LOCKS}/") and rel.endswith(".lock") and p.stat().st_size == 0:
                continue
            out.append(rel)
    return sorted(out)


def verify_folder(
    folder: Path | str, manifest: Manifest | None = None, manifest_raw: bytes | None = None
) -> list[FileCheck]:
    """Re-hash every file of a release folder against a manifest: the folder's own, or the
    trusted one given (``manifest_raw``: its bytes, which the folder's manifest.json must
    equal). Files present but not listed are ``unexpected``; a link is ``not-a-file``."""
    folder = Path(folder)
    if manifest is None:
        manifest_raw = read_manifest_bytes(folder) if manifest_raw is None else manifest_raw
        manifest = parse_manifest(manifest_raw, str(folder / MANIFEST))
    out: list[FileCheck] = []
    expected = [(e.path, e.bytes, e.sha256) for e in manifest.files]
    if manifest_raw is not None:
        digest = hashlib.sha256(manifest_raw).hexdigest()
        sums = sums_bytes(manifest, digest)
        expected += [
            (MANIFEST, len(manifest_raw), digest),
            (SUMS, len(sums), hashlib.sha256(sums).hexdigest()),
        ]
    for path, size_expected, sha_expected in expected:
        p = folder / path
        if p.is_symlink():
            out.append(FileCheck(path, "not-a-file", "a symbolic link"))
        elif not p.is_file():
            out.append(FileCheck(path, "missing"))
        elif (size := p.stat().st_size) != size_expected:
            out.append(FileCheck(path, "size-mismatch", f"{size} bytes, expected {size_expected}"))
        elif (actual := sha256_file(p)) != sha_expected:
            out.append(
                FileCheck(path, "hash-mismatch", f"sha256 {actual}, expected {sha_expected}")
            )
        else:
            out.append(FileCheck(path, "ok"))
    listed = {e.path for e in manifest.files} | {MANIFEST, SUMS}
    out += [
        FileCheck(rel, "unexpected", "not in the manifest")
        for rel in _present(folder)
        if rel not in listed
    ]
    return out
