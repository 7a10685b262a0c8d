"""Conventions: ``python -m belarus_timeline``, one progress bar per build stage (on a terminal
only), SemVer 2.0 precedence with pre-releases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import belarus_timeline as bt
from belarus_timeline import progress
from belarus_timeline import release as rel
from belarus_timeline.semver import newest, parse
from helpers import record_bars


def test_python_dash_m_runs_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "belarus_timeline", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and done.stdout.strip() == f"belarus-timeline {bt.__version__}"


def test_one_bar_per_build_stage(
    pkg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = record_bars(monkeypatch, rel)
    rel.build_release(pkg, tmp_path / "dist", record=False)
    tables = len(bt.load().keys())
    assert [(b.desc, b.total, b.n) for b in made] == [
        ("validate", 1, 1),
        ("tables", tables, tables),
        ("exports", 1, 1),
        ("zip", 1, 1),
    ]


def test_bars_are_off_without_a_terminal_and_under_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv(progress.ENV_QUIET, raising=False)
    assert not progress.enabled()  # pytest's captured stderr is no terminal
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert progress.enabled()
    with progress.quiet():
        assert not progress.enabled()
    assert progress.enabled()
    monkeypatch.setenv(progress.ENV_QUIET, "1")
    assert not progress.enabled()


def test_semver_precedence_with_pre_releases() -> None:
    order = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0-rc.1", "1.0.0", "1.1.0-rc.1"]
    assert sorted(order[::-1], key=parse) == order
    assert parse("1.1.0-rc.1") < parse("1.1.0") and parse("1.0.0+build.5") == parse("1.0.0")
    assert newest(order) == "1.0.0"  # a pre-release is never "latest" while a release exists
    assert newest(["1.1.0-rc.1", "1.1.0-rc.2"]) == "1.1.0-rc.2"
    assert newest([]) is None
