"""The scale benchmark: validation, release build and loading at 10k, 100k and 1M events.

    python benchmarks/run.py                       # make bench: N = 10k, 100k, 1M
    python benchmarks/run.py --sizes 10000,100000  # other sizes
    python benchmarks/run.py --sizes 200 --work /tmp/w --out /tmp/RESULTS.md  # smoke run

For each N it generates a valid package (``benchmarks/generate.py``, same seed every run) and
measures, each step in a subprocess of its own (wall time, and peak RSS from
``getrusage(RUSAGE_CHILDREN)`` of a wrapper process that runs only that step):

- ``belarus-timeline validate`` (our validator, CLI);
- ``frictionless validate --json datapackage.json`` on the same package, up to
  ``--frictionless-max`` events and ``--timeout`` seconds; beyond, its time is extrapolated
  linearly from the largest size it finished (and the table says so);
- ``belarus-timeline build --root ROOT --dist DIST --no-exports`` (the CSV + Parquet release,
  without the exports, chart and page);
- loading the release: ``belarus_timeline.load.load(root=RELEASE)`` against reading the same
  Parquet files straight with ``pyarrow.parquet.read_table(...).to_pandas()``, timed inside the
  subprocess (interpreter start-up and imports excluded; each best of ``--repeat`` runs).

It writes ``benchmarks/RESULTS.md`` (machine, versions, figures, rows/s, ratios, and a profile
excerpt of our validator at the largest size). Work folders go under ``benchmarks/work/``
(git-ignored). Nothing is asserted: the figures are measured and reported.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import itertools
import json
import os
import platform
import pstats
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
TARGETS = {
    "validate_seconds_1m": 15.0,
    "validate_peak_gb_1m": 3.0,
    "ratio_vs_frictionless": 30.0,
    "build_seconds_1m": 45.0,
    "load_vs_raw": 1.2,
}


@dataclass
class Step:
    n: int
    step: str
    seconds: float | None
    peak_mb: float | None
    rows: int
    ok: bool = True
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rows_per_s(self) -> float | None:
        return self.rows / self.seconds if self.seconds else None


def measure(
    cmd: list[str], *, cwd: Path | None = None, timeout: float | None = None
) -> dict[str, Any]:
    """Run ``cmd`` through a fresh wrapper process, so that its RUSAGE_CHILDREN peak RSS is the
    peak of this one command. Returns wall seconds, peak MB, exit code, stdout."""
    wrapper = [sys.executable, str(Path(__file__).resolve()), "--measure-child", str(timeout or 0)]
    wrapper += ["--", *cmd]
    done = subprocess.run(
        wrapper,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=None if timeout is None else timeout + 30,
    )
    lines = done.stdout.rstrip("\n").rsplit("\n", 1)
    try:
        result: dict[str, Any] = json.loads(lines[-1])
    except (json.JSONDecodeError, IndexError):
        return {
            "seconds": None,
            "peak_mb": None,
            "rc": done.returncode,
            "stdout": done.stdout,
            "stderr": done.stderr,
            "timed_out": False,
        }
    result["stdout"] = lines[0] if len(lines) == 2 else ""
    result["stderr"] = done.stderr
    return result


def _child(cmd: list[str], timeout: float | None) -> int:
    """The wrapper: run one command, then print its wall time and peak RSS as JSON."""
    t0 = time.perf_counter()
    timed_out = False
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        rc, out, err = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as exc:
        timed_out, rc = True, -1
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = ""
    seconds = time.perf_counter() - t0
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    peak_mb = peak / (1 << 20) if sys.platform == "darwin" else peak / 1024
    sys.stderr.write(err[-4000:])
    print(out.replace("\n", " ")[-20000:])
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "rc": rc, "timed_out": timed_out}))
    return 0


# Timed inside the subprocess: the loader against a plain pyarrow read of the same files.
LOAD_SNIPPET = """
import json, sys, time
from pathlib import Path
import pyarrow.parquet as pq
root, mode, repeat = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
from belarus_timeline.load import load
best = None
for _ in range(repeat):
    t0 = time.perf_counter()
    if mode == "load":
        tl = load(root=root)
        rows = sum(len(df) for df in tl.values())
    else:
        files = sorted((root / "parquet").glob("*.parquet"))
        frames = {p.stem: pq.read_table(p).to_pandas() for p in files}
        rows = sum(len(df) for df in frames.values())
    dt = time.perf_counter() - t0
    best = dt if best is None else min(best, dt)
    tl = frames = None
print(json.dumps({"inner_seconds": best, "rows": rows}))
"""


def count_rows(root: Path) -> dict[str, int]:
    out = {}
    for p in sorted((root / "data").glob("*.csv")):
        with p.open("rb") as fh:
            out[p.stem] = sum(1 for _ in fh) - 1  # generated cells hold no line breaks
    return out


def bench_size(n: int, args: argparse.Namespace, steps: list[Step]) -> None:
    work = args.work
    root = work / f"n{n}"
    dist = work / f"dist{n}"
    print(f"== N = {n:,} events", file=sys.stderr, flush=True)
    gen = measure(
        [
            sys.executable,
            str(HERE / "generate.py"),
            "--events",
            str(n),
            "--seed",
            str(args.seed),
            "--out",
            str(root),
        ]
    )
    rows_by_table = count_rows(root)
    rows = sum(rows_by_table.values())
    steps.append(
        Step(
            n,
            "generate",
            gen["seconds"],
            gen["peak_mb"],
            rows,
            gen["rc"] == 0,
            extra={"tables": rows_by_table},
        )
    )
    _say(steps[-1])

    ours = measure([str(BIN / "belarus-timeline"), "validate", str(root)])
    steps.append(
        Step(
            n,
            "validate (ours)",
            ours["seconds"],
            ours["peak_mb"],
            rows,
            ours["rc"] == 0,
            "" if ours["rc"] == 0 else f"exit {ours['rc']}",
        )
    )
    _say(steps[-1])

    if n <= args.frictionless_max:
        fr = measure(
            [str(BIN / "frictionless"), "validate", "--json", "datapackage.json"],
            cwd=root,
            timeout=args.timeout,
        )
        valid = None
        with contextlib.suppress(json.JSONDecodeError):
            valid = json.loads(fr["stdout"])["valid"] if fr["stdout"] else None
        if fr.get("timed_out"):
            steps.append(
                Step(
                    n,
                    "validate (frictionless)",
                    None,
                    fr["peak_mb"],
                    rows,
                    False,
                    f"did not finish in {args.timeout:.0f} s",
                )
            )
        else:
            steps.append(
                Step(
                    n,
                    "validate (frictionless)",
                    fr["seconds"],
                    fr["peak_mb"],
                    rows,
                    valid is True,
                    "valid, 0 errors" if valid else f"valid={valid}",
                )
            )
    else:
        steps.append(Step(n, "validate (frictionless)", None, None, rows, True, "not run"))
    _say(steps[-1])

    if dist.exists():
        shutil.rmtree(dist)
    shutil.rmtree(root / "releases", ignore_errors=True)
    build = measure(
        [
            str(BIN / "belarus-timeline"),
            "build",
            "--root",
            str(root),
            "--dist",
            str(dist),
            "--no-exports",  # the tables (CSV + Parquet), not the exports, chart and page
        ],
        timeout=args.build_timeout,
    )
    steps.append(
        Step(
            n,
            "build (CSV + Parquet release)",
            None if build.get("timed_out") else build["seconds"],
            build["peak_mb"],
            rows,
            build["rc"] == 0,
            ""
            if build["rc"] == 0
            else f"did not finish in {args.build_timeout:.0f} s"
            if build.get("timed_out")
            else f"exit {build['rc']}: {build['stderr'][-300:]}",
        )
    )
    _say(steps[-1])

    releases = sorted(p for p in dist.glob("*") if p.is_dir()) if dist.exists() else []
    if build["rc"] == 0 and releases:
        rel = releases[0]
        for mode, label in (
            ("load", "load (belarus_timeline.load)"),
            ("raw", "read Parquet (pyarrow + to_pandas)"),
        ):
            m = measure([sys.executable, "-c", LOAD_SNIPPET, str(rel), mode, str(args.repeat)])
            inner = json.loads(m["stdout"]) if m["rc"] == 0 and m["stdout"] else {}
            steps.append(
                Step(
                    n,
                    label,
                    inner.get("inner_seconds"),
                    m["peak_mb"],
                    rows,
                    m["rc"] == 0,
                    f"best of {args.repeat}, in-process",
                )
            )
            _say(steps[-1])
    if not args.keep:
        shutil.rmtree(dist, ignore_errors=True)


def _say(s: Step) -> None:
    secs = "-" if s.seconds is None else f"{s.seconds:.2f} s"
    mem = "-" if s.peak_mb is None else f"{s.peak_mb:.0f} MB"
    print(f"  {s.step:38} {secs:>10} {mem:>9}  {s.note}", file=sys.stderr, flush=True)


def profile_validate(root: Path, top: int = 18) -> str:
    """A cProfile excerpt (by own time) of our validator on ``root``."""
    import belarus_timeline.validate.runner as v

    # cProfile sees one thread only: with one worker the validator runs every check in the
    # calling thread (same work, same report), so every check shows up.
    workers, v._WORKERS = v._WORKERS, 1
    prof = cProfile.Profile()
    prof.enable()
    v.validate_package(root)
    prof.disable()
    v._WORKERS = workers
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("tottime").print_stats(top)
    text = buf.getvalue()
    keep = [ln for ln in text.splitlines() if ln.strip()]
    start = next((i for i, ln in enumerate(keep) if "ncalls" in ln), 0)
    lines = [
        ln.replace(str(Path(sys.prefix)), "<venv>").replace(str(HERE.parent), "<repo>")
        for ln in keep[start:]
    ]
    return "\n".join(lines)


def _kept_analysis(path: Path) -> str:
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


def profile_build(root: Path, dist: Path, top: int = 40) -> str:
    """A cProfile excerpt (cumulative) of ``belarus-timeline build``: the project's functions
    and the plotting calls, which is where the time goes."""
    from belarus_timeline.cli import main as cli

    shutil.rmtree(dist, ignore_errors=True)
    shutil.rmtree(root / "releases", ignore_errors=True)
    prof = cProfile.Profile()
    prof.enable()
    cli(["build", "--root", str(root), "--dist", str(dist), "--no-exports"])
    prof.disable()
    shutil.rmtree(dist, ignore_errors=True)
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(300)
    lines = [
        ln
        for ln in buf.getvalue().splitlines()
        if "ncalls" in ln or ("belarus_timeline" in ln or "savefig" in ln or "write_table" in ln)
    ]
    return "\n".join(
        ln.replace(str(HERE.parent), "<repo>").replace(str(Path(sys.prefix)), "<venv>")
        for ln in lines[: top + 1]
    )


def machine() -> dict[str, str]:
    info = {
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        mem_kb = next(
            int(ln.split()[1])
            for ln in Path("/proc/meminfo").read_text().splitlines()
            if ln.startswith("MemTotal")
        )
        info["memory"] = f"{mem_kb / (1 << 20):.1f} GiB"
    except (OSError, StopIteration):
        info["memory"] = "unknown"
    try:
        info["cpu"] = next(
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        )
    except (OSError, StopIteration):
        info["cpu"] = platform.processor() or "unknown"
    for dist in ("belarus-timeline", "pyarrow", "pandas", "numpy", "frictionless"):
        try:
            info[dist] = dist_version(dist)
        except Exception:  # not installed
            info[dist] = "not installed"
    return info


def _fmt(x: float | None, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def extrapolate_frictionless(steps: list[Step]) -> None:
    """Fill in frictionless's time where it was not run, from its rows/s at the largest size it
    finished (its cost is linear in rows: one pass per row, hash look-ups for the keys)."""
    done = [s for s in steps if s.step == "validate (frictionless)" and s.seconds and s.ok]
    if not done:
        return
    ref = max(done, key=lambda s: s.n)
    for s in steps:
        if s.step == "validate (frictionless)" and s.seconds is None and ref.rows_per_s:
            s.extra["extrapolated"] = s.rows / ref.rows_per_s
            s.note = (
                f"not run (> {ref.n:,} events): ~{s.extra['extrapolated']:.0f} s "
                f"extrapolated from {ref.rows_per_s:,.0f} rows/s at N = {ref.n:,}"
            )


def write_results(steps: list[Step], args: argparse.Namespace, profile: str | None) -> str:
    info = machine()
    sizes = sorted({s.n for s in steps})
    by = {(s.n, s.step): s for s in steps}
    out = [
        "# Benchmark results",
        "",
        "Written by `python benchmarks/run.py` (`make bench`); do not edit by hand. Each figure is "
        "one run on a shared machine, so expect some noise; every step ran in a subprocess of "
        "its own (wall time; peak RSS of that process).",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {info['cores']} cores ({info['cpu']}), {info['memory']} RAM, "
        f"{info['platform']}",
        f"- versions: Python {info['python']}, belarus-timeline {info['belarus-timeline']}, "
        f"pyarrow {info['pyarrow']}, pandas {info['pandas']}, numpy {info['numpy']}, "
        f"frictionless {info['frictionless']}",
        f"- command: `python benchmarks/run.py --sizes {','.join(map(str, sizes))} "
        f"--seed {args.seed}`",
        "",
        "## Data",
        "",
        "Synthetic packages from `benchmarks/generate.py` (proportions in its docstring): per N "
        "events, 1.95N statements, 3N participants, 2.95N evidence spans, N/2 quotes, N/5 "
        "claims, N/2 event links with one span each, N/20 actors with 2 aliases each, N/100 "
        "cities + 10 countries, one archived source text per 100 events with 3 furniture spans. "
        "All valid for both validators.",
        "",
        "| N events | " + " | ".join(t for t in _tables(steps)) + " | total rows |",
        "|---:|" + "---:|" * (len(_tables(steps)) + 1),
    ]
    for n in sizes:
        g = by.get((n, "generate"))
        if g:
            t = g.extra.get("tables", {})
            out.append(
                f"| {n:,} | "
                + " | ".join(f"{t.get(k, 0):,}" for k in _tables(steps))
                + f" | {g.rows:,} |"
            )
    out += [
        "",
        "## Figures",
        "",
        "| N events | step | wall s | rows/s | peak RSS MB | note |",
        "|---:|---|---:|---:|---:|---|",
    ]
    for s in steps:
        secs = _fmt(s.seconds, ".2f")
        if s.seconds is None and "extrapolated" in s.extra:
            secs = f"~{s.extra['extrapolated']:.0f} (extrapolated)"
        rps = s.rows_per_s
        if rps is None and "extrapolated" in s.extra:
            rps = s.rows / s.extra["extrapolated"]
        out.append(
            f"| {s.n:,} | {s.step} | {secs} | {_fmt(rps, ',.0f')} | "
            f"{_fmt(s.peak_mb, ',.0f')} | {s.note} |"
        )
    out += [
        "",
        "## Side by side",
        "",
        "| N events | ours s | frictionless s | ours ÷ frictionless rows/s | build s | "
        "load s | raw Parquet s | load ÷ raw |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in sizes:
        ours, fr = by.get((n, "validate (ours)")), by.get((n, "validate (frictionless)"))
        b = by.get((n, "build (CSV + Parquet release)"))
        ld, raw = (
            by.get((n, "load (belarus_timeline.load)")),
            by.get((n, "read Parquet (pyarrow + to_pandas)")),
        )
        fr_s = fr.seconds if fr and fr.seconds else (fr.extra.get("extrapolated") if fr else None)
        fr_txt = _fmt(fr_s, ".1f") + (" (extrap.)" if fr and fr.seconds is None and fr_s else "")
        ratio = fr_s / ours.seconds if ours and ours.seconds and fr_s else None
        lr = ld.seconds / raw.seconds if ld and raw and ld.seconds and raw.seconds else None
        out.append(
            f"| {n:,} | {_fmt(ours.seconds if ours else None, '.2f')} | {fr_txt} | "
            f"{_fmt(ratio, '.1f')}x | {_fmt(b.seconds if b else None, '.1f')} | "
            f"{_fmt(ld.seconds if ld else None, '.2f')} | "
            f"{_fmt(raw.seconds if raw else None, '.2f')} | {_fmt(lr, '.2f')} |"
        )
    out += [
        "",
        "## Growth",
        "",
        "Seconds per million rows (flat = linear growth):",
        "",
        "| step | " + " | ".join(f"N = {n:,}" for n in sizes) + " |",
        "|---|" + "---:|" * len(sizes),
    ]
    for name in (
        "validate (ours)",
        "validate (frictionless)",
        "build (CSV + Parquet release)",
        "load (belarus_timeline.load)",
    ):
        cells = []
        for n in sizes:
            s = by.get((n, name))
            cells.append(_fmt(s.seconds / s.rows * 1e6, ".2f") if s and s.seconds else "-")
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    out += ["", "## Targets", "", *_targets(steps, sizes, by)]
    if profile:
        out += [
            "",
            f"## Profile: our validator at N = {max(sizes):,} (cProfile, by own time)",
            "",
            "Profiled in a single thread (the measured runs use a pool of threads); cProfile "
            "adds overhead, so the shares matter, not the totals. `compute.py:wrapper` lines "
            "are pyarrow compute kernels (regex, hash look-ups, joins).",
            "",
            "```",
            profile,
            "```",
        ]
    return "\n".join(out) + "\n"


def _tables(steps: list[Step]) -> list[str]:
    for s in steps:
        if s.step == "generate":
            return list(s.extra.get("tables", {}))
    return []


def _targets(steps: list[Step], sizes: list[int], by: dict[tuple[int, str], Step]) -> list[str]:
    big = max(sizes)
    ours, fr = by.get((big, "validate (ours)")), by.get((big, "validate (frictionless)"))
    b = by.get((big, "build (CSV + Parquet release)"))
    ld, raw = (
        by.get((big, "load (belarus_timeline.load)")),
        by.get((big, "read Parquet (pyarrow + to_pandas)")),
    )
    rows = ["| target (2 cores, 24 GB) | measured at N = " + f"{big:,} | met |", "|---|---:|:-:|"]

    def line(label: str, value: float | None, fmt: str, ok: bool | None) -> None:
        mark = "-" if ok is None else ("yes" if ok else "**no**")
        rows.append(f"| {label} | {_fmt(value, fmt)} | {mark} |")

    v = ours.seconds if ours else None
    line("validate ≤ 15 s wall", v, ".2f", None if v is None else v <= 15)
    m = ours.peak_mb / 1024 if ours and ours.peak_mb else None
    line("validate ≤ 3 GB peak (GB)", m, ".2f", None if m is None else m <= 3)
    fr_s = fr.seconds if fr and fr.seconds else (fr.extra.get("extrapolated") if fr else None)
    ratio = fr_s / v if fr_s and v else None
    line("≥ 30x frictionless rows/s (x)", ratio, ".1f", None if ratio is None else ratio >= 30)
    bs = b.seconds if b and b.ok else None
    line("build ≤ 45 s", bs, ".1f", None if bs is None else bs <= 45)
    lr = ld.seconds / raw.seconds if ld and raw and ld.seconds and raw.seconds else None
    line("load ≤ 1.2 x raw pyarrow read (x)", lr, ".2f", None if lr is None else lr <= 1.2)
    per = [
        by[(n, "validate (ours)")].seconds / by[(n, "validate (ours)")].rows * 1e6
        for n in sizes
        if (n, "validate (ours)") in by and by[(n, "validate (ours)")].seconds
    ]
    if len(per) > 1:
        # Linear (or better) growth: the time per row must not rise from one size to the next
        # (it may fall, as the fixed start-up cost is spread over more rows).
        worst = max(b / a for a, b in itertools.pairwise(per))
        rows.append(
            f"| validate grows at most linearly (s per M rows: "
            f"{' -> '.join(f'{p:.2f}' for p in per)}) | worst step x{worst:.2f} | "
            f"{'yes' if worst <= 1.2 else '**no**'} |"
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--measure-child"] and argv[2:3] == ["--"]:
        return _child(argv[3:], float(argv[1]) or None)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated N events")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--work", type=Path, default=HERE / "work")
    p.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    p.add_argument(
        "--frictionless-max",
        type=int,
        default=100_000,
        help="largest N to run frictionless at (beyond: extrapolated)",
    )
    p.add_argument("--timeout", type=float, default=600, help="seconds allowed to frictionless")
    p.add_argument("--build-timeout", type=float, default=600, help="seconds allowed to a build")
    p.add_argument(
        "--profile-build",
        type=int,
        default=0,
        metavar="N",
        help="also profile the build at this size (0: no)",
    )
    p.add_argument("--repeat", type=int, default=3, help="runs of each load step (best kept)")
    p.add_argument("--no-profile", action="store_true", help="skip the validator profile")
    p.add_argument("--keep", action="store_true", help="keep the built releases")
    args = p.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    steps: list[Step] = []
    sizes = [int(x) for x in args.sizes.split(",") if x]
    for n in sizes:
        bench_size(n, args, steps)
    extrapolate_frictionless(steps)
    profile = None if args.no_profile else profile_validate(args.work / f"n{max(sizes)}")
    build_profile = None
    if args.profile_build:
        build_profile = profile_build(args.work / f"n{args.profile_build}", args.work / "profdist")
    text = write_results(steps, args, profile)
    if build_profile:
        text += (
            f"\n## Profile: build at N = {args.profile_build:,} (cProfile, cumulative, "
            "project functions)\n\n```\n" + build_profile + "\n```\n"
        )
    text += _kept_analysis(args.out)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    # A step that ran out of time is a result (reported as such), not a failure.
    return 0 if all(s.ok or "did not finish" in s.note for s in steps) else 1


if __name__ == "__main__":
    sys.exit(main())
