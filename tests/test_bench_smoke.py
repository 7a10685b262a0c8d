"""A tiny run of the scale benchmark (benchmarks/run.py): it runs end to end and reports every
step with measured figures. The real run is `make bench`; nothing here asserts a speed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from helpers import ROOT


def test_benchmark_runs_and_reports_every_step(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--sizes",
            "150,300",
            "--frictionless-max",
            "150",
            "--repeat",
            "1",
            "--work",
            str(tmp_path / "work"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    assert "2 cores" in text or re.search(r"\d+ cores", text)
    for step in (
        "generate",
        "validate (ours)",
        "validate (frictionless)",
        "build (CSV + Parquet release)",
        "load (belarus_timeline.load)",
        "read Parquet (pyarrow + to_pandas)",
    ):
        pattern = re.compile(r"\| (150|300) \| " + re.escape(step) + r" \|")
        rows = [ln for ln in text.splitlines() if pattern.match(ln)]
        assert len(rows) == 2, (step, rows)
        for row in rows:
            cells = [c.strip() for c in row.strip("|").split("|")]
            assert re.fullmatch(r"~?[0-9.]+( \(extrapolated\))?", cells[2]), row
    # frictionless ran at 150 events and was extrapolated, and said so, at 300.
    assert "| 150 | validate (frictionless) |" in text and "valid, 0 errors" in text
    assert re.search(r"\| 300 \| validate \(frictionless\) \| ~[0-9]+ \(extrapolated\)", text)
    assert "## Profile: our validator at N = 300" in text
