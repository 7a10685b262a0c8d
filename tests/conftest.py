"""Shared fixtures: a scratch copy of the repository's data package that tests may break.

Helpers that test modules import live in helpers.py, not here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from helpers import copy_package, edit_table


@pytest.fixture
def pkg(tmp_path: Path) -> Path:
    """A fresh, valid copy of the data package."""
    return copy_package(tmp_path / "pkg")


@pytest.fixture
def edit_csv() -> Callable[[Path, str, Callable[[list[list[str]]], None]], None]:
    """Edit a CSV table of a package copy as a list of rows (header first)."""
    return edit_table
