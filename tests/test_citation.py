"""Licences, citation and catalogue metadata: full licence texts in the repository and in every
release, the project's locations stated once, CITATION.cff valid and fresh, .zenodo.json,
dataset.jsonld in every release and in its page, and the archived texts out of sdist and wheel."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pyarrow.compute as pc
import pytest

import belarus_timeline as bt
from belarus_timeline import cli, project
from belarus_timeline.downloader import resolve_base_url
from belarus_timeline.outputs.catalog import citation_cff, dataset
from belarus_timeline.outputs.docs import citation_files
from belarus_timeline.package import DataPackage
from belarus_timeline.release import build_release
from belarus_timeline.tables import read_arrow
from helpers import ROOT, copy_with_history

CFFCONVERT = Path(sys.executable).parent.parent / "cffconvert" / "bin" / "cffconvert"
PKG = DataPackage(ROOT)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("rel")
    return build_release(copy_with_history(base / "pkg"), base / "dist", record=False).path


# --- the project's locations, stated once ------------------------------------------------------


def test_every_copy_of_the_projects_locations_agrees_with_project_py(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    assert urls == {
        "Homepage": project.SITE,
        "Repository": project.REPOSITORY,
        "Issues": project.ISSUES,
        "Changelog": project.CHANGELOG,
    }
    assert PKG.descriptor["homepage"] == project.SITE
    assert cli.ISSUES_URL == project.ISSUES
    for env in ("BELARUS_TIMELINE_BASE_URL", "BELARUS_TIMELINE_CONFIG"):
        monkeypatch.delenv(env, raising=False)
    monkeypatch.setenv("BELARUS_TIMELINE_CONFIG", str(ROOT / "no-such-config.toml"))
    assert resolve_base_url() == project.DEFAULT_BASE_URL == project.SITE.rstrip("/")
    zenodo = json.loads((ROOT / ".zenodo.json").read_text(encoding="utf-8"))
    assert {r["identifier"] for r in zenodo["related_identifiers"]} == {project.REPOSITORY}
    cff = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert f'url: "{project.SITE}"' in cff and f'repository-code: "{project.REPOSITORY}"' in cff
    # Any address of the project's, wherever it is written, starts with one of the two.
    owner = "belarus-timeline"
    for name in ("README.md", "LICENSE-DATA", "CITATION.cff", ".zenodo.json", "pyproject.toml"):
        text = (ROOT / name).read_text(encoding="utf-8")
        found = re.findall(rf"https?://[^\s\"'<>)`]*{owner}[^\s\"'<>)`]*", text)
        assert found, name
        for url in found:
            assert url.startswith((project.SITE.rstrip("/"), project.REPOSITORY)), (name, url)


# --- licences ----------------------------------------------------------------------------------


def test_the_licence_files_are_complete() -> None:
    mit = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert mit.startswith("MIT License\n\nCopyright (c) ")
    assert re.search(r"^Copyright \(c\) \d{4} belarus-timeline contributors$", mit, re.M)
    for phrase in ("Permission is hereby granted, free of charge", 'PROVIDED "AS IS"'):
        assert phrase in mit
    data = (ROOT / "LICENSE-DATA").read_text(encoding="utf-8")
    assert "https://creativecommons.org/licenses/by/4.0/legalcode" in data
    assert "Creative Commons Attribution 4.0" in data and "How to attribute" in data
    assert PKG.descriptor["licenses"][0]["path"] in data
    toml = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert toml["project"]["license-files"] == ["LICENSE", "LICENSE-DATA"]


def test_every_release_folder_and_zip_carries_the_licences(built: Path) -> None:
    names = zipfile.ZipFile(built.parent / f"{built.name}.zip").namelist()
    for name in ("LICENSE", "LICENSE-DATA"):
        assert (built / name).read_bytes() == (ROOT / name).read_bytes()
        assert name in names
    listed = {f["path"] for f in json.loads((built / "manifest.json").read_text())["files"]}
    assert {"LICENSE", "LICENSE-DATA", "dataset.jsonld"} <= listed


def test_a_package_without_its_licence_builds_nothing(pkg: Path, tmp_path: Path) -> None:
    (pkg / "LICENSE-DATA").unlink()
    with pytest.raises(bt.ReleaseError, match="LICENSE-DATA: missing"):
        build_release(pkg, tmp_path / "dist", record=False)
    # A refused build leaves nothing: not even the dist folder it would have created.
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())


def _build(kind: str, out: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", kind, "-d", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("*.tar.gz" if kind == "sdist" else "*.whl")
    return built


def test_the_archived_texts_are_neither_in_the_sdist_nor_in_the_wheel(tmp_path: Path) -> None:
    sdist = _build("sdist", tmp_path)
    with tarfile.open(sdist) as tar:
        names = [n.split("/", 1)[1] for n in tar.getnames() if "/" in n]
    archived = {p.name for p in (ROOT / "sources").iterdir()}
    assert archived and not [n for n in names if n.startswith("sources/")]
    assert not [n for n in names if n.rsplit("/", 1)[-1] in archived]
    assert {"LICENSE", "LICENSE-DATA", "CITATION.cff", "datapackage.json"} <= set(names)
    assert any(n.startswith("data/") for n in names)
    wheel = _build("wheel", tmp_path / "wheel")
    members = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in members if "sources/" in n or n.rsplit("/", 1)[-1] in archived]
    licenses = {n.rsplit("/", 1)[1] for n in members if ".dist-info/licenses/" in n}
    assert licenses == {"LICENSE", "LICENSE-DATA"}


# --- citation files ----------------------------------------------------------------------------


def test_the_citation_files_are_fresh() -> None:
    for name, text in citation_files(ROOT).items():
        assert (ROOT / name).read_text(encoding="utf-8") == text, f"{name} is stale: make docs"


def test_cffconvert_validates_citation_cff(tmp_path: Path) -> None:
    assert CFFCONVERT.is_file(), "make test installs cffconvert into .venv/cffconvert"
    ok = subprocess.run(
        [str(CFFCONVERT), "--validate", "-i", str(ROOT / "CITATION.cff")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = tmp_path / "CITATION.cff"  # the validator can fail: an unknown type
    broken.write_text(citation_cff(PKG).replace("type: dataset", "type: film"), encoding="utf-8")
    bad = subprocess.run(
        [str(CFFCONVERT), "--validate", "-i", str(broken)], capture_output=True, timeout=120
    )
    assert bad.returncode != 0


def test_citation_cff_says_what_the_descriptor_says() -> None:
    cff = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert f'version: "{PKG.version}"' in cff
    assert f'date-released: "{PKG.descriptor["created"][:10]}"' in cff
    assert json.dumps(PKG.descriptor["title"], ensure_ascii=False) in cff
    assert 'license: "CC-BY-4.0"' in cff and "type: dataset" in cff
    zenodo = json.loads((ROOT / ".zenodo.json").read_text(encoding="utf-8"))
    assert zenodo["title"] == PKG.descriptor["title"]
    assert zenodo["license"] == "cc-by-4.0" and zenodo["upload_type"] == "dataset"
    assert zenodo["keywords"] == PKG.descriptor["keywords"]


# --- dataset.jsonld ----------------------------------------------------------------------------


class _JsonLd(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self._in = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in = tag == "script" and ("type", "application/ld+json") in attrs

    def handle_data(self, data: str) -> None:
        if self._in:
            self.blocks.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in = False


def test_dataset_jsonld_describes_the_release_and_is_in_its_page(built: Path) -> None:
    ld = json.loads((built / "dataset.jsonld").read_text(encoding="utf-8"))
    pkg = DataPackage(built)
    assert ld["@context"] == "https://schema.org/" and ld["@type"] == "Dataset"
    assert ld["name"] == pkg.descriptor["title"] and ld["version"] == pkg.version
    assert ld["description"] == pkg.descriptor["description"]
    assert ld["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert ld["creator"] == [{"@type": "Organization", "name": "belarus-timeline contributors"}]
    events = read_arrow(pkg, "events-parquet")
    first = pc.min(events.column("start_date")).as_py().isoformat()
    last = pc.max(events.column("end_date")).as_py().isoformat()
    assert ld["temporalCoverage"] == f"{first}/{last}"
    names = {p["name"] for p in ld["spatialCoverage"]}
    assert {"Moscow", "Minsk", "Munich", "Russia", "Belarus"} <= names
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    files = {f["path"]: f for f in manifest["files"]}
    tables = [d for d in ld["distribution"] if d["encodingFormat"] != "application/zip"]
    assert len(tables) == len(pkg.resources)
    for d in tables:
        path = d["contentUrl"].removeprefix(f"{project.DEFAULT_BASE_URL}/{pkg.version}/")
        assert (
            d["sha256"] == files[path]["sha256"] and d["contentSize"] == f"{files[path]['bytes']} B"
        )
        assert d["encodingFormat"] in ("text/csv", "application/vnd.apache.parquet")
    (whole,) = [d for d in ld["distribution"] if d["encodingFormat"] == "application/zip"]
    assert whole["contentUrl"] == f"{project.DEFAULT_BASE_URL}/belarus-timeline-{pkg.version}.zip"
    parser = _JsonLd()
    parser.feed((built / "timeline.html").read_text(encoding="utf-8"))
    (embedded,) = parser.blocks
    assert json.loads(embedded) == ld == dataset(pkg)
