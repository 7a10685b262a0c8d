"""The scale benchmark: every target of the scale issue measured side by side in one run.

    python benchmarks/run.py                       # make bench: N = 10k, 100k, 1M
    python benchmarks/run.py --sizes 100000,1000000,10000000   # make bench-10m
    python benchmarks/run.py --sizes 200 --work W --out R.md    # a smoke run
    python benchmarks/run.py --sizes 10000000 --generate-only  # generate now, measure later

For each N it generates a valid package (``benchmarks/generate.py``, same seed every run, in
bounded memory; a package generated earlier by the same code, N and seed, its data files
untouched, is reused: ``--regenerate`` to force) and measures, each step in a process tree of
its own under the memory guard of ``benchmarks/measure.py`` (killed above ``--mem-cap-gb``,
and then reported as killed at that size after that time):

- the read floor: ``pyarrow.csv.read_csv`` of every table (``benchmarks/steps.py read-floor``);
- ``belarus-timeline validate`` (our validator, the CLI);
- the structural checks pandera can express, by our validator and by pandera (polars backend)
  with a schema generated from our Table Schemas (``benchmarks/pandera_schema.py``), up to
  ``--pandera-max`` events;
- ``frictionless validate`` on the same package, up to ``--frictionless-max`` events and
  ``--timeout`` seconds (never extrapolated);
- the build floor in plain pyarrow (read + Parquet + CSV + sha256), against
  ``belarus-timeline build --no-exports`` (the tables-only release);
- ``belarus_timeline.load.load`` against ``pq.read_table(...).to_pandas()`` of the same files;
- ``belarus-timeline build`` with exports, chart and page, up to ``--full-build-max`` events;

then profiles (cProfile) of the validator, the build and the loader at the largest size up to
``--profile-max``, of the validator again at the largest size up to ``--large-profile-max``
(10M events: there tables are read in batches, another path), and of the full build up to
``--full-profile-max``. It writes
``benchmarks/RESULTS.md``: every target marked met / not met / not measured with the figure or
profile that bounds it, every figure, ratios and the cost per million rows; the hand-written
"## Analysis" section of the previous file is kept. Work folders go under ``benchmarks/work/``
(git-ignored). Nothing is asserted: the figures are measured and reported.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from belarus_timeline.release import PARQUET_OPTIONS
from measure import measure
from results import (
    BUILD,
    BUILD_FLOOR,
    FRICTIONLESS,
    FULL,
    GENERATE,
    LOAD,
    RAW,
    READ_FLOOR,
    STRUCT_OURS,
    STRUCT_PANDERA,
    VALIDATE,
    Step,
    kept_analysis,
    machine,
    write_results,
)
from targets import TARGETS, Profiles, judge, render

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
STEPS = [sys.executable, str(HERE / "steps.py")]


class Bench:
    """One run: its options, the steps measured so far and the profiles taken."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.steps: list[Step] = []
        self.profiles: Profiles = {}
        self.profile_text: dict[str, tuple[int, str]] = {}

    def run(
        self,
        n: int,
        name: str,
        cmd: list[str],
        rows: int,
        *,
        timeout: float | None = None,
        cwd: Path | None = None,
    ) -> tuple[Step, dict[str, Any]]:
        """Measure one step under the memory guard; a step's own JSON line (``steps.py``)
        gives its inner time. Killed, timed-out and failed steps are results too."""
        timeout = timeout or self.args.step_timeout
        cap_gb = self.args.mem_cap_gb
        m = measure(cmd, cap_mb=cap_gb * 1024, timeout=timeout, cwd=cwd)
        lines = m["stdout"].strip().splitlines()
        found: dict[str, Any] = {}
        if lines and lines[-1].startswith("{"):
            try:
                found = json.loads(lines[-1])
            except json.JSONDecodeError:
                found = {}
        status, note = "ok", ""
        if m["killed"]:
            status = "killed"
            note = (
                f"killed at {m['killed_at_mb'] / 1024:.1f} GB after {m['seconds']:.0f} s "
                f"(memory cap {cap_gb:g} GB)"
            )
        elif m["timed_out"]:
            status, note = "timeout", f"did not finish in {timeout:.0f} s"
        elif m["rc"] != 0:
            last = (m["stderr"].strip().splitlines() or [""])[-1][:200]
            status, note = "failed", f"exit {m['rc']}: {last}"
        step = Step(n, name, m["seconds"], m["peak_mb"], rows, status, note)
        step.inner = found.get("inner_seconds")
        self.steps.append(step)
        return step, found

    def skip(self, n: int, name: str, rows: int, why: str) -> None:
        self.steps.append(Step(n, name, None, None, rows, "skipped", why))


def count_rows(root: Path) -> tuple[dict[str, int], float]:
    """Rows per table (generated cells hold no line breaks) and the CSV files' MB."""
    rows, size = {}, 0
    for p in sorted((root / "data").glob("*.csv")):
        lines = 0
        with p.open("rb") as fh:
            while chunk := fh.read(1 << 24):
                lines += chunk.count(b"\n")
        rows[p.stem], size = lines - 1, size + p.stat().st_size
    return rows, size / 1e6


def _say(s: Step) -> None:
    secs = "-" if s.seconds is None or not s.ok else f"{s.seconds:.2f} s"
    mem = "-" if s.peak_mb is None else f"{s.peak_mb:.0f} MB"
    note = s.note if s.ok else f"{s.status}: {s.note}"
    print(f"  {s.step:38} {secs:>10} {mem:>9}  {note}", file=sys.stderr, flush=True)


def _decisive(steps: list[Step], n: int, timeout: float) -> float:
    """Seconds allowed to frictionless: ``timeout``, or more where that is too short to tell
    the "40x faster" target (a little over 40 times our validator's time at ``n``), so
    that its run either finishes or proves the target by running out."""
    ours = next((s for s in steps if s.n == n and s.step == VALIDATE and s.ok), None)
    if ours is None or ours.seconds is None:
        return timeout
    return max(timeout, TARGETS["vs_frictionless"] * ours.seconds * 1.05)


def validate_steps(b: Bench, n: int, root: Path, rows: int) -> None:
    """The read floor, our validator, the structural checks by us and pandera, frictionless."""
    a = b.args
    _say(b.run(n, READ_FLOOR, [*STEPS, "read-floor", str(root)], rows)[0])
    _say(b.run(n, VALIDATE, [str(BIN / "belarus-timeline"), "validate", str(root)], rows)[0])
    if n <= a.pandera_max:
        s, found = b.run(n, STRUCT_OURS, [*STEPS, "structural", str(root)], rows)
        s.note = f"{found.get('findings', '?')} findings" if s.ok else s.note
        _say(s)
        s, found = b.run(n, STRUCT_PANDERA, [*STEPS, "pandera", str(root)], rows)
        s.note = f"{found.get('findings', '?')} failure cases" if s.ok else s.note
    else:
        # Only a comparison with pandera (whole tables in memory, as pandera holds them).
        for step in (STRUCT_OURS, STRUCT_PANDERA):
            b.skip(n, step, rows, f"not run above {a.pandera_max:,} events")
    _say(b.steps[-1])
    if n <= a.frictionless_max:
        cmd = [str(BIN / "frictionless"), "validate", "datapackage.json"]
        s, _ = b.run(n, FRICTIONLESS, cmd, rows, timeout=_decisive(b.steps, n, a.timeout), cwd=root)
        s.note = "valid, 0 errors" if s.ok else s.note
    else:
        b.skip(n, FRICTIONLESS, rows, f"not run above {a.frictionless_max:,} events")
    _say(b.steps[-1])


def build_steps(b: Bench, n: int, root: Path, rows: int) -> Path | None:
    """The build floor and our tables-only build; returns the release folder, if built."""
    a = b.args
    floor, dist = a.work / f"floor{n}", a.work / f"dist{n}"
    shutil.rmtree(floor, ignore_errors=True)
    options = json.dumps(PARQUET_OPTIONS)
    _say(b.run(n, BUILD_FLOOR, [*STEPS, "build-floor", str(root), str(floor), options], rows)[0])
    shutil.rmtree(floor, ignore_errors=True)
    shutil.rmtree(dist, ignore_errors=True)
    shutil.rmtree(root / "releases", ignore_errors=True)  # each build is a first release
    cmd = [str(BIN / "belarus-timeline"), "build", "--root", str(root), "--dist", str(dist)]
    s, _ = b.run(n, BUILD, [*cmd, "--no-exports"], rows, timeout=a.build_timeout)
    _say(s)
    releases = sorted(p for p in dist.glob("*") if p.is_dir()) if dist.exists() else []
    return releases[0] if s.ok and releases else None


def load_steps(b: Bench, n: int, release: Path | None, rows: int) -> None:
    for name, mode in ((LOAD, "load"), (RAW, "raw")):
        if release is None:
            b.skip(n, name, rows, "no release: the build did not finish")
        else:
            s, _ = b.run(n, name, [*STEPS, mode, str(release), str(b.args.repeat)], rows)
            s.note = f"best of {b.args.repeat}, in-process" if s.ok else s.note
        _say(b.steps[-1])


def full_build(b: Bench, n: int, root: Path, rows: int) -> None:
    a = b.args
    if n > a.full_build_max:
        b.skip(n, FULL, rows, f"not run above {a.full_build_max:,} events")
    else:
        dist = a.work / f"full{n}"
        shutil.rmtree(dist, ignore_errors=True)
        shutil.rmtree(root / "releases", ignore_errors=True)
        cmd = [str(BIN / "belarus-timeline"), "build", "--root", str(root), "--dist", str(dist)]
        b.run(n, FULL, cmd, rows, timeout=a.full_build_timeout)
        if not a.keep:
            shutil.rmtree(dist, ignore_errors=True)
    _say(b.steps[-1])


def profile(b: Bench, n: int, kind: str, args: list[str]) -> None:
    """A cProfile excerpt (``benchmarks/profiling.py``), under the memory guard too; ``args``
    end with the file the excerpt is written to."""
    step = {"full": "profile-build", "validate-large": "profile-validate"}.get(
        kind, f"profile-{kind}"
    )
    s, found = b.run(n, f"profile {kind}", [*STEPS, step, *args], 0)
    b.steps.remove(s)  # not a measured step of the report
    out = Path(args[-1] if args[-1] != "--exports" else args[-2])
    if s.ok and out.is_file():
        b.profiles[kind] = (n, found.get("top", []))
        b.profile_text[kind] = (n, out.read_text(encoding="utf-8").rstrip("\n"))
    else:
        print(f"  profile {kind}: {s.status} {s.note}", file=sys.stderr)


def bench_size(b: Bench, n: int) -> None:
    a = b.args
    root = a.work / f"n{n}"
    print(f"== N = {n:,} events", file=sys.stderr, flush=True)
    stamp = _stamp(n, a.seed, root)
    if not a.regenerate and _read_stamp(root) == stamp:
        # The generator is deterministic: a package it wrote with the same N, seed and code
        # (and data files untouched since) is the package it would write again.
        s = Step(n, GENERATE, None, None, 0, "skipped", "reused: same generator, N and seed")
        b.steps.append(s)
    else:
        gen = [sys.executable, str(HERE / "generate.py"), "--events", str(n)]
        gen += ["--seed", str(a.seed), "--out", str(root)]
        s, _ = b.run(n, GENERATE, gen, 0)
        if s.ok:
            _write_stamp(root, _stamp(n, a.seed, root))
    if s.ok or s.status == "skipped":
        s.extra["tables"], s.extra["csv_mb"] = count_rows(root)
        s.rows = sum(s.extra["tables"].values())
    _say(s)
    if not (s.ok or s.status == "skipped") or a.generate_only:
        return
    validate_steps(b, n, root, s.rows)
    release = build_steps(b, n, root, s.rows)
    load_steps(b, n, release, s.rows)
    full_build(b, n, root, s.rows)
    prof, pdist = str(a.work / f"profile-{n}.txt"), str(a.work / "profdist")
    if n == a.profile_n:
        profile(b, n, "validate", [str(root), prof])
        profile(b, n, "build", [str(root), pdist, prof])
        if release is not None:
            profile(b, n, "load", [str(release), prof])
    if n == a.large_profile_n:
        profile(b, n, "validate-large", [str(root), prof])
    if n == a.full_profile_n:
        profile(b, n, "full", [str(root), pdist, prof, "--exports"])
    if not a.keep:
        shutil.rmtree(a.work / f"dist{n}", ignore_errors=True)


STAMP = ".generated.json"


def _stamp(n: int, seed: int, root: Path) -> dict[str, Any]:
    """What a generated package is: the generator's code, N, seed, and its data files' sizes
    and modification times (an edited file makes the stamp differ)."""
    code = hashlib.sha256((HERE / "generate.py").read_bytes()).hexdigest()
    files = {
        p.relative_to(root).as_posix(): [p.stat().st_size, p.stat().st_mtime_ns]
        for p in sorted([root / "datapackage.json", *(root / "data").glob("*.csv")])
        if p.is_file()
    }
    return {"events": n, "seed": seed, "generator_sha256": code, "files": files}


def _read_stamp(root: Path) -> dict[str, Any] | None:
    try:
        found = json.loads((root / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _write_stamp(root: Path, stamp: dict[str, Any]) -> None:
    (root / STAMP).write_text(json.dumps(stamp, indent=1), encoding="utf-8")


def parse(argv: list[str]) -> argparse.Namespace:
    mem = machine()["memory"]
    total_gb = float(mem.split()[0]) if mem != "unknown" else 24.0
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated N events")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--work", type=Path, default=HERE / "work")
    p.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    p.add_argument(
        "--mem-cap-gb",
        type=float,
        default=min(20.0, round(0.85 * total_gb, 1)),
        help="kill a step whose process tree holds more (default: 20, or 85%% of the RAM)",
    )
    p.add_argument(
        "--frictionless-max", type=int, default=1_000_000, help="largest N to run frictionless at"
    )
    p.add_argument("--pandera-max", type=int, default=1_000_000, help="largest N to run pandera at")
    p.add_argument(
        "--full-build-max",
        type=int,
        default=1_000_000,
        help="largest N to build the full release at",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=900,
        help="seconds allowed to frictionless (more where 40x ours needs it)",
    )
    p.add_argument("--build-timeout", type=float, default=1800, help="seconds, tables-only build")
    p.add_argument("--full-build-timeout", type=float, default=900, help="seconds, full build")
    p.add_argument("--step-timeout", type=float, default=3600, help="seconds, any other step")
    p.add_argument("--repeat", type=int, default=3, help="runs of each load step (best kept)")
    p.add_argument(
        "--profile-max",
        type=int,
        default=1_000_000,
        help="profile at the largest size up to this N",
    )
    p.add_argument(
        "--large-profile-max",
        type=int,
        default=10_000_000,
        help="also profile the validator at the largest size above --profile-max up to this N "
        "(where tables are read in batches; cProfile took 365 s and 422 s at 10M here)",
    )
    p.add_argument(
        "--full-profile-max", type=int, default=100_000, help="the same for the full build"
    )
    p.add_argument("--no-profile", action="store_true", help="skip the profiles")
    p.add_argument("--keep", action="store_true", help="keep the built releases")
    p.add_argument(
        "--regenerate",
        action="store_true",
        help="generate each package again even when the one in --work is current",
    )
    p.add_argument(
        "--generate-only",
        action="store_true",
        help="only generate the packages (a later run reuses them); writes no results",
    )
    args = p.parse_args(argv)
    args.sizes = sorted({int(x) for x in args.sizes.split(",") if x})
    if not args.sizes or min(args.sizes) < 2:
        p.error("--sizes: at least one size, each of at least 2 events")

    def largest(limit: int) -> int | None:
        fit = [n for n in args.sizes if n <= limit]
        return None if args.no_profile or not fit else max(fit)

    args.profile_n = largest(args.profile_max)
    large = largest(args.large_profile_max)
    args.large_profile_n = large if large is not None and large != args.profile_n else None
    args.full_profile_n = largest(min(args.full_profile_max, args.full_build_max))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(list(sys.argv[1:] if argv is None else argv))
    args.work.mkdir(parents=True, exist_ok=True)
    b = Bench(args)
    for n in args.sizes:
        bench_size(b, n)
    if args.generate_only:
        return 0 if all(s.status != "failed" for s in b.steps) else 1
    # The options as given (timeouts, maxima...), then the resolved ones that shape every figure.
    given = " ".join(
        "<path>" if Path(a).is_absolute() else a for a in (sys.argv[1:] if argv is None else argv)
    )
    command = (
        f"python benchmarks/run.py {given}".rstrip()
        + f" (sizes {','.join(map(str, args.sizes))}, seed {args.seed}, "
        f"memory cap {args.mem_cap_gb:g} GB)"
    )
    text = write_results(
        b.steps,
        command=command,
        cap_gb=args.mem_cap_gb,
        targets=lambda by, sizes: render(judge(by, sizes, b.profiles)),
        profiles=b.profile_text,
        analysis=kept_analysis(args.out),
    )
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    # A step killed, timed out or skipped is a result (reported as such); a failure is not.
    return 0 if all(s.status != "failed" for s in b.steps) else 1


if __name__ == "__main__":
    sys.exit(main())
