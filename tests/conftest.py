"""Shared fixtures: a scratch copy of the repository's data package that tests may break.

Helpers that test modules import live in helpers.py, not here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helpers import copy_package, edit_table


@pytest.fixture(scope="session", autouse=True)
def _own_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Temporary files (the publishers' lock files among them) go to a folder of the test
    session's own, in this process and the commands it runs, not to the machine's temporary
    folder, where they were left behind."""
    scratch = str(tmp_path_factory.mktemp("tmp"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TMPDIR", scratch)
        mp.setattr("tempfile.tempdir", scratch)
        yield


@pytest.fixture(autouse=True)
def _no_network_by_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reaches the project's real site, reads the user's configuration or writes the
    user's cache: the download location is a closed port on 127.0.0.1 unless a test serves one."""
    monkeypatch.setenv("BELARUS_TIMELINE_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("BELARUS_TIMELINE_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("BELARUS_TIMELINE_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def pkg(tmp_path: Path) -> Path:
    """A fresh, valid copy of the data package."""
    return copy_package(tmp_path / "pkg")


@pytest.fixture
def edit_csv() -> Callable[[Path, str, Callable[[list[list[str]]], None]], None]:
    """Edit a CSV table of a package copy as a list of rows (header first)."""
    return edit_table
