"""Downloading published releases: verified, cached, offline-ready, safe under concurrency.

Every file is checked (size and sha256) against a manifest that is trusted because it ships in
the installed package (``releases/<version>.json``) or, for a newer version, because its sha256
matches the published ``index.json``. Files stream to a temporary name in the destination folder
and are renamed into place only once they verify, so the cache never holds a partial or wrong
file. The cache is looked at first: a version whose files are there and verify is used with no
URL and no connection. The transfer itself is pooch's ``HTTPDownloader`` (requests: proxies and
CA bundles from the usual environment variables), with one progress bar per download.

Settings, by argument, environment, or the configuration file (``config.toml`` in the user's
configuration folder, or the file named by ``BELARUS_TIMELINE_CONFIG``), read at call time:

- where releases are published (``<base>/index.json``, ``<base>/<version>/<file>``):
  ``base_url=``, ``BELARUS_TIMELINE_BASE_URL``, ``base_url = "..."``; default
  :data:`belarus_timeline.project.DEFAULT_BASE_URL`;
- the cache folder: ``cache_dir=``, ``BELARUS_TIMELINE_CACHE``, ``cache_dir = "..."``; default
  the platform's user cache folder;
- ``BELARUS_TIMELINE_OFFLINE=1``: never open a connection;
- ``BELARUS_TIMELINE_TIMEOUT``: seconds to wait for the server (default 30);
- ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY``, ``REQUESTS_CA_BUNDLE`` / ``SSL_CERT_FILE``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import time
import tomllib
import uuid
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs
import pooch
import requests
from filelock import FileLock
from filelock import Timeout as LockTimeout

from belarus_timeline.errors import DownloadError, ManifestError
from belarus_timeline.files import atomic_write, sha256_file
from belarus_timeline.manifest import (
    INDEX,
    LOCKS,
    MANIFEST,
    NAME,
    SUMS,
    FileCheck,
    Index,
    Manifest,
    ManifestFile,
    parse_index,
    parse_manifest,
    read_manifest_bytes,
    registered_versions,
    registry_dir,
    sums_bytes,
    verify_folder,
)
from belarus_timeline.progress import FileShare, bar
from belarus_timeline.project import DEFAULT_BASE_URL
from belarus_timeline.semver import is_semver, newest, parse, sort_key

log = logging.getLogger(__name__)

ENV_BASE_URL = "BELARUS_TIMELINE_BASE_URL"
ENV_CACHE = "BELARUS_TIMELINE_CACHE"
ENV_OFFLINE = "BELARUS_TIMELINE_OFFLINE"
ENV_TIMEOUT = "BELARUS_TIMELINE_TIMEOUT"
ENV_CONFIG = "BELARUS_TIMELINE_CONFIG"
#: The version name that stands for the newest published release (not a pre-release).
LATEST = "latest"
RETRIES = 3
BACKOFF_S = 0.5


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def config_path() -> Path:
    """The configuration file: ``BELARUS_TIMELINE_CONFIG``, else ``config.toml`` in the user's
    configuration folder (platformdirs). It need not exist."""
    env = os.environ.get(ENV_CONFIG)
    return Path(env) if env else platformdirs.user_config_path("belarus-timeline") / "config.toml"


def _config() -> dict[str, Any]:
    path = config_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DownloadError(
            f"{path}: the configuration file cannot be read ({exc}). Fix it (TOML, e.g. "
            f'base_url = "https://..."), or point {ENV_CONFIG} to another file.'
        ) from exc
    unknown = sorted(set(data) - {"base_url", "cache_dir"})
    if unknown:
        raise DownloadError(
            f"{path}: unknown setting(s) {unknown}; the settings are base_url and cache_dir."
        )
    if not all(isinstance(v, str) for v in data.values()):
        raise DownloadError(f"{path}: base_url and cache_dir must be strings.")
    return data


def cache_root(cache_dir: Path | str | None = None) -> Path:
    """The cache folder: argument, ``BELARUS_TIMELINE_CACHE``, the configuration file's
    ``cache_dir``, or the user cache folder."""
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get(ENV_CACHE) or _config().get("cache_dir")
    return Path(env) if env else Path(platformdirs.user_cache_dir("belarus-timeline"))


def versions() -> list[str]:
    """Versions this installation knows (their manifests ship in the package), oldest first."""
    return registered_versions(registry_dir())


def resolve_base_url(url: str | None = None) -> str:
    """Where releases are published: argument, ``BELARUS_TIMELINE_BASE_URL``, the configuration
    file's ``base_url``, or the project's published location."""
    chosen = url or os.environ.get(ENV_BASE_URL) or _config().get("base_url") or DEFAULT_BASE_URL
    return str(chosen).rstrip("/")


def how_to_override() -> str:
    """The three ways to point the downloader elsewhere, for error messages."""
    return (
        f"To use another location pass base_url=... (command line: --base-url URL), set "
        f'{ENV_BASE_URL}, or write base_url = "URL" in {config_path()}.'
    )


def _timeout() -> float:
    try:
        return float(os.environ.get(ENV_TIMEOUT, "30"))
    except ValueError as exc:
        raise DownloadError(f"{ENV_TIMEOUT} must be a number of seconds.") from exc


def _fetch(url: str, dest: Path, share: FileShare | None = None) -> None:
    """Stream ``url`` to ``dest`` with bounded retries on network errors and 5xx answers."""
    extra: dict[str, Any] = {"timeout": _timeout()}
    ca = os.environ.get("SSL_CERT_FILE")
    if ca and not os.environ.get("REQUESTS_CA_BUNDLE") and not os.environ.get("CURL_CA_BUNDLE"):
        extra["verify"] = ca
    downloader = pooch.HTTPDownloader(progressbar=share or False, **extra)
    for attempt in range(1, RETRIES + 1):
        try:
            downloader(url, str(dest), None)
            return
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if status < 500 or attempt == RETRIES:
                raise DownloadError(
                    f"{url}: the server answered HTTP {status}; nothing was written to the cache. "
                    f"Check the version and the download location. {how_to_override()}"
                ) from exc
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
        ) as exc:
            if attempt == RETRIES:
                raise DownloadError(
                    f"{url}: cannot be reached: {type(exc).__name__} after {RETRIES} attempts "
                    f"({exc}); nothing was written to the cache. Check the network, proxy "
                    f"settings and {ENV_TIMEOUT}. {how_to_override()}"
                ) from exc
        if share is not None:
            share.undo()
        log.info("retrying %s (attempt %d of %d)", url, attempt + 1, RETRIES)
        time.sleep(BACKOFF_S * 2 ** (attempt - 1))


def _download_bytes(url: str, folder: Path) -> bytes:
    tmp = folder / f".fetch-{uuid.uuid4().hex}.part"
    try:
        _fetch(url, tmp)
        return tmp.read_bytes()
    finally:
        tmp.unlink(missing_ok=True)


def _ensure_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{uuid.uuid4().hex}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise DownloadError(
            f"The cache folder {folder} is not writable ({exc.strerror}). Set {ENV_CACHE} to a "
            "writable folder, or pass cache_dir=... (CLI: --to DIR)."
        ) from exc


def _parse_manifest(raw: bytes, origin: str) -> Manifest:
    try:
        return parse_manifest(raw, f"from {origin}")
    except ManifestError as exc:
        raise DownloadError(str(exc)) from None


def _trusted_manifest(version: str, base: str | None, folder: Path, offline: bool) -> bytes:
    """The manifest's bytes, from the installed registry or verified against index.json."""
    shipped = registry_dir() / f"{version}.json"
    if shipped.is_file():
        return shipped.read_bytes()
    cached = folder / MANIFEST
    if offline:
        if cached.is_file():
            return cached.read_bytes()  # verified against the index when it was downloaded
        raise DownloadError(
            f"Version {version} is not known to this installation and its manifest is not in "
            f"the cache ({cached}); offline mode ({ENV_OFFLINE}=1) forbids fetching it. On a "
            f"connected machine run `belarus-timeline download {version} --to DIR` and copy DIR "
            f"to {folder}."
        )
    assert base is not None
    index = _index(base, folder)
    entry = index.versions.get(version)
    if entry is None:
        known = ", ".join(index.versions) or "none"
        raise DownloadError(f"Version {version} is not published at {base} (published: {known}).")
    raw = _download_bytes(f"{base}/{version}/{MANIFEST}", folder)
    actual = hashlib.sha256(raw).hexdigest()
    if actual != entry.manifest_sha256:
        raise DownloadError(
            f"{base}/{version}/{MANIFEST}: sha256 {actual} does not match {entry.manifest_sha256} "
            "in index.json; the manifest was not trusted and nothing was downloaded. Report it to "
            "the publisher."
        )
    return raw


def _index(base: str, folder: Path) -> Index:
    """The published ``index.json`` at ``base`` (fetched through a temporary file in
    ``folder``), checked."""
    raw = _download_bytes(f"{base}/{INDEX}", folder)
    try:
        return parse_index(raw, f"{base}/{INDEX}")
    except ManifestError as exc:
        raise DownloadError(str(exc)) from None


def published_versions(base_url: str | None = None) -> list[str]:
    """The versions the published ``index.json`` lists, oldest first; none when the location
    answers 404 (nothing has been published there yet). Any other failure is an error: what is
    published must be known before a new tree replaces it."""
    base = resolve_base_url(base_url)
    url = f"{base}/{INDEX}"
    try:
        answer = requests.get(url, timeout=_timeout())
    except requests.RequestException as exc:
        raise DownloadError(
            f"{url}: cannot be reached ({type(exc).__name__}). {how_to_override()}"
        ) from None
    if answer.status_code == 404:
        return []
    if answer.status_code != 200:
        raise DownloadError(f"{url}: the server answered HTTP {answer.status_code}.")
    try:
        return list(parse_index(answer.content, url).versions)
    except ManifestError as exc:
        raise DownloadError(str(exc)) from None


def _wanted(
    files: Iterable[ManifestFile], tables: Iterable[str] | None, formats: Iterable[str]
) -> list[ManifestFile]:
    tables = set(tables) if tables is not None else None
    formats = set(formats)
    unknown = formats - {"parquet", "csv"}
    if unknown:
        raise DownloadError(f"Unknown format(s) {sorted(unknown)}: use parquet and/or csv.")
    out = []
    for f in files:
        top, _, rest = f.path.partition("/")
        if top in ("data", "parquet"):
            kind = "csv" if top == "data" else "parquet"
            stem = rest.rsplit(".", 1)[0]
            if kind not in formats or (tables is not None and stem not in tables):
                continue
        out.append(f)
    if tables is not None:
        present = {
            f.path.partition("/")[2].rsplit(".", 1)[0]
            for f in files
            if f.path.startswith(("data/", "parquet/"))
        }
        missing = set(tables) - present
        if missing:
            have = ", ".join(sorted(present))
            raise DownloadError(f"No table(s) {sorted(missing)} in this release; it has: {have}.")
    return out


def _verified(path: Path, entry: ManifestFile) -> bool:
    return (
        path.is_file()
        and not path.is_symlink()
        and path.stat().st_size == entry.bytes
        and sha256_file(path) == entry.sha256
    )


@contextlib.contextmanager
def _lock(root: Path, version: str) -> Iterator[None]:
    """One downloader per version at a time; on file systems where locks hang (NFS), go on
    without it after a while: atomic renames still keep every file whole."""
    locks = root / LOCKS
    locks.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(locks / f"{version}.lock"))
    try:
        lock.acquire(timeout=120)
    except LockTimeout:
        log.warning("could not lock %s; downloading without the lock", locks)
        yield
        return
    try:
        yield
    finally:
        lock.release()


def download(
    version: str,
    *,
    tables: Iterable[str] | None = None,
    formats: Iterable[str] = ("parquet", "csv"),
    base_url: str | None = None,
    cache_dir: Path | str | None = None,
    dest: Path | str | None = None,
) -> Path:
    """Fetch a published release into the cache (or ``dest``) and return its folder.

    ``version`` is a version or ``"latest"``. Files already there and verified are not fetched
    again; when every wanted file is there the cache is used as it is, with no URL and no
    connection. Every file is checked against the trusted manifest (size and sha256) before it
    is renamed into place. ``tables`` and ``formats`` fetch part of a release; metadata files
    are always fetched.
    """
    offline = _env_flag(ENV_OFFLINE)
    root = cache_root(cache_dir)
    version = resolve_version(version, base_url=base_url, cache_dir=cache_dir)
    parse(version)
    folder = Path(dest) if dest is not None else root / version
    local = _local_manifest(version, folder)
    if local is not None:
        wanted = _wanted(_parse_manifest(local, f"version {version}").files, tables, formats)
        if all(_verified(folder / f.path, f) for f in wanted):
            return folder
    base = None if offline else resolve_base_url(base_url)
    if not offline:
        _ensure_writable(folder)
    # The lock lives inside the folder the caller named (the cache, or DIR of --to DIR), never
    # beside it: nothing is written outside the place the user chose.
    lock_root = folder if dest is not None else root
    with _lock(lock_root, version) if not offline else contextlib.nullcontext():
        raw = _trusted_manifest(version, base, folder, offline)
        manifest = _parse_manifest(raw, f"version {version}")
        if manifest.version != version:
            raise DownloadError(f"The manifest is for version {manifest.version}, not {version}.")
        wanted = _wanted(manifest.files, tables, formats)
        todo = [f for f in wanted if not _verified(folder / f.path, f)]
        if offline and todo:
            listing = "\n  ".join(f.path for f in todo)
            raise DownloadError(
                f"Offline ({ENV_OFFLINE}=1) and {len(todo)} file(s) of version {version} are not "
                f"in the cache {folder}:\n  {listing}\nOn a connected machine run "
                f"`belarus-timeline download {version} --to DIR`, then copy DIR to {folder}."
            )
        with bar(f"{NAME} {version}", sum(f.bytes for f in todo), unit="B", scale=True) as b:
            for f in todo:
                _fetch_verified(f, f"{base}/{version}/{f.path}", folder, FileShare(b, f.bytes))
        if not offline:
            atomic_write(folder / MANIFEST, raw)
            atomic_write(folder / SUMS, sums_bytes(manifest, hashlib.sha256(raw).hexdigest()))
    return folder


def _local_manifest(version: str, folder: Path) -> bytes | None:
    """The manifest of ``version`` without a connection: the installed registry's, else the copy
    in ``folder`` (checked against index.json when it was downloaded); ``None`` if neither."""
    for path in (registry_dir() / f"{version}.json", folder / MANIFEST):
        if path.is_file() and not path.is_symlink():
            return path.read_bytes()
    return None


def cached_versions(cache_dir: Path | str | None = None) -> list[str]:
    """Versions with a manifest in the cache, oldest first."""
    root = cache_root(cache_dir)
    if not root.is_dir():
        return []
    found = [p.name for p in root.iterdir() if is_semver(p.name) and (p / MANIFEST).is_file()]
    return sorted(found, key=sort_key)


def resolve_version(
    version: str, *, base_url: str | None = None, cache_dir: Path | str | None = None
) -> str:
    """``version`` itself, or for ``"latest"`` the newest published release: ``latest`` of the
    published ``index.json``; offline, or when the location cannot be reached, the newest
    version in the cache (with a warning when it was a network failure)."""
    if version != LATEST:
        try:
            parse(version)
        except ValueError as exc:
            raise DownloadError(f"{exc}, nor {LATEST!r}.") from None
        return version
    root = cache_root(cache_dir)
    cached = newest(cached_versions(root))
    if _env_flag(ENV_OFFLINE):
        if cached is None:
            raise DownloadError(
                f"Offline ({ENV_OFFLINE}=1) and no version is in the cache {root}: name a "
                "version, or download one on a connected machine."
            )
        return cached
    base = resolve_base_url(base_url)
    _ensure_writable(root)
    try:
        latest = _index(base, root).latest
    except DownloadError as exc:
        if cached is None:
            raise
        warnings.warn(
            f"{exc} Using version {cached}, the newest in the cache {root}.", stacklevel=2
        )
        return cached
    if latest is None:
        raise DownloadError(f"{base}/{INDEX} names no latest version; name a version instead.")
    return latest


@dataclass(frozen=True)
class LocalRelease:
    """A version as it is in the cache: its folder and the files of it that verify."""

    version: str
    folder: Path
    manifest: Manifest
    verified: frozenset[str]

    def has(self, path: str) -> bool:
        """Whether a file of the release is in the cache and verified."""
        return path in self.verified


def local_release(
    version: str, *, cache_dir: Path | str | None = None, paths: Iterable[str] | None = None
) -> LocalRelease | None:
    """What the cache holds of ``version``, checked against its trusted manifest (no network):
    ``None`` when the cache has no trusted manifest for it. Only ``paths`` are hashed when
    given (the files a caller will read)."""
    folder = cache_root(cache_dir) / version
    raw = _local_manifest(version, folder)
    if raw is None:
        return None
    manifest = _parse_manifest(raw, f"version {version}")
    wanted = set(paths) if paths is not None else None
    ok = frozenset(
        f.path
        for f in manifest.files
        if (wanted is None or f.path in wanted) and _verified(folder / f.path, f)
    )
    return LocalRelease(version, folder, manifest, ok)


def _fetch_verified(entry: ManifestFile, url: str, folder: Path, share: FileShare) -> None:
    target = folder / entry.path
    # Refuse to write through a link, or anywhere outside the release folder.
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    if not parent.resolve().is_relative_to(folder.resolve()) or target.is_symlink():
        raise DownloadError(f"{target}: refusing to write through a symbolic link.")
    tmp = parent / f".{target.name}.{uuid.uuid4().hex}.part"
    try:
        _fetch(url, tmp, share)
        size = tmp.stat().st_size
        actual = sha256_file(tmp)
        if size != entry.bytes or actual != entry.sha256:
            raise DownloadError(
                f"{entry.path} from {url} does not verify: expected {entry.bytes} bytes with "
                f"sha256 {entry.sha256}, got {size} bytes with sha256 {actual}. The download was "
                f"deleted; the cache ({target}) holds no copy of it. Try again later; if it "
                "persists, the published file is corrupt or was tampered with: report it."
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@dataclass
class Verification:
    """The result of :func:`verify_release`: each file's check and what the manifest was
    trusted through."""

    folder: Path
    version: str
    trusted_by: str
    checks: list[FileCheck]

    @property
    def ok(self) -> bool:
        return all(c.status == "ok" for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "folder": str(self.folder),
            "version": self.version,
            "trusted_by": self.trusted_by,
            "files": [c.__dict__ for c in self.checks],
        }


def verify_release(
    folder: Path | str, *, registry: Path | str | None = None, base_url: str | None = None
) -> Verification:
    """Check a release folder against the manifest recorded for its version, never against its
    own alone: the registry (``registry``, default the one shipped in the package), or else the
    published ``index.json`` (``base_url`` or ``BELARUS_TIMELINE_BASE_URL``), whose sha256 of the
    manifest the folder's manifest.json must match. Reports every file missing, changed, or
    present but not listed. :class:`ManifestError` when there is nothing to trust."""
    folder = Path(folder)
    own_raw = read_manifest_bytes(folder)
    version = parse_manifest(own_raw, str(folder / MANIFEST)).version
    recorded = Path(registry if registry is not None else registry_dir()) / f"{version}.json"
    if recorded.is_file():
        raw = recorded.read_bytes()
        trusted_by = str(recorded)
    else:
        raw, trusted_by = _published_manifest(folder, version, own_raw, recorded, base_url)
    return Verification(folder, version, trusted_by, verify_folder(folder, None, raw))


def _published_manifest(
    folder: Path, version: str, own_raw: bytes, recorded: Path, base_url: str | None
) -> tuple[bytes, str]:
    """The folder's manifest, if its sha256 is the one the published index records."""
    url = base_url or os.environ.get(ENV_BASE_URL)
    if not url or _env_flag(ENV_OFFLINE):
        raise ManifestError(
            f"{folder}: version {version} is not recorded in {recorded.parent}, and no "
            f"published index is at hand to check its manifest against (pass --base-url or set "
            f"{ENV_BASE_URL}; offline mode forbids it). A release is never verified against its "
            "own manifest alone."
        )
    base = url.rstrip("/")
    try:
        with tempfile.TemporaryDirectory() as scratch:  # never write into the folder verified
            index = parse_index(
                _download_bytes(f"{base}/{INDEX}", Path(scratch)), f"{base}/{INDEX}"
            )
    except DownloadError as exc:
        raise ManifestError(str(exc)) from None
    entry = index.versions.get(version)
    if entry is None:
        raise ManifestError(f"{folder}: version {version} is not published at {base}.")
    if hashlib.sha256(own_raw).hexdigest() != entry.manifest_sha256:
        raise ManifestError(
            f"{folder / MANIFEST} is not the manifest published for {version} at {base} (its "
            f"sha256 differs from {entry.manifest_sha256} in index.json): the release was altered."
        )
    return own_raw, f"{base}/{INDEX}"
