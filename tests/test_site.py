"""The release workflow, run here. Every command of ``.github/workflows/release.yml`` is a make
target; these tests run the same targets with the same variables, serve the published tree on
127.0.0.1, and download and load from it as users (and the README's recipes) do."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

import belarus_timeline as bt
from belarus_timeline import downloader as dl
from belarus_timeline.files import tree_sha256
from belarus_timeline.manifest import zip_name
from belarus_timeline.project import DEFAULT_BASE_URL
from belarus_timeline.publish import publish
from belarus_timeline.release import build_release
from helpers import ROOT, copy_package, serve

VERSION = bt.__version__
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
NOWHERE = "http://127.0.0.1:9"


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def workflow_commands() -> list[str]:
    return [s["run"] for s in workflow()["jobs"]["release"]["steps"] if "run" in s]


def make(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``make`` in the repository with this interpreter's environment (the venv is not
    re-made: ``-o`` the stamp)."""
    return subprocess.run(
        [
            "make",
            "-C",
            str(ROOT),
            "-o",
            ".venv/.installed-stamp",
            f"BIN={Path(sys.executable).parent}",
            *args,
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=900,
    )


def run_step(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    words = shlex.split(command)
    assert words[0] == "make", command
    return make(words[1:], env)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workflow's steps, in its order and with its variables, into a scratch DIST and SITE."""
    base = tmp_path_factory.mktemp("workflow")
    env = {**workflow()["env"], "DIST": str(base / "dist"), "SITE": str(base / "public")}
    env.update(TAG=VERSION)
    env["BELARUS_TIMELINE_CACHE"] = str(base / "cache")
    # The published location as it is before the first publication: it answers, and holds
    # nothing yet (no index.json), so recorded versions never published are not fetched.
    empty = base / "nothing-published-yet"
    empty.mkdir()
    with serve(empty) as srv:
        env["BELARUS_TIMELINE_BASE_URL"] = srv.url
        for command in workflow_commands():
            if command == "make test":
                continue  # that is this test suite
            done = run_step(command, env)
            assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return base / "public"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(dl.ENV_OFFLINE, raising=False)
    monkeypatch.setenv(dl.ENV_BASE_URL, NOWHERE)
    monkeypatch.setenv(dl.ENV_CACHE, str(tmp_path / "cache"))
    monkeypatch.setenv(dl.ENV_CONFIG, str(tmp_path / "config.toml"))


def test_the_workflow_runs_only_make_targets_that_exist() -> None:
    commands = workflow_commands()
    assert {"make check-tag", "make test", "make release", "make publish-site"} <= set(commands)
    for command in commands:
        words = shlex.split(command)
        assert words[0] == "make" and len(words) == 2, command
        dry = make(["-n", words[1]], {"TAG": VERSION})
        assert dry.returncode == 0, dry.stderr
    triggers = workflow().get("on") or workflow()[True]  # YAML 1.1 reads a bare `on` as true
    assert triggers["push"]["tags"], "the workflow runs on version tags"
    uses = " ".join(str(s.get("uses")) for s in workflow()["jobs"]["release"]["steps"])
    assert "deploy-pages" in uses and "action-gh-release" in uses


def test_check_tag_refuses_a_tag_that_is_not_the_version() -> None:
    assert make(["check-tag"], {"TAG": VERSION}).returncode == 0
    wrong = make(["check-tag"], {"TAG": f"v{VERSION}"})
    assert wrong.returncode != 0 and f"tag 'v{VERSION}' is not the version" in wrong.stderr


def test_the_published_tree(site: Path) -> None:
    entries = {p.name for p in site.iterdir()}
    assert entries == {"index.json", VERSION, "latest", zip_name(VERSION)}
    hidden = [p for p in site.rglob("*") if p.name.startswith(".") or p.suffix == ".lock"]
    assert hidden == [], "no lock, temporary or hidden file is published"
    index = json.loads((site / "index.json").read_text(encoding="utf-8"))
    assert list(index["versions"]) == [VERSION] and index["latest"] == VERSION
    entry = index["versions"][VERSION]
    manifest = (site / VERSION / "manifest.json").read_bytes()
    assert entry["manifest_sha256"] == hashlib.sha256(manifest).hexdigest()
    assert manifest == (ROOT / "releases" / f"{VERSION}.json").read_bytes()
    zipped = (site / zip_name(VERSION)).read_bytes()
    assert entry["zip"] == {
        "path": zip_name(VERSION),
        "bytes": len(zipped),
        "sha256": hashlib.sha256(zipped).hexdigest(),
    }
    assert zipped == (site.parent / "dist" / zip_name(VERSION)).read_bytes()
    assert tree_sha256(site / "latest") == tree_sha256(site / VERSION)


def test_serve_download_and_load_like_a_user(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve(site) as srv:
        monkeypatch.setenv(dl.ENV_BASE_URL, srv.url)
        tl = bt.load(version=VERSION)
        first = len(srv.hits)
        assert first > 0
        for name, frame in bt.load().items():
            pd.testing.assert_frame_equal(tl[name], frame, check_exact=True)
        bt.load(version=VERSION)
        assert len(srv.hits) == first, "a verified cache opens no connection"
        assert bt.load(version="latest").version == VERSION
        assert srv.hits[first:] == ["/index.json"]
        folder = tmp_path / "cache" / VERSION
        assert (
            subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=folder).returncode == 0
        )
        # The zip as published, loaded as it is.
        zipped = tmp_path / zip_name(VERSION)
        zipped.write_bytes((site / zip_name(VERSION)).read_bytes())
        for name, frame in bt.load(path=zipped).items():
            pd.testing.assert_frame_equal(tl[name], frame, check_exact=True)


def _readme_blocks(language: str, needle: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(rf"```{language}\n(.*?)```", readme, flags=re.S)
    (block,) = [b for b in blocks if needle in b]
    return block


def test_the_readme_recipes_work_against_the_served_tree(site: Path, tmp_path: Path) -> None:
    """curl + sha256sum -c, pandas.read_parquet(URL) and the typed read_csv, as written in the
    README, with the site's address replaced by the local server's."""
    with serve(site) as srv:
        shell = _readme_blocks("sh", "sha256sum -c").replace(DEFAULT_BASE_URL, srv.url)
        done = subprocess.run(["bash", "-euc", shell], cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        got = tmp_path / "belarus-timeline"
        assert tree_sha256(got) == tree_sha256(site / VERSION)
        frames = {}
        for needle in ("read_parquet", "read_csv"):
            scope: dict[str, object] = {}
            exec(_readme_blocks("python", needle).replace(DEFAULT_BASE_URL, srv.url), scope)
            frames[needle] = scope["events"]
        naive = pd.read_csv(f"{srv.url}/latest/data/events.csv")
    expected = bt.load().events
    for frame in frames.values():
        assert list(frame["event_id"]) == list(expected["event_id"])
        assert frame["cameo_code"].dropna().tolist() == expected["cameo_code"].dropna().tolist()
        assert "042" in frame["cameo_code"].dropna().tolist()
        assert list(pd.to_datetime(frame["start_date"])) == list(expected["start_date"])
    assert frames["read_csv"]["cameo_code"].dtype == "string"
    assert 42.0 in naive["cameo_code"].tolist(), "the plain read_csv the README warns about"


def test_the_next_release_fetches_the_published_one_and_the_site_keeps_both(
    site: Path, tmp_path: Path
) -> None:
    """The workflow for a second version: ``make release`` builds the new one offline (the
    previous version's tables are kept in releases/), and ``make publish-site`` fetches the
    published earlier version from the site (verified) and lays out both."""
    pkg = copy_package(tmp_path / "pkg")
    shutil.copytree(ROOT / "releases", pkg / "releases")
    descriptor = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    new = f"{VERSION.split('.')[0]}.{VERSION.split('.')[1]}.{int(VERSION.split('.')[2]) + 1}"
    descriptor["version"] = new
    (pkg / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    log = pkg / "CHANGELOG.md"
    log.write_text(log.read_text(encoding="utf-8") + f"\n## [{new}] - 2026-12-01\n\nTest.\n")
    env = {"PKG": str(pkg), "DIST": str(tmp_path / "dist"), "SITE": str(tmp_path / "public")}
    env["BELARUS_TIMELINE_CACHE"] = str(tmp_path / "cache")
    with serve(site) as srv:
        env["BELARUS_TIMELINE_BASE_URL"] = srv.url
        for command in ("make release", "make publish-site"):
            done = run_step(command, env)
            assert done.returncode == 0, done.stderr[-3000:]
        assert f"/{VERSION}/manifest.json" not in srv.hits  # trusted from the registry
        assert any(h.startswith(f"/{VERSION}/parquet/") for h in srv.hits)
    public = tmp_path / "public"
    index = json.loads((public / "index.json").read_text(encoding="utf-8"))
    assert list(index["versions"]) == [VERSION, new] and index["latest"] == new
    assert tree_sha256(public / VERSION) == tree_sha256(site / VERSION)
    assert (public / zip_name(VERSION)).read_bytes() == (site / zip_name(VERSION)).read_bytes()
    assert tree_sha256(public / "latest") == tree_sha256(public / new)


def test_a_pre_release_is_published_but_is_not_latest(site: Path, tmp_path: Path) -> None:
    pkg = copy_package(tmp_path / "pkg")
    descriptor = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    major, minor, _ = VERSION.split(".")
    rc = f"{major}.{int(minor) + 1}.0-rc.1"
    descriptor["version"] = rc
    (pkg / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    log = pkg / "CHANGELOG.md"
    log.write_text(log.read_text(encoding="utf-8") + f"\n## [{rc}] - 2026-12-01\n\nTest.\n")
    previous = site.parent / "dist" / f"belarus-timeline-{VERSION}"
    built = build_release(pkg, tmp_path / "dist", registry=tmp_path / "reg", previous=previous)
    public = tmp_path / "public"
    shutil.copytree(site, public)
    publish(built.path, public, registry=tmp_path / "reg")
    index = json.loads((public / "index.json").read_text(encoding="utf-8"))
    assert list(index["versions"]) == [VERSION, rc]  # SemVer precedence
    assert index["latest"] == VERSION
    assert tree_sha256(public / "latest") == tree_sha256(site / VERSION)
