"""Versioned releases: deterministic CSV + Parquet builds with manifest, checksums, changelog,
data diff and zip.

``build_release`` validates first and refuses invalid data; writes everything into a temporary
folder beside the final one and renames it into place only when complete (atomic); refuses to
overwrite a release, or a recorded manifest, that differs (immutable); and gives byte-identical
output for the same commit and pinned toolchain (deterministic).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any

from belarus_timeline.diff import PackageDiff, diff_packages
from belarus_timeline.downloader import download
from belarus_timeline.errors import ReleaseError, ValidationFailed, VersionError
from belarus_timeline.files import (
    Sidecar,
    atomic_write,
    build_tmp_prefix,
    clean_build_leftovers,
    differing,
    json_bytes,
    sha256_file,
    tree_sha256,
    zip_tree,
)
from belarus_timeline.manifest import (
    MANIFEST,
    NAME,
    SUMS,
    Manifest,
    ManifestFile,
    TableEntry,
    parse_manifest,
    read_manifest,
    registered_versions,
    release_name,
)
from belarus_timeline.outputs.catalog import dataset_bytes
from belarus_timeline.outputs.writeall import write_all
from belarus_timeline.package import DataPackage, Resource, bundled_version
from belarus_timeline.progress import bar
from belarus_timeline.semver import bump_between, bump_rank, parse
from belarus_timeline.snapshot import read_snapshot, snapshot_dir, write_snapshot
from belarus_timeline.tablefiles import Deflate, csv_bytes, typed, write_tables
from belarus_timeline.tables import table_names
from belarus_timeline.validate import runner, validate_package
from belarus_timeline.validate.columns import Table

__all__ = ["BuildResult", "VersionError", "build_release", "release_dir_name", "write_zip"]

PARQUET_MEDIATYPE = "application/vnd.apache.parquet"
# Every write option explicit: defaults have changed between pyarrow versions.
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 9,
    "use_dictionary": True,
    "row_group_size": 1_000_000,
    "version": "2.6",
    "data_page_version": "1.0",
    "write_statistics": True,
    "store_schema": False,
}
CSV_DIALECT = {"delimiter": ",", "lineTerminator": "\n", "quoteChar": '"', "header": True}
# zlib level 5, not 6: measured on four of the 1M-event release's CSVs, 1-2% larger than
# level 6 (evidence 63.2 vs 62.6 MB, statements 19.3 vs 18.9 MB) for 23-44% less deflating
# time (the zip was the tables-only build's largest cost). Not the Parquet files' options:
# those fix the published bytes.
ZIP_LEVEL = 5
# Already-compressed files are stored as they are: deflating them again costs time, saves nothing.
ZIP_STORED_SUFFIXES = (".parquet", ".png", ".zip")
TOOLS = ("pyarrow", "pandas", "numpy", "pydantic", "belarus-timeline")
#: Licence files every release carries, copied from the package's root: the data's (CC BY 4.0)
#: and the code's (MIT, for the script inside timeline.html).
LICENSE_FILES = ("LICENSE-DATA", "LICENSE")


def release_dir_name(version: str) -> str:
    """The folder (and zip) name of a release: ``belarus-timeline-<version>``."""
    return release_name(version)


@dataclass
class BuildResult:
    """What ``build_release`` did."""

    path: Path
    version: str
    status: str  # built | unchanged
    zip_path: Path
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    diff: PackageDiff | None = None

    def to_dict(self) -> dict[str, Any]:
        """What was built, as JSON-ready data (``build --json``)."""
        return {
            "ok": True,
            "path": str(self.path),
            "version": self.version,
            "status": self.status,
            "zip": str(self.zip_path),
            "rows": self.rows,
            "files": self.files,
            "required_bump": self.diff.required_bump if self.diff else None,
        }

    def summary(self) -> str:
        total = sum(self.rows.values())
        verb = "built" if self.status == "built" else "already built, identical:"
        lines = [
            f"{NAME} {self.version} {verb} {self.path}",
            f"  {len(self.rows)} tables, {total} rows, {self.files} files (+ {self.zip_path.name})",
        ]
        lines += [f"  {name:18} {n:>9} rows" for name, n in self.rows.items()]
        if self.diff is not None:
            lines.append(
                f"  changes since {self.diff.old_version or '(first release)'}: "
                f"requires {self.diff.required_bump.upper()}"
            )
        return "\n".join(lines)


def tool_versions() -> dict[str, str]:
    """Versions of the tools whose output is in the release (pinned in constraints.txt)."""
    out = {"python": ".".join(platform.python_version_tuple()[:2])}
    for name in TOOLS:
        if name == NAME:
            # The toolkit's version is the data package's, read from datapackage.json: an
            # editable install's metadata would still say the version it was installed at.
            out[name] = bundled_version()
            continue
        try:
            out[name] = dist_version(name)
        except PackageNotFoundError:  # pragma: no cover
            out[name] = "unknown"
    return out


def release_created(pkg: DataPackage) -> str:
    """RFC 3339 creation time: SOURCE_DATE_EPOCH if set, else the descriptor's ``created``."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            when = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
        except ValueError as exc:
            raise ReleaseError(f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix time.") from exc
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    created = str(pkg.descriptor.get("created", ""))
    if not created:
        raise ReleaseError("datapackage.json has no 'created': set it to the release date.")
    return created


def _write_json(data: Any, path: Path) -> None:
    path.write_bytes(json_bytes(data))


def _changelog_section(root: Path, version: str) -> str:
    path = root / "CHANGELOG.md"
    if not path.is_file():
        raise ReleaseError(f"{path}: missing. Add a CHANGELOG.md with a section '## [{version}]'.")
    text = path.read_text(encoding="utf-8")
    m = re.search(rf"^## \[{re.escape(version)}\].*?(?=^## \[|\Z)", text, re.M | re.S)
    if not m:
        raise ReleaseError(
            f"{path}: no section '## [{version}]'. Describe this version's changes there."
        )
    return m.group(0).rstrip() + "\n"


def build_release(
    root: Path | str,
    dist: Path | str,
    *,
    previous: Path | str | None = None,
    registry: Path | str | None = None,
    record: bool = True,
    exports: bool = True,
    fetch_previous: bool = False,
) -> BuildResult:
    """Validate the package at ``root`` and build its release into ``dist``.

    ``registry`` (default ``root/releases``) holds the recorded manifests of published versions
    and their kept tables; ``previous`` is the previous release's folder (default: found in
    ``dist``, else the data of that version kept in ``registry/<version>/``, so a fresh clone
    builds offline; with ``fetch_previous``, every older recorded version missing from ``dist``
    is downloaded there first, verified, with its zip). With ``record``, a version built for the
    first time gets its manifest and its tables recorded in the registry. Without ``exports`` the
    release holds the tables only (CSV, Parquet, metadata): for corpora so large that the
    per-event exports, chart and page are not wanted (see benchmarks/RESULTS.md). Everything is
    compared with what was recorded before anything is moved into ``dist``: a refused build
    leaves ``dist`` as it was.
    """
    root, dist = Path(root).resolve(), Path(dist).resolve()
    pkg = DataPackage(root)
    version = pkg.version
    try:
        parse(version)
    except ValueError as exc:
        raise VersionError(f"datapackage.json: version {version!r}: {exc}.") from exc
    # The tables the validator read and typed are the ones written: each file is read once
    # (up to the size the validator reads whole). Above it, the validator keeps only the
    # columns its checks across tables need and each table is read again as it is written:
    # one more read, but memory holds a table or two, not the whole package.
    kept: dict[str, Table] = {}
    keep = csv_bytes(pkg) <= runner.WHOLE_MAX_BYTES
    with bar("validate", 1) as b:
        report = validate_package(root, tables_out=kept if keep else None)
        b.update()
    if not report.valid:
        raise ValidationFailed(report, "the data is invalid; no release was built.")
    registry = Path(registry) if registry else root / "releases"
    _refuse_going_back(version, registry)
    created = release_created(pkg)
    if fetch_previous and previous is None:
        fetch_releases(
            [v for v in registered_versions(registry) if parse(v) < parse(version)], dist
        )
    prev_pkg = _previous_package(version, registry, dist, previous)
    # The new tables are the validator's, not read again.
    diff = diff_packages(prev_pkg, pkg, report.rows, lambda res: typed(pkg, res, kept, pop=False))
    if prev_pkg is not None:
        _check_bump(prev_pkg.version, version, diff)
    changelog = _changelog_section(root, version)
    final = dist / release_dir_name(version)
    zip_path = dist / f"{final.name}.zip"
    recorded = registry / f"{version}.json"
    _check_targets(dist, final, zip_path)
    rows, manifest, status = _build_into(
        pkg, (dist, final, zip_path), recorded, (created, diff, changelog), exports, kept
    )
    if record and not recorded.is_file():
        recorded.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(recorded, manifest.to_bytes())
    if record:
        # The tables of the version, kept beside its manifest: the next version builds offline.
        write_snapshot(final, snapshot_dir(registry, version))
    return BuildResult(final, version, status, zip_path, rows, len(manifest.files) + 2, diff)


def _build_into(
    pkg: DataPackage,
    targets: tuple[Path, Path, Path],
    recorded: Path,
    what: tuple[str, PackageDiff, str],
    exports: bool,
    kept: dict[str, Table],
) -> tuple[dict[str, int], Manifest, str]:
    """Write the release into a temporary folder in ``dist``, compare it with the recorded
    manifest, move it into place and zip it (unless it was there already, with its zip);
    (rows, manifest, built | unchanged)."""
    dist, final, zip_path = targets
    created, diff, changelog = what
    made_dist = not dist.exists()
    try:
        dist.mkdir(parents=True, exist_ok=True)
        clean_build_leftovers(dist)
        # One temporary folder holds the release being written and the zip's deflate streams
        # made meanwhile: a killed build leaves one leftover, which the next build removes.
        work = Path(tempfile.mkdtemp(prefix=build_tmp_prefix(final.name), dir=dist))
        try:
            tmp, streams = work / "release", work / "deflate"
            tmp.mkdir(mode=0o755)
            tmp.chmod(0o755)  # a release is for everyone to read, whatever the umask
            streams.mkdir()
            # Streams are made for the zip unless the release and its zip are there already
            # (a rebuild that is then only compared).
            deflate = (
                None if final.exists() and zip_path.is_file() else Deflate(streams, ZIP_LEVEL, {})
            )
            rows = _write_release(
                pkg, tmp, created, diff, changelog, exports=exports, kept=kept, deflate=deflate
            )
            manifest = parse_manifest((tmp / MANIFEST).read_bytes(), str(final / MANIFEST))
            # Everything is compared before anything is moved into place: a refused build
            # leaves dist/ as it was.
            _compare_recorded(recorded, manifest)
            status = _place(tmp, final)
            if status == "built" or not zip_path.is_file():
                with bar("zip", 1) as b:
                    write_zip(final, zip_path, created, deflate.made if deflate else None)
                    b.update()
        finally:
            if work.exists():
                shutil.rmtree(work)
    except BaseException:
        if made_dist and dist.is_dir() and not any(dist.iterdir()):
            dist.rmdir()
        raise
    return rows, manifest, status


def fetch_releases(versions: list[str], dist: Path | str) -> list[Path]:
    """Download published ``versions`` into ``dist`` as release folders with their zips (the
    layout a build leaves), each verified against its trusted manifest; those already there
    are kept. The zip is rebuilt from the verified folder: zips are reproducible, so it is the
    published one byte for byte."""
    dist = Path(dist)
    out = []
    for v in versions:
        folder = dist / release_dir_name(v)
        download(v, dest=folder)  # no connection when the folder is complete and verifies
        target = dist / f"{folder.name}.zip"
        if not target.is_file():
            write_zip(folder, target, read_manifest(folder).created or "")
        out.append(folder)
    return out


def _check_bump(old: str, new: str, diff: PackageDiff) -> None:
    """The version must rise at least as much as the changes since ``old`` require."""
    actual = bump_between(old, new)
    if bump_rank(actual) < bump_rank(diff.required_bump):
        needs = [c for c in diff.changes if bump_rank(c.bump) > bump_rank(actual)]
        detail = "; ".join(
            f"{c.table}: {c.kind} ({c.detail}) needs {c.bump.upper()}" for c in needs
        )
        raise ReleaseError(
            f"version {new} is a {actual.upper()} bump from {old}, but the changes require "
            f"{diff.required_bump.upper()}: {detail}. Raise the version in datapackage.json."
        )


def _refuse_going_back(version: str, registry: Path) -> None:
    """A version not yet recorded must be above every recorded one: versions only go up."""
    recorded = registered_versions(registry) if registry.is_dir() else []
    if recorded and version not in recorded and parse(recorded[-1]) > parse(version):
        raise ReleaseError(
            f"version {version} is lower than {recorded[-1]}, already recorded in {registry}: "
            f"versions only go up. Set a version above {recorded[-1]} in datapackage.json."
        )


def _check_targets(dist: Path, final: Path, zip_path: Path) -> None:
    """Refuse, before writing anything, targets that are not what a build writes."""
    if dist.exists() and not dist.is_dir():
        raise ReleaseError(f"{dist} is a file, not a folder: build into a folder.")
    if final.exists() and not final.is_dir():
        raise ReleaseError(f"{final} is a file, not a release folder: move it away.")
    if zip_path.exists() and not zip_path.is_file():
        raise ReleaseError(f"{zip_path} is a folder, not the release's zip: move it away.")


def _previous_package(
    version: str, registry: Path, dist: Path, previous: Path | str | None
) -> DataPackage | None:
    if previous is not None:
        prev = DataPackage(previous)
        if parse(prev.version) >= parse(version):
            raise ReleaseError(f"--previous is version {prev.version}, not older than {version}.")
        return prev
    older = [v for v in registered_versions(registry) if parse(v) < parse(version)]
    if not older:
        return None
    last = older[-1]
    folder = dist / release_dir_name(last)
    if (folder / "datapackage.json").is_file():
        return DataPackage(folder)
    kept = read_snapshot(registry, last)
    if kept is None:
        raise ReleaseError(
            f"the previous release {last} (recorded in {registry / (last + '.json')}) is neither "
            f"in {dist} nor kept in {snapshot_dir(registry, last)}: restore that folder from "
            f"version control, fetch the release with `belarus-timeline download {last} --to "
            f"{folder}`, or pass --previous PATH, so the diff and version bump can be checked."
        )
    return kept


def _write_release(
    pkg: DataPackage,
    out: Path,
    created: str,
    diff: PackageDiff,
    changelog: str,
    *,
    exports: bool,
    kept: dict[str, Table],
    deflate: Deflate | None = None,
) -> dict[str, int]:
    """Write every file of the release into ``out``; returns the rows per table. With
    ``deflate``, the CSV files' deflate streams for the zip are made too."""
    for sub in ("data", "parquet", "schema"):
        (out / sub).mkdir()
    known: dict[str, str] = {}  # sha256 of the tables' files, taken as they are written
    with bar("tables", len(table_names(pkg))) as b:
        done = write_tables(pkg, out, kept, PARQUET_OPTIONS, known, deflate, b.update)
    tables = {
        t.name: TableEntry(
            rows=t.rows,
            primary_key=list(pkg.schema(t.resource).primary_key),
            content_sha256=t.content_sha256,
        )
        for t in done
    }
    resources = [_csv_resource(pkg.resource(t.resource), t.name, out, known) for t in done]
    resources += [_parquet_resource(pkg.resource(t.resource), t.name, out, known) for t in done]
    descriptor = {k: v for k, v in pkg.descriptor.items() if k != "resources"}
    descriptor["created"] = created
    descriptor["resources"] = resources
    _write_json(descriptor, out / "datapackage.json")
    (out / "diff.json").write_text(diff.to_json(), encoding="utf-8")
    (out / "CHANGELOG.md").write_text(
        changelog + "\n### Data changes (generated)\n\n```\n" + diff.summary() + "\n```\n",
        encoding="utf-8",
    )
    _copy_licenses(pkg.root, out)
    (out / "dataset.jsonld").write_bytes(dataset_bytes(DataPackage(out)))
    if exports:
        with bar("exports", 1) as b:
            _write_exports(pkg, out, known, deflate)
            b.update()
    _write_manifest(pkg, out, created, diff, tables, known)
    return {name: t.rows for name, t in tables.items()}


def _copy_licenses(root: Path, out: Path) -> None:
    for name in LICENSE_FILES:
        src = root / name
        if not src.is_file():
            raise ReleaseError(
                f"{src}: missing. Every release carries the licence files {LICENSE_FILES}; "
                "copy them from the repository."
            )
        shutil.copyfile(src, out / name)


def _common(res: Resource, name: str) -> dict[str, Any]:
    return {
        "type": "table",
        "description": res.descriptor.get("description", ""),
        "schema": f"schema/{name}.json",
    }


def _sha256(out: Path, path: str, known: dict[str, str]) -> str:
    """sha256 of ``out/path``, read at most once per build (tables: as they were written)."""
    if path not in known:
        known[path] = sha256_file(out / path)
    return known[path]


def _csv_resource(res: Resource, name: str, out: Path, known: dict[str, str]) -> dict[str, Any]:
    path = out / "data" / f"{name}.csv"
    return {
        "name": name,
        "path": f"data/{name}.csv",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": path.stat().st_size,
        "hash": f"sha256:{_sha256(out, f'data/{name}.csv', known)}",
        "dialect": CSV_DIALECT,
        **_common(res, name),
    }


def _parquet_resource(res: Resource, name: str, out: Path, known: dict[str, str]) -> dict[str, Any]:
    return {
        "name": f"{name}-parquet",
        "x-table": name,
        "path": f"parquet/{name}.parquet",
        "format": "parquet",
        "mediatype": PARQUET_MEDIATYPE,
        # No "bytes": frictionless 5.21 cannot count a Parquet file's bytes and would
        # report a byte-count error; the size is in manifest.json.
        "hash": f"sha256:{_sha256(out, f'parquet/{name}.parquet', known)}",
        **_common(res, name),
    }


def _write_manifest(
    pkg: DataPackage,
    out: Path,
    created: str,
    diff: PackageDiff,
    tables: dict[str, TableEntry],
    known: dict[str, str],
) -> None:
    """``manifest.json`` over every file written so far, then ``SHA256SUMS`` over all of them."""
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    manifest = Manifest(
        name=NAME,
        version=pkg.version,
        created=created,
        previous_version=diff.old_version,
        tools=tool_versions(),
        tables=tables,
        files=[
            ManifestFile(path=f, bytes=(out / f).stat().st_size, sha256=_sha256(out, f, known))
            for f in files
        ],
    )
    (out / MANIFEST).write_bytes(manifest.to_bytes())
    sums = [f"{_sha256(out, f, known)}  {f}\n" for f in files]
    sums.append(f"{sha256_file(out / MANIFEST)}  {MANIFEST}\n")
    (out / SUMS).write_text("".join(sums), encoding="utf-8")


def _write_exports(
    pkg: DataPackage, out: Path, known: dict[str, str], deflate: Deflate | None
) -> None:
    """Exports, chart and page, built from the release's own tables; their sha256 (to
    ``known``) and, with ``deflate``, their deflate streams for the zip are made meanwhile, on
    the side (a gigabyte of exports deflates in some ten seconds of a core)."""
    streams = None if deflate is None else (deflate.folder, deflate.level, deflate.made)
    side = Sidecar(out, known, streams, ZIP_STORED_SUFFIXES)
    try:
        write_all(out, out, sources_root=pkg.root, write=side.write)
    finally:
        side.join()


def _place(tmp: Path, final: Path) -> str:
    """Rename the finished build into place, or compare it with the release already there."""
    if final.exists():
        changed = differing(tree_sha256(final), tree_sha256(tmp))
        if changed:
            raise ReleaseError(
                f"{final} already exists with different content in: {', '.join(changed)}. "
                "A released version is immutable: raise the version in datapackage.json (and "
                "CHANGELOG.md), or delete the local folder if it was never published."
            )
        return "unchanged"
    os.rename(tmp, final)
    return "built"


def _compare_recorded(recorded: Path, manifest: Manifest) -> None:
    """Compare with the manifest recorded when the version was first built."""
    if recorded.is_file():
        old = parse_manifest(recorded.read_bytes(), str(recorded))
        changed = differing(
            {f.path: f.sha256 for f in old.files}, {f.path: f.sha256 for f in manifest.files}
        )
        if changed:
            why = (
                "The table contents are identical, so the toolchain differs "
                f"(recorded {old.tools}, now {manifest.tools}): build with the pinned "
                "constraints (`make release`)."
                if old.tables == manifest.tables
                else "The data differs from the recorded release: raise the version."
            )
            raise ReleaseError(
                f"version {manifest.version} was recorded in {recorded} with other content in: "
                f"{', '.join(changed)}. {why} Nothing was written to dist/."
            )


def write_zip(
    folder: Path, target: Path, created: str, ready: dict[str, Path] | None = None
) -> None:
    """Zip the files of ``folder`` with fixed timestamps, order and permissions. Its
    ``datapackage.json`` is at the zip's root, so that tools that open a data package from a
    zip (``frictionless validate release.zip``) find it and every resource. ``ready``: deflate
    streams of members made beforehand (see :func:`belarus_timeline.files.zip_tree`)."""
    when = dt.datetime.strptime(created[:19], "%Y-%m-%dT%H:%M:%S")
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    prefix = build_tmp_prefix(target.name)
    zip_tree(folder, target, stamp, ZIP_LEVEL, ZIP_STORED_SUFFIXES, prefix, ready)
