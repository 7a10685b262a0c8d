"""The benchmark's report: ``benchmarks/RESULTS.md`` from the measured steps.

Every target of the scale issue is judged from figures of the same run, each marked met, not met
or not measured, with the figure or the profile that bounds it.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any

GENERATE = "generate"
READ_FLOOR = "read floor (pyarrow.csv.read_csv)"
VALIDATE = "validate (ours)"
STRUCT_OURS = "structural checks (ours)"
STRUCT_PANDERA = "structural checks (pandera-polars)"
FRICTIONLESS = "validate (frictionless)"
BUILD_FLOOR = "build floor (plain pyarrow)"
BUILD = "build (CSV + Parquet release)"
LOAD = "load (belarus_timeline.load)"
RAW = "read Parquet (pyarrow + to_pandas)"
FULL = "build with exports, chart and page"
ORDER = [
    GENERATE,
    READ_FLOOR,
    VALIDATE,
    STRUCT_OURS,
    STRUCT_PANDERA,
    FRICTIONLESS,
    BUILD_FLOOR,
    BUILD,
    LOAD,
    RAW,
    FULL,
]
# Steps whose comparison uses the time measured inside the process (imports excluded).
INNER = {STRUCT_OURS, STRUCT_PANDERA, LOAD, RAW}
M, TEN_M = 1_000_000, 10_000_000


@dataclass
class Step:
    """One measured step: wall time of its whole process, time inside it, peak RSS."""

    n: int
    step: str
    seconds: float | None
    peak_mb: float | None
    rows: int
    status: str = "ok"  # ok | failed | timeout | killed | skipped
    note: str = ""
    inner: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def time(self) -> float | None:
        """The time the comparisons use: inner for in-process steps, wall for the others."""
        if not self.ok:
            return None
        return self.inner if self.step in INNER else self.seconds


Steps = dict[tuple[int, str], Step]


def fmt(x: float | None, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def machine() -> dict[str, str]:
    """Cores, CPU, memory, platform and the versions of the tools measured."""
    info = {
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        kb = next(int(ln.split()[1]) for ln in meminfo if ln.startswith("MemTotal"))
        info["memory"] = f"{kb / (1 << 20):.1f} GiB"
    except (OSError, StopIteration):
        info["memory"] = "unknown"
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
        info["cpu"] = next(ln.split(":", 1)[1].strip() for ln in cpuinfo if "model name" in ln)
    except (OSError, StopIteration):
        info["cpu"] = platform.processor() or "unknown"
    for dist in (
        "belarus-timeline",
        "pyarrow",
        "pandas",
        "numpy",
        "frictionless",
        "pandera",
        "polars",
    ):
        try:
            info[dist] = dist_version(dist)
        except Exception:  # not installed
            info[dist] = "not installed"
    return info


def _header(steps: list[Step], command: str, cap_gb: float) -> list[str]:
    info = machine()
    versions = ", ".join(
        f"{d} {info[d]}"
        for d in ("belarus-timeline", "pyarrow", "pandas", "numpy", "frictionless", "pandera")
    )
    return [
        "# Benchmark results",
        "",
        "Written by `python benchmarks/run.py` (`make bench`, `make bench-10m`); do not edit by "
        "hand. Each figure is one run. Every step ran in a process tree of its own under a memory "
        f"guard that kills it above {cap_gb:g} GB (then reported as killed, with the size and "
        "time it reached): *wall* is that process's whole time, imports included; *inner* is "
        "the time measured inside it after its imports (for in-process steps); peak RSS is the "
        "whole tree's.",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {info['cores']} cores ({info['cpu']}), {info['memory']} RAM, "
        f"{info['platform']}",
        f"- versions: Python {info['python']}, {versions}, polars {info['polars']}",
        f"- command: `{command}`",
    ]


def _data(steps: list[Step]) -> list[str]:
    gens = [s for s in steps if s.step == GENERATE]
    tables = list(gens[0].extra.get("tables", {})) if gens else []
    out = [
        "",
        "## Data",
        "",
        "Synthetic packages from `benchmarks/generate.py` (proportions in its docstring), valid "
        "for every validator measured: per N events, 1.95N statements, 3N participants, 2.95N "
        "evidence spans, N/2 quotes, N/5 claims, N/2 event links with one span each, N/20 "
        "actors with 2 aliases each, N/100 cities + 10 countries, one archived text per 100 "
        "events with 3 furniture spans.",
        "",
        "| N events | " + " | ".join(tables) + " | total rows | CSV MB |",
        "|---:|" + "---:|" * (len(tables) + 2),
    ]
    for g in gens:
        t = g.extra.get("tables", {})
        cells = " | ".join(f"{t.get(k, 0):,}" for k in tables)
        out.append(f"| {g.n:,} | {cells} | {g.rows:,} | {g.extra.get('csv_mb', 0):,.1f} |")
    return out


def _figures(steps: list[Step]) -> list[str]:
    out = [
        "",
        "## Figures",
        "",
        "| N events | step | wall s | inner s | rows/s | peak RSS MB | note |",
        "|---:|---|---:|---:|---:|---:|---|",
    ]
    for s in steps:
        t = s.time
        rps = s.rows / t if t else None
        note = s.note if s.ok else f"**{s.status}**: {s.note}"
        out.append(
            f"| {s.n:,} | {s.step} | {fmt(s.seconds if s.ok else None, '.2f')} | "
            f"{fmt(s.inner if s.ok else None, '.2f')} | {fmt(rps, ',.0f')} | "
            f"{fmt(s.peak_mb, ',.0f')} | {note} |"
        )
    return out


def ratio(by: Steps, n: int, num: str, den: str) -> float | None:
    a, b = by.get((n, num)), by.get((n, den))
    if a is None or b is None or a.time is None or not b.time:
        return None
    return a.time / b.time


def _side_by_side(by: Steps, sizes: list[int]) -> list[str]:
    cols: list[tuple[str, str, str]] = [
        ("validate ÷ read floor", VALIDATE, READ_FLOOR),
        ("frictionless ÷ ours (rows/s x)", FRICTIONLESS, VALIDATE),
        ("pandera ÷ ours, structural (x)", STRUCT_PANDERA, STRUCT_OURS),
        ("build ÷ build floor", BUILD, BUILD_FLOOR),
        ("load ÷ raw read", LOAD, RAW),
        ("full build ÷ tables-only", FULL, BUILD),
    ]
    out = [
        "",
        "## Side by side",
        "",
        "Ratios of the times compared (wall for whole commands, inner for in-process steps).",
        "",
        "| N events | " + " | ".join(c[0] for c in cols) + " |",
        "|---:|" + "---:|" * len(cols),
    ]
    for n in sizes:
        cells = [fmt(ratio(by, n, a, b), ".2f") for _, a, b in cols]
        out.append(f"| {n:,} | " + " | ".join(cells) + " |")
    return out


def cost_per_m(s: Step | None) -> float | None:
    """Seconds per million rows of a step (None when it did not finish)."""
    return s.time / s.rows * 1e6 if s and s.time and s.rows else None


def _growth(by: Steps, sizes: list[int]) -> list[str]:
    head = "| step | " + " | ".join(f"N = {n:,}" for n in sizes) + " |"
    rule = "|---|" + "---:|" * len(sizes)
    out = ["", "## Cost per million rows", "", "Seconds per million rows (flat = linear):", ""]
    out += [head, rule]
    for name in ORDER[1:]:
        cells = [fmt(cost_per_m(by.get((n, name))), ".2f") for n in sizes]
        if any(c != "-" for c in cells):
            out.append(f"| {name} | " + " | ".join(cells) + " |")
    out += ["", "Peak RSS of the process tree, GB (a killed step: where it was stopped):", ""]
    out += [head, rule]
    for name in ORDER:
        cells = []
        for n in sizes:
            s = by.get((n, name))
            cells.append(fmt(s.peak_mb / 1024 if s and s.peak_mb else None, ".2f"))
        if any(c != "-" for c in cells):
            out.append(f"| {name} | " + " | ".join(cells) + " |")
    return out


def write_results(
    steps: list[Step],
    *,
    command: str,
    cap_gb: float,
    targets: Callable[[Steps, list[int]], list[str]],
    profiles: dict[str, tuple[int, str]],
    analysis: str,
) -> str:
    """The whole of RESULTS.md: header, data, targets, figures, ratios, growth, profiles and the
    kept hand-written analysis."""
    sizes = sorted({s.n for s in steps})
    by = {(s.n, s.step): s for s in steps}
    out = _header(steps, command, cap_gb) + _data(steps)
    out += ["", "## Targets", "", *targets(by, sizes)]
    out += _figures(steps) + _side_by_side(by, sizes) + _growth(by, sizes)
    notes = {
        "validate": "our validator (cProfile, by own time; single thread: the measured runs use "
        "a pool of threads). `compute.py:wrapper` lines are pyarrow compute kernels.",
        "validate-large": "our validator at the largest size, where a large package's tables "
        "are read in batches (cProfile, by own time; single thread).",
        "build": "`belarus-timeline build --no-exports` (cProfile, cumulative, the project's "
        "functions; single thread: the table writers' pool ran each job at once).",
        "load": "`belarus_timeline.load.load` (cProfile, by own time).",
        "full": "`belarus-timeline build` with exports, chart and page (cProfile, cumulative, "
        "the project's functions; single thread).",
    }
    for key in [k for k in notes if k in profiles]:
        n, text = profiles[key]
        title = key.removesuffix("-large")
        out += ["", f"## Profile: {title} at N = {n:,}", "", notes[key], "", "```", text, "```"]
    return "\n".join(out) + "\n" + analysis


def kept_analysis(path: Path) -> str:
    """The hand-written "## Analysis" section of the previous results, if any: the figures are
    regenerated, the reading of them is kept (and says which run it was written for)."""
    if not path.is_file():
        return ""
    text = path.read_text(encoding="utf-8")
    start = text.find("\n## Analysis")
    if start < 0:
        return ""
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else len(text)].rstrip("\n") + "\n"
