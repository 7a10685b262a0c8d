"""Publish → serve → download → load, against a real HTTP server on 127.0.0.1, and every way
a download can go wrong: each ends in a clear error and leaves no bad file in the cache."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import belarus_timeline as bt
from belarus_timeline import downloader as dl
from belarus_timeline.cli import main
from belarus_timeline.publish import publish
from belarus_timeline.release import build_release
from helpers import copy_package, record_bars

VERSION = "1.0.1"  # not in the installed registry: trusted through index.json


class Server(http.server.ThreadingHTTPServer):
    """Serves ``root``; ``faults`` maps a URL path to a misbehaviour."""

    daemon_threads = True

    def __init__(self, root: Path) -> None:
        self.root = root
        self.faults: dict[str, str] = {}
        self.hits: dict[str, int] = {}
        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(http.server.BaseHTTPRequestHandler):
    server: Server

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        hits = self.server.hits[path] = self.server.hits.get(path, 0) + 1
        fault = self.server.faults.get(path)
        if (fault == "500-once" and hits == 1) or fault == "500":
            self.send_error(500)
            return
        if fault == "slow":
            time.sleep(3)
        file = self.server.root / path.lstrip("/")
        if fault == "404" or not file.is_file():
            self.send_error(404)
            return
        body = file.read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if fault == "truncate":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("pub")
    pkg = copy_package(base / "pkg")
    d = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    d["version"] = VERSION
    (pkg / "datapackage.json").write_text(json.dumps(d, indent=2, ensure_ascii=False))
    (pkg / "CHANGELOG.md").write_text(f"## [{VERSION}] - 2026-12-01\n\nTest release.\n")
    release = build_release(pkg, base / "dist", registry=base / "registry").path
    publish(release, base / "www", registry=base / "registry")
    return base / "www"


@pytest.fixture
def server(published: Path, tmp_path: Path) -> Iterator[Server]:
    # A private copy per test, so tampering cannot leak into other tests.
    www = tmp_path / "www"
    subprocess.run(["cp", "-a", str(published), str(www)], check=True)
    srv = Server(www)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (dl.ENV_OFFLINE, dl.ENV_TIMEOUT):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(dl.ENV_BASE_URL, "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv(dl.ENV_CACHE, str(tmp_path / "cache"))
    monkeypatch.setenv(dl.ENV_CONFIG, str(tmp_path / "no-config.toml"))
    monkeypatch.setattr(dl, "BACKOFF_S", 0.01)


def cache_files(cache: Path) -> list[str]:
    return sorted(
        p.relative_to(cache).as_posix()
        for p in cache.rglob("*")
        if p.is_file() and ".locks" not in p.parts
    )


def test_publish_serve_download_load_equals_the_bundled_data(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = json.loads((server.root / "index.json").read_text())
    assert index["latest"] == VERSION and set(index["versions"]) == {VERSION}
    monkeypatch.setenv(dl.ENV_BASE_URL, server.url)
    tl = bt.load(version=VERSION)
    bundled = bt.load()
    for name, frame in bundled.items():  # the same rows, dtypes and order
        pd.testing.assert_frame_equal(tl[name], frame, check_exact=True)
    folder = tmp_path / "cache" / VERSION
    assert [c.status for c in bt_verify(folder)] == ["ok"] * len(bt_verify(folder))
    # The whole release came down, with a SHA256SUMS that sha256sum accepts.
    done = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=folder)
    assert done.returncode == 0
    # A second call is served from the verified cache: no request at all.
    before = sum(server.hits.values())
    bt.load_table("events", version=VERSION)
    bt.load(version=VERSION)
    assert sum(server.hits.values()) == before


def bt_verify(folder: Path) -> list:
    from belarus_timeline.manifest import verify_folder

    return verify_folder(folder)


def test_the_installed_registry_is_trusted_without_the_index(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = tmp_path / "registry"
    registry.mkdir()
    (registry / f"{VERSION}.json").write_bytes(
        (server.root / VERSION / "manifest.json").read_bytes()
    )
    monkeypatch.setattr(dl, "registry_dir", lambda: registry)
    server.faults["/index.json"] = "404"
    folder = dl.download(VERSION, base_url=server.url, tables=["events"], formats=["parquet"])
    assert (folder / "parquet" / "events.parquet").is_file()
    assert not (folder / "data" / "events.csv").exists()
    assert not (folder / "parquet" / "quotes.parquet").exists()


def test_unpublished_version_is_a_clear_error(server: Server, tmp_path: Path) -> None:
    with pytest.raises(
        bt.DownloadError, match=r"Version 9\.9\.9 is not published .*\(published: 1\.0\.1\)"
    ):
        dl.download("9.9.9", base_url=server.url)


def test_404_on_a_file(server: Server, tmp_path: Path) -> None:
    server.faults[f"/{VERSION}/parquet/events.parquet"] = "404"
    with pytest.raises(bt.DownloadError, match="HTTP 404"):
        dl.download(VERSION, base_url=server.url)
    assert "parquet/events.parquet" not in " ".join(cache_files(tmp_path / "cache"))
    assert not [p for p in cache_files(tmp_path / "cache") if p.endswith(".part")]


def test_500_then_success_is_retried(server: Server) -> None:
    path = f"/{VERSION}/data/events.csv"
    server.faults[path] = "500-once"
    folder = dl.download(VERSION, base_url=server.url)
    assert server.hits[path] == 2
    assert (folder / "data" / "events.csv").is_file()


def test_persistent_500_gives_up_after_bounded_retries(server: Server) -> None:
    path = f"/{VERSION}/data/events.csv"
    server.faults[path] = "500"
    with pytest.raises(bt.DownloadError, match="HTTP 500"):
        dl.download(VERSION, base_url=server.url)
    assert server.hits[path] == dl.RETRIES


def test_truncated_body_is_never_kept(server: Server, tmp_path: Path) -> None:
    server.faults[f"/{VERSION}/parquet/quotes.parquet"] = "truncate"
    with pytest.raises(bt.DownloadError, match="quotes.parquet"):
        dl.download(VERSION, base_url=server.url)
    files = cache_files(tmp_path / "cache")
    assert f"{VERSION}/parquet/quotes.parquet" not in files
    assert not [p for p in files if p.endswith(".part")]


def test_tampered_data_file(server: Server, tmp_path: Path) -> None:
    target = server.root / VERSION / "data" / "quotes.csv"
    target.write_bytes(target.read_bytes().replace(b"yesterday", b"yesterdaY"))
    with pytest.raises(bt.DownloadError) as err:
        dl.download(VERSION, base_url=server.url)
    message = str(err.value)
    assert "data/quotes.csv" in message and f"{server.url}/{VERSION}/data/quotes.csv" in message
    assert hashlib.sha256(target.read_bytes()).hexdigest() in message  # the actual hash
    assert "expected" in message and str(tmp_path / "cache") in message
    assert f"{VERSION}/data/quotes.csv" not in cache_files(tmp_path / "cache")


def test_tampered_manifest(server: Server, tmp_path: Path) -> None:
    m = server.root / VERSION / "manifest.json"
    data = json.loads(m.read_text())
    data["files"][0]["bytes"] += 1
    m.write_text(json.dumps(data))
    with pytest.raises(bt.DownloadError, match="does not match .* in index.json"):
        dl.download(VERSION, base_url=server.url)
    assert cache_files(tmp_path / "cache") == []


@pytest.mark.parametrize(
    "hostile",
    ["../../escape.txt", "/etc/passwd", "data/../../x", "a\\b", "data/ space.csv", ".hidden"],
)
def test_hostile_manifest_paths_are_refused(server: Server, tmp_path: Path, hostile: str) -> None:
    m = server.root / VERSION / "manifest.json"
    data = json.loads(m.read_text())
    data["files"].append({"path": hostile, "bytes": 1, "sha256": "0" * 64})
    raw = json.dumps(data).encode()
    m.write_bytes(raw)
    index = json.loads((server.root / "index.json").read_text())
    index["versions"][VERSION]["manifest_sha256"] = hashlib.sha256(raw).hexdigest()
    (server.root / "index.json").write_text(json.dumps(index))
    with pytest.raises(bt.DownloadError, match="refused"):
        dl.download(VERSION, base_url=server.url)
    assert cache_files(tmp_path / "cache") == []
    assert not (tmp_path / "escape.txt").exists()


def test_hostile_index_is_refused(server: Server, tmp_path: Path) -> None:
    (server.root / "index.json").write_text(
        json.dumps({"versions": {"../../etc": {"manifest_sha256": "0" * 64}}})
    )
    with pytest.raises(bt.DownloadError, match="index.json is refused"):
        dl.download(VERSION, base_url=server.url)
    assert cache_files(tmp_path / "cache") == []


def test_offline_with_a_warm_cache_opens_no_connection(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    dl.download(VERSION, base_url=server.url)
    before = sum(server.hits.values())
    monkeypatch.setenv(dl.ENV_OFFLINE, "1")
    tl = bt.load(version=VERSION)
    assert len(tl.events) == len(bt.load().events)
    assert sum(server.hits.values()) == before


def test_offline_with_a_cold_cache_lists_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    registry = tmp_path / "registry"
    registry.mkdir()
    m = {
        "name": "belarus-timeline",
        "version": "1.0.0",
        "files": [{"path": "data/events.csv", "bytes": 3, "sha256": "0" * 64}],
    }
    (registry / "1.0.0.json").write_text(json.dumps(m))
    monkeypatch.setattr(dl, "registry_dir", lambda: registry)
    monkeypatch.setenv(dl.ENV_OFFLINE, "1")
    with pytest.raises(bt.DownloadError) as err:
        dl.download("1.0.0")
    assert "data/events.csv" in str(err.value)
    assert "belarus-timeline download 1.0.0 --to DIR" in str(err.value)


def test_slow_server_times_out(
    server: Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(dl.ENV_TIMEOUT, "0.5")
    monkeypatch.setattr(dl, "RETRIES", 1)
    server.faults[f"/{VERSION}/data/events.csv"] = "slow"
    with pytest.raises(bt.DownloadError, match="Timeout"):
        dl.download(VERSION, base_url=server.url)
    assert f"{VERSION}/data/events.csv" not in cache_files(tmp_path / "cache")


def test_unwritable_cache_is_a_clear_error(server: Server, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(bt.DownloadError, match="not writable .* BELARUS_TIMELINE_CACHE"):
        dl.download(VERSION, base_url=server.url, cache_dir=blocker / "cache")
    if os.geteuid() != 0:  # root ignores permission bits
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        with pytest.raises(bt.DownloadError, match="not writable"):
            dl.download(VERSION, base_url=server.url, cache_dir=ro)


def test_a_corrupted_cached_file_is_fetched_again(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = dl.download(VERSION, base_url=server.url)
    victim = folder / "data" / "actors.csv"
    victim.write_text("corrupt")
    # Not in the installed registry: verified against the published index.
    assert main(["verify", str(folder), "--base-url", server.url]) == 1
    out = capsys.readouterr().out
    assert "size-mismatch  data/actors.csv" in out
    dl.download(VERSION, base_url=server.url)
    assert main(["verify", str(folder), "--base-url", server.url]) == 0


def test_eight_processes_download_the_same_version_at_once(server: Server, tmp_path: Path) -> None:
    cache = tmp_path / "shared-cache"
    code = (
        "import sys; from belarus_timeline.downloader import download; "
        "print(download(sys.argv[1], base_url=sys.argv[2], cache_dir=sys.argv[3]))"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, VERSION, server.url, str(cache)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    results = [p.communicate(timeout=180) for p in procs]
    assert all(p.returncode == 0 for p in procs), [r[1][-2000:] for r in results]
    folder = cache / VERSION
    assert {r[0].strip() for r in results} == {str(folder)}
    checks = bt_verify(folder)
    assert checks and all(c.status == "ok" for c in checks)
    manifest = json.loads((folder / "manifest.json").read_text())
    expected = sorted(
        [f"{VERSION}/{f['path']}" for f in manifest["files"]]
        + [f"{VERSION}/manifest.json", f"{VERSION}/SHA256SUMS"]
    )
    assert cache_files(cache) == expected  # exactly one copy each, no leftovers


def test_cli_download_to_a_folder_and_versions(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "here"
    assert (
        main(["download", VERSION, "--base-url", server.url, "--to", str(out), "--format", "csv"])
        == 0
    )
    assert (out / "data" / "events.csv").is_file() and not (out / "parquet").exists()
    capsys.readouterr()
    assert main(["versions"]) == 0
    listed = capsys.readouterr().out.split()
    assert listed == dl.versions() and "1.0.0" in listed


def test_an_unreachable_location_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(dl.ENV_BASE_URL, "http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(bt.DownloadError) as err:
        dl.download(VERSION)
    message = str(err.value)
    assert "http://127.0.0.1:9/index.json: cannot be reached" in message
    assert "base_url=" in message and "BELARUS_TIMELINE_BASE_URL" in message
    assert str(dl.config_path()) in message


def test_a_partial_download_loads_offline(
    server: Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(dl.ENV_BASE_URL, server.url)
    dl.download(VERSION, tables=["events", "places"], formats=["csv"])
    before = sum(server.hits.values())
    with pytest.warns(UserWarning, match=r"partial download: loaded places, events; missing"):
        tl = bt.load(version=VERSION)
    assert list(tl) == ["places", "events"] and "quotes" in tl.missing
    assert sum(server.hits.values()) == before
    tl = bt.load(version=VERSION, tables=["quotes"])  # asked for by name: fetched
    assert list(tl) == ["quotes"] and sum(server.hits.values()) > before


def test_latest_is_the_indexs_latest_and_the_config_file_gives_the_location(
    server: Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'base_url = "{server.url}/"\n', encoding="utf-8")
    monkeypatch.setenv(dl.ENV_CONFIG, str(config))
    monkeypatch.delenv(dl.ENV_BASE_URL)  # the environment would win over the file
    folder = dl.download("latest", formats=["parquet"])
    assert folder.name == VERSION and server.hits["/index.json"] >= 1
    assert bt.load(version="latest").version == VERSION


def test_one_progress_bar_per_download_with_its_total_bytes(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = record_bars(monkeypatch, dl)
    server.faults[f"/{VERSION}/data/events.csv"] = "500-once"  # a retried file counts once
    folder = dl.download(VERSION, base_url=server.url)
    manifest = json.loads((folder / "manifest.json").read_text())
    total = sum(f["bytes"] for f in manifest["files"])
    assert [(b.desc, b.total, b.n) for b in made] == [(f"belarus-timeline {VERSION}", total, total)]


def test_publishing_other_content_under_a_published_version_is_refused(
    published: Path, tmp_path: Path
) -> None:
    www = tmp_path / "www"
    subprocess.run(["cp", "-a", str(published), str(www)], check=True)
    (www / VERSION / "data" / "actors.csv").write_text("changed")
    with pytest.raises(bt.ReleaseError, match="data/actors.csv"):
        publish(
            published.parent / "dist" / f"belarus-timeline-{VERSION}",
            www,
            registry=published.parent / "registry",
        )


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal_and_never_with_quiet(
    server: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["download", VERSION, "--base-url", server.url, "--format", "csv"]
    assert main([*args, "--to", str(tmp_path / "a")]) == 0
    assert capsys.readouterr().err == ""  # not a terminal: silent
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main([*args, "--to", str(tmp_path / "b"), "--quiet"]) == 0
    assert terminal.getvalue() == ""
    assert main([*args, "--to", str(tmp_path / "c")]) == 0
    drawn = terminal.getvalue()
    assert f"belarus-timeline {VERSION}" in drawn and "100%" in drawn
