"""Loading what users have: a release zip that frictionless validates whole, release folders
and zips verified before they are read, a verified cache used with no URL and no connection,
partial downloads, ``latest``, and the one row order."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import belarus_timeline as bt
from belarus_timeline import downloader as dl
from belarus_timeline.release import build_release
from helpers import copy_with_history

VERSION = bt.__version__
# A port nothing listens on: any attempt to connect fails at once.
NOWHERE = "http://127.0.0.1:9"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release of the repository's package (recorded version: verified by the registry)."""
    base = tmp_path_factory.mktemp("dist")
    return build_release(copy_with_history(base / "pkg"), base / "dist", record=False).path


@pytest.fixture
def zipped(built: Path) -> Path:
    return built.parent / f"{built.name}.zip"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (dl.ENV_OFFLINE, dl.ENV_TIMEOUT):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(dl.ENV_BASE_URL, NOWHERE)
    monkeypatch.setenv(dl.ENV_CACHE, str(tmp_path / "cache"))
    monkeypatch.setenv(dl.ENV_CONFIG, str(tmp_path / "config.toml"))
    monkeypatch.setattr(dl, "BACKOFF_S", 0.0)


def assert_same(a: bt.Timeline, b: bt.Timeline) -> None:
    assert list(a) == list(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)


def frictionless_zip(path: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("frictionless")
    return subprocess.run(
        [str(exe), "validate", "--json", path.name],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_frictionless_validates_every_resource_of_the_zip(zipped: Path, built: Path) -> None:
    names = zipfile.ZipFile(zipped).namelist()
    assert "datapackage.json" in names and not any(n.startswith(built.name) for n in names)
    done = frictionless_zip(zipped)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = json.loads(done.stdout)
    resources = json.loads((built / "datapackage.json").read_text(encoding="utf-8"))["resources"]
    assert report["valid"]
    assert sorted(t["name"] for t in report["tasks"]) == sorted(r["name"] for r in resources)
    assert all(t["stats"]["rows"] > 0 for t in report["tasks"])


def _corrupt_cell(zipped: Path, out: Path, *, rehash: bool) -> None:
    """Copy the zip with one date cell of events.csv made invalid; with ``rehash``, the
    descriptor's hash of that file is updated too, so only the cell itself is wrong."""
    with zipfile.ZipFile(zipped) as src:
        files = {i.filename: src.read(i) for i in src.infolist()}
    lines = files["data/events.csv"].split(b"\n")
    (i,) = [
        n for n, line in enumerate(lines) if line.startswith(b"putin-lukashenko-moscow-meeting,")
    ]
    lines[i] = lines[i].replace(b",2023-02-17,2023-02-17,", b",2023-02-3X,2023-02-17,", 1)
    csv = files["data/events.csv"] = b"\n".join(lines)
    if rehash:
        d = json.loads(files["datapackage.json"])
        for r in d["resources"]:
            if r["path"] == "data/events.csv":
                r["hash"] = "sha256:" + hashlib.sha256(csv).hexdigest()
        files["datapackage.json"] = json.dumps(d).encode()
    with zipfile.ZipFile(out, "w") as dst:
        for name, data in files.items():
            dst.writestr(name, data)


@pytest.mark.parametrize("rehash", [False, True], ids=["cell", "cell-and-hash"])
def test_a_cell_corrupted_inside_the_zip_fails_frictionless(
    zipped: Path, tmp_path: Path, rehash: bool
) -> None:
    bad = tmp_path / zipped.name
    _corrupt_cell(zipped, bad, rehash=rehash)
    done = frictionless_zip(bad)
    assert done.returncode == 1 and done.stdout, done.stderr[-2000:]
    report = json.loads(done.stdout)
    (events,) = [t for t in report["tasks"] if t["name"] == "events"]
    types = {e["type"] for e in events["errors"]}
    assert not report["valid"]
    # The cell itself is found inside the zip, and the file's hash no longer matches unless
    # the descriptor was altered to match it.
    assert types == ({"type-error"} if rehash else {"type-error", "hash-count"}), types
    (err,) = [e for e in events["errors"] if e["type"] == "type-error"]
    assert err["fieldName"] == "start_date" and err["cell"] == "2023-02-3X"


@pytest.mark.parametrize("kind", ["folder", "zip"])
def test_load_a_release_folder_or_zip_equals_the_bundled_data(
    built: Path, zipped: Path, kind: str
) -> None:
    tl = bt.load(path=built if kind == "folder" else zipped)
    assert tl.version == VERSION and tl.missing == ()
    assert_same(tl, bt.load())


def test_bundled_data_equals_the_current_release_from_the_cache_with_no_network(
    built: Path, tmp_path: Path
) -> None:
    """``bt.load()`` equals ``bt.load(version=current)`` exactly, and a verified download loads
    with no URL configured that works (the base URL points at a closed port)."""
    shutil.copytree(built, tmp_path / "cache" / VERSION)
    assert_same(bt.load(version=VERSION), bt.load())
    events = bt.load_table("events", VERSION)
    pd.testing.assert_frame_equal(events, bt.load().events)
    assert list(events["event_id"]) == sorted(events["event_id"])  # primary-key order


def test_the_loader_sorts_whatever_the_file_order(pkg: Path, edit_csv: Callable) -> None:
    def reverse(rows: list[list[str]]) -> None:
        rows[1:] = rows[:0:-1]

    for table in ("participants", "quotes", "events"):
        edit_csv(pkg, table, reverse)
    assert_same(bt.load(root=pkg), bt.load())


def test_a_partial_download_loads_the_tables_it_has(built: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache" / VERSION
    shutil.copytree(built, folder)
    for p in ("data/quotes.csv", "parquet/quotes.parquet", "parquet/claims.parquet"):
        (folder / p).unlink()
    with pytest.warns(UserWarning, match=r"partial download: .*missing quotes\. Fetch"):
        tl = bt.load(version=VERSION)
    assert tl.missing == ("quotes",)
    pd.testing.assert_frame_equal(tl.claims, bt.load().claims)  # from its CSV twin
    with pytest.raises(bt.UnknownTableError, match=r"not in .*partial download.*--tables quotes"):
        _ = tl["quotes"]
    with pytest.raises(AttributeError, match="partial download"):
        _ = tl.quotes
    # Asking for the missing table by name tries to fetch it, and says where it tried.
    with pytest.raises(bt.DownloadError, match=NOWHERE):
        bt.load_table("quotes", VERSION)


def test_latest_offline_is_the_newest_version_in_the_cache(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(built, tmp_path / "cache" / VERSION)
    monkeypatch.setenv(dl.ENV_OFFLINE, "1")
    assert bt.load(version="latest").version == VERSION
    # Online but unreachable: the newest cached version, with a warning naming the URL.
    monkeypatch.delenv(dl.ENV_OFFLINE)
    with pytest.warns(UserWarning, match=rf"{NOWHERE}/index.json.*Using version {VERSION}"):
        assert bt.load(version="latest").version == VERSION


def test_an_unreachable_location_names_the_url_and_every_override(tmp_path: Path) -> None:
    with pytest.raises(bt.DownloadError) as err:
        bt.load(version=VERSION)
    message = str(err.value)
    for part in (f"{NOWHERE}/", "base_url=", "--base-url", dl.ENV_BASE_URL, "config.toml"):
        assert part in message, part


def test_the_default_location_is_the_projects_site(monkeypatch: pytest.MonkeyPatch) -> None:
    from belarus_timeline.project import DEFAULT_BASE_URL

    monkeypatch.delenv(dl.ENV_BASE_URL)
    assert dl.resolve_base_url() == DEFAULT_BASE_URL
    assert dl.resolve_base_url("http://example.invalid/x/") == "http://example.invalid/x"


def test_the_configuration_file_sets_location_and_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(dl.ENV_BASE_URL)
    monkeypatch.delenv(dl.ENV_CACHE)
    cfg = tmp_path / "config.toml"
    cfg.write_text('base_url = "http://127.0.0.1:1/site/"\ncache_dir = "/srv/cache"\n')
    assert dl.resolve_base_url() == "http://127.0.0.1:1/site"
    assert dl.cache_root() == Path("/srv/cache")
    monkeypatch.setenv(dl.ENV_BASE_URL, NOWHERE)  # the environment wins over the file
    assert dl.resolve_base_url() == NOWHERE
    monkeypatch.delenv(dl.ENV_BASE_URL)
    cfg.write_text("base_url = [1]\n")
    with pytest.raises(bt.DownloadError, match="must be strings"):
        dl.resolve_base_url()
    cfg.write_text("proxy = 'x'\n")
    with pytest.raises(bt.DownloadError, match=r"unknown setting\(s\) \['proxy'\]"):
        dl.resolve_base_url()
    cfg.write_text("base_url = \n")
    with pytest.raises(bt.DownloadError, match="cannot be read"):
        dl.resolve_base_url()


def test_an_unknown_table_of_a_cached_release_lists_the_tables(built: Path, tmp_path: Path) -> None:
    shutil.copytree(built, tmp_path / "cache" / VERSION)
    with pytest.raises(bt.UnknownTableError, match="No table named 'event'. The tables are"):
        bt.load_table("event", VERSION)


def test_one_of_version_path_root(built: Path) -> None:
    with pytest.raises(bt.BelarusTimelineError, match="not version and path"):
        bt.load(VERSION, path=built)


# --- release folders and zips that must be refused --------------------------------------------


def _rezip(src: Path, dst: Path, change: Callable[[str, bytes], list[tuple[str, bytes]]]) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            for name, data in change(info.filename, zin.read(info)):
                zout.writestr(name, data)


def _tamper(name: str, data: bytes) -> list[tuple[str, bytes]]:
    return [(name, data.replace(b"Moscow", b"Moskva") if name == "data/places.csv" else data)]


def _extra(name: str, data: bytes) -> list[tuple[str, bytes]]:
    out = [(name, data)]
    return [*out, ("../escape.txt", b"x")] if name == "datapackage.json" else out


def _twice(name: str, data: bytes) -> list[tuple[str, bytes]]:
    return [(name, data), (name, data)] if name == "LICENSE" else [(name, data)]


def _sums(name: str, data: bytes) -> list[tuple[str, bytes]]:
    return [
        (name, data.replace(b"  LICENSE\n", b"  LICENSE-X\n") if name == "SHA256SUMS" else data)
    ]


def _manifest(name: str, data: bytes) -> list[tuple[str, bytes]]:
    return [
        (name, data.replace(b'"rows": 8', b'"rows": 9', 1) if name == "manifest.json" else data)
    ]


def _no_manifest(name: str, data: bytes) -> list[tuple[str, bytes]]:
    return [] if name == "manifest.json" else [(name, data)]


ZIP_CASES = [
    ("tampered-file", _tamper, r"data/places\.csv differs from the release's manifest"),
    ("unlisted-file", _extra, r"files its manifest does not list: \.\./escape\.txt"),
    ("duplicate-member", _twice, "in the zip twice"),
    ("sums-disagree", _sums, "SHA256SUMS does not agree with manifest.json"),
    ("manifest-not-the-recorded-one", _manifest, "not the published release"),
    ("no-manifest", _no_manifest, "no manifest.json at the zip's root"),
]


@pytest.mark.parametrize(("case", "change", "message"), ZIP_CASES, ids=[c[0] for c in ZIP_CASES])
def test_a_bad_zip_is_refused_and_nothing_is_left_behind(
    zipped: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    case: str,
    change: Callable[[str, bytes], list[tuple[str, bytes]]],
    message: str,
) -> None:
    bad = tmp_path / "bad.zip"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        _rezip(zipped, bad, change)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    with pytest.raises(bt.ReleaseError, match=message):
        bt.load(path=bad)
    assert list(scratch.iterdir()) == []  # the extraction folder is gone
    assert not (tmp_path / "escape.txt").exists()


def test_not_a_zip_and_not_a_release(tmp_path: Path, pkg: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK not really")
    with pytest.raises(bt.ReleaseError, match="not a readable zip"):
        bt.load(path=junk)
    with pytest.raises(bt.ReleaseError, match="not a release .* use root="):
        bt.load(path=pkg)
    with pytest.raises(bt.ReleaseError, match="no such release folder or zip"):
        bt.load(path=tmp_path / "nothing")


def test_a_tampered_release_folder_is_refused(built: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    target = copy / "parquet" / "events.parquet"
    target.write_bytes(target.read_bytes()[:-1] + b"\0")
    with pytest.raises(bt.ReleaseError, match=r"parquet/events\.parquet: hash-mismatch"):
        bt.load(path=copy)
