"""Releases: deterministic, validated, immutable, atomic, recorded, and readable elsewhere."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import belarus_timeline as bt
from belarus_timeline import release as rel
from belarus_timeline.canonical import content_hash
from belarus_timeline.cli import main
from belarus_timeline.manifest import registered_versions, verify_folder
from belarus_timeline.package import DataPackage
from belarus_timeline.semver import Version
from belarus_timeline.snapshot import read_snapshot
from belarus_timeline.tables import read_arrow
from belarus_timeline.validate import runner
from helpers import (
    PACKAGE_PARTS,
    ROOT,
    copy_package,
    frictionless_validate,
    redeclare_hash,
    tree_digest,
)

VERSION = DataPackage(ROOT).version
# The next versions, whatever the current one is.
PATCH, MINOR, MAJOR = (
    str(getattr(Version.parse(VERSION), f"bump_{k}")()) for k in ("patch", "minor", "major")
)


def build(pkg: Path, dist: Path, **kw: object) -> rel.BuildResult:
    return rel.build_release(pkg, dist, registry=pkg / "releases", **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One release of the repository's package, built once for the read-only tests, against
    the repository's earlier versions (kept under releases/) as a fresh clone builds it."""
    base = tmp_path_factory.mktemp("rel")
    pkg = copy_package(base / "pkg")
    older = shutil.ignore_patterns(VERSION, f"{VERSION}.json")  # this version is built afresh
    shutil.copytree(ROOT / "releases", pkg / "releases", ignore=older)
    return build(pkg, base / "dist").path


def set_version(pkg: Path, version: str) -> None:
    p = pkg / "datapackage.json"
    d = json.loads(p.read_text(encoding="utf-8"))
    d["version"] = version
    p.write_text(json.dumps(d, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    log = pkg / "CHANGELOG.md"
    log.write_text(log.read_text(encoding="utf-8") + f"\n## [{version}] - 2026-12-01\n\nTest.\n")


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    pkg = copy_package(tmp_path / "pkg")
    a = build(pkg, tmp_path / "a")
    b = rel.build_release(pkg, tmp_path / "b", registry=tmp_path / "other-registry")
    assert tree_digest(a.path) == tree_digest(b.path)
    assert a.zip_path.read_bytes() == b.zip_path.read_bytes()


def test_a_package_too_large_to_keep_builds_the_same_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above runner.WHOLE_MAX_BYTES of CSV the validator slims its tables and each table is
    read again to be written (bounded memory): the release is the same, byte for byte."""
    pkg = copy_package(tmp_path / "pkg")
    kept = build(pkg, tmp_path / "kept", record=False)
    asked: list[object] = []
    validate = rel.validate_package

    def spy(*args: object, **kw: object) -> object:
        asked.append(kw.get("tables_out"))
        return validate(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(rel, "validate_package", spy)
    monkeypatch.setattr(runner, "WHOLE_MAX_BYTES", 0)
    slim = build(pkg, tmp_path / "slim", record=False)
    assert asked == [None]  # the validator kept nothing for the build
    assert tree_digest(kept.path) == tree_digest(slim.path)
    assert kept.zip_path.read_bytes() == slim.zip_path.read_bytes()


def test_release_layout_and_checksums(released: Path) -> None:
    names = {p.relative_to(released).as_posix() for p in released.rglob("*") if p.is_file()}
    tables = DataPackage(ROOT).table_names
    for t in tables:
        assert f"data/{t}.csv" in names and f"parquet/{t}.parquet" in names
    assert {"datapackage.json", "manifest.json", "SHA256SUMS", "CHANGELOG.md", "diff.json"} <= names
    assert not any(n.startswith("sources/") for n in names), "archived texts are never released"
    if shutil.which("sha256sum"):
        done = subprocess.run(
            ["sha256sum", "-c", "--strict", "SHA256SUMS"],
            cwd=released,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    # Every file is checked, the manifest and SHA256SUMS included, and nothing else is there.
    assert [c.status for c in verify_folder(released)] == ["ok"] * len(names)
    zipped = zipfile.ZipFile(released.parent / f"{released.name}.zip").namelist()
    assert sorted(zipped) == sorted(names)  # datapackage.json at the zip's root


def test_frictionless_validates_the_release(released: Path) -> None:
    done = frictionless_validate(released)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["valid"] and len(report["tasks"]) == 2 * len(DataPackage(ROOT).table_names)


def test_release_descriptor_lists_csv_and_parquet_with_hashes(released: Path) -> None:
    d = json.loads((released / "datapackage.json").read_text(encoding="utf-8"))
    manifest = json.loads((released / "manifest.json").read_text(encoding="utf-8"))
    sizes = {f["path"]: (f["bytes"], f["sha256"]) for f in manifest["files"]}
    assert d["created"] == DataPackage(ROOT).descriptor["created"]
    formats = sorted({r["format"] for r in d["resources"]})
    assert formats == ["csv", "parquet"]
    for r in d["resources"]:
        assert r["hash"] == "sha256:" + sizes[r["path"]][1]
        if r["format"] == "csv":
            assert r["bytes"] == sizes[r["path"]][0]
            assert r["dialect"]["lineTerminator"] == "\n"
        assert not Path(r["schema"]).is_absolute() and (released / r["schema"]).is_file()


def test_csv_is_sorted_unix_and_integers_stay_integers(released: Path) -> None:
    raw = (released / "data" / "places.csv").read_bytes()
    assert b"\r\n" not in raw
    text = raw.decode("utf-8")
    assert ",625144," in text and "625144.0" not in text
    ids = [line.split(",")[0] for line in text.splitlines()[1:]]
    assert ids == sorted(ids)


def test_parquet_has_no_pandas_metadata_and_loads_like_the_bundled_data(released: Path) -> None:
    meta = pq.read_schema(released / "parquet" / "events.parquet").metadata or {}
    assert b"pandas" not in meta
    fresh, bundled = bt.load(root=released), bt.load()
    assert list(fresh) == list(bundled)
    for name in bundled:
        # One row order (primary key) whatever the order of the rows in the files.
        pd.testing.assert_frame_equal(fresh[name], bundled[name], check_exact=True)


def test_content_hash_does_not_depend_on_the_file_format(released: Path) -> None:
    manifest = json.loads((released / "manifest.json").read_text(encoding="utf-8"))
    pkg = DataPackage(released)
    for name, info in manifest["tables"].items():
        from_csv = content_hash(read_arrow(pkg, name))
        from_parquet = content_hash(read_arrow(pkg, f"{name}-parquet"))
        assert from_csv == from_parquet == info["content_sha256"], name
        assert info["rows"] == len(read_arrow(pkg, name))


def test_duckdb_and_polars_read_the_same_values(released: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    pl = pytest.importorskip("polars")
    for name in ("events", "claims", "places", "quotes"):
        path = released / "parquet" / f"{name}.parquet"
        via_arrow = pq.read_table(path).to_pylist()
        via_duckdb = duckdb.connect().sql(f"SELECT * FROM read_parquet('{path}')").to_arrow_table()
        via_polars = pl.read_parquet(path).to_arrow()
        assert via_duckdb.to_pylist() == via_arrow, name
        assert via_polars.to_pylist() == via_arrow, name
        assert len(via_arrow) == len(bt.load_table(name))


def test_recorded_manifest_matches_a_fresh_build(released: Path) -> None:
    """releases/<version>.json in the repository is what building this commit gives."""
    path = ROOT / "releases" / f"{VERSION}.json"
    if not path.is_file():
        pytest.skip(f"version {VERSION} is not recorded yet: `make release` records it")
    recorded = json.loads(path.read_text(encoding="utf-8"))
    fresh = json.loads((released / "manifest.json").read_text(encoding="utf-8"))
    assert recorded["tables"] == fresh["tables"], "the data differs from the recorded release"
    if recorded["tools"] != fresh["tools"]:
        pytest.skip(f"toolchain differs from the pinned one: {fresh['tools']}")
    assert recorded == fresh


def test_invalid_data_builds_nothing(
    pkg: Path, edit_csv: Callable, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def bad(rows: list[list[str]]) -> None:
        rows[1][rows[0].index("end_date")] = "2000-01-01"

    edit_csv(pkg, "events", bad)
    dist = tmp_path / "dist"
    assert main(["build", "--root", str(pkg), "--dist", str(dist)]) == 1
    err = capsys.readouterr().err
    assert "data/events.csv:2" in err and "end_date" in err
    assert not dist.exists() or not any(dist.iterdir())
    assert not (pkg / "releases").exists()


def test_not_semver_is_a_usage_error(pkg: Path, tmp_path: Path) -> None:
    p = pkg / "datapackage.json"
    p.write_text(
        p.read_text(encoding="utf-8").replace(f'"version": "{VERSION}"', '"version": "v1"')
    )
    assert main(["build", "--root", str(pkg), "--dist", str(tmp_path / "d")]) == 2


def test_existing_release_with_other_content_is_refused(
    pkg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dist = tmp_path / "dist"
    first = build(pkg, dist)
    assert build(pkg, dist).status == "unchanged"  # same content: a no-op
    (first.path / "data" / "actors.csv").write_text("tampered\n")
    assert main(["build", "--root", str(pkg), "--dist", str(dist)]) == 1
    assert "data/actors.csv" in capsys.readouterr().err


def test_recorded_manifest_with_other_content_is_refused(pkg: Path, tmp_path: Path) -> None:
    first = build(pkg, tmp_path / "a")
    recorded = pkg / "releases" / f"{VERSION}.json"
    m = json.loads(recorded.read_text(encoding="utf-8"))
    m["files"][0]["sha256"] = "0" * 64
    recorded.write_text(json.dumps(m))
    with pytest.raises(bt.ReleaseError, match=m["files"][0]["path"]):
        build(pkg, tmp_path / "b")
    assert first.path.is_dir()


def test_a_failed_build_leaves_no_partial_release(
    pkg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def explode(*args: object, **kw: object) -> None:
        calls.append(args)
        if len(calls) == 3:
            raise OSError("disk full")
        return real(*args, **kw)

    real = pq.ParquetWriter.write_table  # (every Parquet file is written a row group at a time)
    monkeypatch.setattr(pq.ParquetWriter, "write_table", explode)
    dist = tmp_path / "dist"
    with pytest.raises(OSError, match="disk full"):
        build(pkg, dist)
    assert not dist.exists()  # as it was: a refused build leaves nothing behind
    assert not (pkg / "releases").exists()


# --- diffs and version bumps, from before/after fixtures --------------------------------------


def _release_v1(pkg: Path, dist: Path) -> Path:
    return build(pkg, dist).path


def test_row_added_is_minor(pkg: Path, tmp_path: Path, edit_csv: Callable) -> None:
    dist = tmp_path / "dist"
    _release_v1(pkg, dist)
    edit_csv(
        pkg,
        "actor_aliases",
        lambda rows: rows.append(
            ["vladimir-putin", "Uladzimir Pucin", "be", "Latn", "romanization"]
        ),
    )
    set_version(pkg, PATCH)
    with pytest.raises(bt.ReleaseError, match=r"actor_aliases: rows-added .* needs MINOR"):
        build(pkg, dist)
    set_version(pkg, MINOR)
    result = build(pkg, dist)
    diff = json.loads((result.path / "diff.json").read_text(encoding="utf-8"))
    assert diff["from"] == VERSION and diff["required_bump"] == "minor"
    (added,) = diff["tables"]["actor_aliases"]["rows_added"]
    assert added["key"] == {"actor_id": "vladimir-putin", "alias": "Uladzimir Pucin"}
    assert "rows-added" in (result.path / "CHANGELOG.md").read_text(encoding="utf-8")


def test_value_corrected_is_patch(
    pkg: Path, tmp_path: Path, edit_csv: Callable, capsys: pytest.CaptureFixture[str]
) -> None:
    dist = tmp_path / "dist"
    old = _release_v1(pkg, dist)

    def correct(rows: list[list[str]]) -> None:
        rows[1][rows[0].index("role")] = "President of Russia"

    edit_csv(pkg, "actors", correct)
    set_version(pkg, PATCH)
    new = build(pkg, dist).path
    assert main(["diff", str(old), str(new), "--json"]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert diff["required_bump"] == "patch"
    (change,) = diff["tables"]["actors"]["rows_changed"]
    assert change["key"] == {"actor_id": "vladimir-putin"}
    assert change["changes"] == {"role": {"old": "leader of Russia", "new": "President of Russia"}}
    assert main(["diff", str(old), str(new)]) == 0
    assert "requires at least a PATCH bump" in capsys.readouterr().out


def test_field_renamed_is_major(pkg: Path, tmp_path: Path, edit_csv: Callable) -> None:
    dist = tmp_path / "dist"
    _release_v1(pkg, dist)

    def rename_header(rows: list[list[str]]) -> None:
        rows[0][rows[0].index("role")] = "title"

    edit_csv(pkg, "actors", rename_header)
    schema = pkg / "schema" / "actors.json"
    schema.write_text(
        schema.read_text(encoding="utf-8").replace('"name": "role"', '"name": "title"')
    )
    set_version(pkg, MINOR)
    with pytest.raises(
        bt.ReleaseError, match=r"actors: field-renamed \(role -> title\) needs MAJOR"
    ):
        build(pkg, dist)
    set_version(pkg, MAJOR)
    diff = json.loads((build(pkg, dist).path / "diff.json").read_text(encoding="utf-8"))
    assert diff["required_bump"] == "major"
    assert {
        "table": "actors",
        "kind": "field-renamed",
        "detail": "role -> title",
        "bump": "major",
    } in diff["schema_changes"]


def test_missing_previous_release_is_explained(pkg: Path, tmp_path: Path) -> None:
    build(pkg, tmp_path / "a")
    shutil.rmtree(pkg / "releases" / VERSION)  # the kept data of the previous version
    set_version(pkg, PATCH)
    with pytest.raises(bt.ReleaseError, match=rf"previous release {re.escape(VERSION)}"):
        build(pkg, tmp_path / "elsewhere")


def test_the_next_version_builds_offline_from_the_kept_data(
    pkg: Path, tmp_path: Path, edit_csv: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh clone has releases/<version>.json and releases/<version>/ but no dist/: the
    next version's diff and bump are checked against the kept data, with no network."""
    first = build(pkg, tmp_path / "a")
    kept = pkg / "releases" / VERSION
    assert (kept / "datapackage.json").is_file() and not (kept / "parquet").exists()
    for name, info in json.loads((first.path / "manifest.json").read_bytes())["tables"].items():
        table = read_arrow(DataPackage(kept), name)
        assert content_hash(table) == info["content_sha256"], name

    def no_network(*args: object, **kw: object) -> None:
        raise AssertionError("the build tried to download")

    monkeypatch.setattr(bt.downloader, "download", no_network)
    edit_csv(
        pkg,
        "actor_aliases",
        lambda rows: rows.append(
            ["vladimir-putin", "Uladzimir Pucin", "be", "Latn", "romanization"]
        ),
    )
    set_version(pkg, PATCH)
    with pytest.raises(bt.ReleaseError, match=r"needs MINOR"):
        build(pkg, tmp_path / "fresh")
    set_version(pkg, MINOR)
    result = build(pkg, tmp_path / "fresh")
    diff = json.loads((result.path / "diff.json").read_text(encoding="utf-8"))
    assert diff["from"] == VERSION and diff["required_bump"] == "minor"
    assert (pkg / "releases" / MINOR / "datapackage.json").is_file()


def test_kept_data_that_does_not_match_its_manifest_is_refused(
    pkg: Path, tmp_path: Path, edit_csv: Callable
) -> None:
    build(pkg, tmp_path / "a")
    kept = pkg / "releases" / VERSION
    edit_csv(kept, "actors", lambda rows: rows[1].__setitem__(1, "Someone Else"))
    set_version(pkg, PATCH)
    with pytest.raises(bt.ReleaseError, match=r"does not match its recorded manifest.*actors"):
        build(pkg, tmp_path / "fresh")


def test_a_release_holds_the_exports_and_can_leave_them_out(
    released: Path, pkg: Path, tmp_path: Path
) -> None:
    manifest = json.loads((released / "manifest.json").read_text(encoding="utf-8"))
    listed = {f["path"] for f in manifest["files"]}
    exports = {
        "exports/timeline.json",
        "exports/events.geojson",
        "exports/events.ics",
        "exports/events.jsonl",
        "chart.png",
        "chart.svg",
        "timeline.html",
    }
    assert exports <= listed
    lean = rel.build_release(pkg, tmp_path / "lean", registry=tmp_path / "reg", exports=False)
    lean_files = {p.relative_to(lean.path).as_posix() for p in lean.path.rglob("*") if p.is_file()}
    assert not exports & lean_files and "parquet/events.parquet" in lean_files


def test_our_validator_accepts_a_release_and_checks_its_parquet(
    released: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(released)]) == 0
    assert "provenance checks skipped" in capsys.readouterr().out
    assert main(["validate", str(released), "--sources", str(ROOT)]) == 0
    assert "structural, semantic and provenance checks passed" in capsys.readouterr().out
    copy = tmp_path / "copy"
    shutil.copytree(released, copy)
    events = copy / "parquet" / "events.parquet"
    table = pq.read_table(events)
    pq.write_table(table.slice(1), events)  # one row fewer than the CSV
    report = bt.validate_package(copy)
    assert [(f.code, f.file) for f in report.findings] == [("hash-count", "parquet/events.parquet")]
    redeclare_hash(copy, "parquet/events.parquet")  # the descriptor edited to match
    report = bt.validate_package(copy)
    assert [(f.code, f.file) for f in report.findings] == [
        ("parquet-mismatch", "parquet/events.parquet")
    ]


def test_the_repository_keeps_the_data_of_every_recorded_version() -> None:
    """So that a fresh clone builds the next version offline (each checked against its
    recorded manifest's content hashes)."""
    registry = ROOT / "releases"
    recorded = registered_versions(registry)
    assert recorded
    for version in recorded:
        assert read_snapshot(registry, version) is not None, version


def test_a_version_bump_is_seen_at_once_without_reinstalling(tmp_path: Path) -> None:
    """`--version`, `bt.__version__` and the manifest's tool version come from datapackage.json
    at run time: a checkout whose version was just raised says the new one, though the
    installed package's metadata still has the old."""
    repo = tmp_path / "repo"
    for part in ("src", "pyproject.toml", "releases", *PACKAGE_PARTS):
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, repo / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, repo / part)
    bumped = "99.0.0"
    set_version(repo, bumped)
    code = (
        "import sys, belarus_timeline as bt\n"
        "from belarus_timeline import cli, release\n"
        "print(bt.__file__)\n"
        "print(bt.__version__)\n"
        "r = release.build_release(sys.argv[1], sys.argv[2], exports=False)\n"
        "print(release.parse_manifest((r.path / 'manifest.json').read_bytes(), 'm')"
        ".tools['belarus-timeline'])\n"
        "cli.main(['--version'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(repo), str(tmp_path / "dist")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(repo / "src")},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    where, version, in_manifest, says = done.stdout.splitlines()
    assert Path(where).is_relative_to(repo)  # the copy, not the installed package
    assert (version, in_manifest, says) == (bumped, bumped, f"belarus-timeline {bumped}")


def test_a_zip_leaves_hidden_entries_out(released: Path, tmp_path: Path) -> None:
    """A downloader's lock (``.locks/`` inside a fetched release folder) is no part of the
    release: the zip rebuilt from that folder is the published zip, byte for byte."""
    folder = tmp_path / released.name
    shutil.copytree(released, folder)
    (folder / ".locks").mkdir()
    (folder / ".locks" / "x.lock").write_bytes(b"")
    created = json.loads((released / "manifest.json").read_text(encoding="utf-8"))["created"]
    rel.write_zip(folder, tmp_path / "with-lock.zip", created)
    rel.write_zip(released, tmp_path / "clean.zip", created)
    assert (tmp_path / "with-lock.zip").read_bytes() == (tmp_path / "clean.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "with-lock.zip") as zf:
        assert not any(n.startswith(".") or "/." in n for n in zf.namelist())


def test_some_columns_read_as_the_whole_table_selected(released: Path) -> None:
    # The catalogue reads only the columns it uses; from Parquet and from CSV they are the
    # whole table's columns, in the order asked for.
    for root in (released, ROOT):
        pkg = DataPackage(root)
        for name in ("events", "events-parquet"):
            if name in pkg.table_names:
                cols = ["end_date", "place_id", "start_date"]
                whole = read_arrow(pkg, name).select(cols)
                assert read_arrow(pkg, name, columns=cols).equals(whole), (root, name)
