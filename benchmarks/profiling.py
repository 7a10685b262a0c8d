"""cProfile excerpts for the benchmark report: what bounds our validator, build and loader.

Run through ``benchmarks/steps.py profile-...`` (a process of its own, under the memory guard).
cProfile sees one thread only, so the profiled run does its work in the calling thread: the
validator with one worker (the same checks, the same report), the build with its thread pool
replaced by one that runs each job at once. The shares matter, not the totals (cProfile adds
overhead). Paths are shown relative to ``<repo>``, ``<venv>`` and ``<python>``.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from belarus_timeline import tablefiles
from belarus_timeline.cli import main as cli
from belarus_timeline.load import load
from belarus_timeline.validate import runner

REPO = Path(__file__).resolve().parent.parent


class InThread:
    """A stand-in for ThreadPoolExecutor that runs every job at once in the calling thread."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __enter__(self) -> InThread:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller through the future, as a pool does
            future.set_exception(exc)
        return future

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any]) -> Iterator[Any]:
        return map(fn, *iterables)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        return None


def _clean(text: str) -> str:
    for path, name in (
        (sys.prefix, "<venv>"),
        (str(REPO), "<repo>"),
        (sys.base_prefix, "<python>"),
    ):
        text = text.replace(path, name)
    return text


def _label(func: tuple[str, int, str]) -> str:
    file, line, name = func
    if file == "~":  # a built-in
        return name
    return f"{_clean(file).replace('<venv>/lib/python3.11/site-packages/', '')}:{line}({name})"


def _profiled(run: Callable[[], object]) -> tuple[pstats.Stats, float]:
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    run()
    prof.disable()
    return pstats.Stats(prof), time.perf_counter() - t0


def _excerpt(stats: pstats.Stats, sort: str, top: int, keep: Callable[[str], bool]) -> str:
    buf = io.StringIO()
    stats.stream = buf  # type: ignore[attr-defined]
    stats.sort_stats(sort).print_stats(400)
    lines = [ln for ln in buf.getvalue().splitlines() if ln.strip()]
    start = next((i for i, ln in enumerate(lines) if "ncalls" in ln), 0)
    body = [ln for ln in lines[start + 1 :] if keep(ln)]
    return _clean("\n".join([lines[start], *body[:top]]))


def _top(
    stats: pstats.Stats, key: int, n: int, keep: Callable[[tuple[str, int, str], float], bool]
) -> list[Any]:
    """The ``n`` heaviest functions ``keep`` keeps, by own time (key 2) or cumulative (key 3)."""
    rows = [
        (_label(func), float(v[key]))
        for func, v in stats.stats.items()  # type: ignore[attr-defined]
        if keep(func, float(v[key]))
    ]
    return [list(r) for r in sorted(rows, key=lambda r: -r[1])[:n]]


def _kernels_to_callers(stats: pstats.Stats) -> list[Any]:
    """By own time, the heaviest functions, where the time of pyarrow's compute wrappers (one
    generic ``compute.py:wrapper`` for every kernel) is counted to the function that called the
    kernel: what a reader can act on."""
    table = stats.stats  # type: ignore[attr-defined]
    own: dict[str, float] = {}

    def kernel(func: tuple[str, int, str]) -> bool:
        return func[0].replace("\\", "/").endswith("pyarrow/compute.py")

    def count(func: tuple[str, int, str], seconds: float, depth: int) -> None:
        """``seconds`` of a kernel wrapper's own time, shared among its callers by what each
        called (a wrapper called by another wrapper: up to that one's callers)."""
        callers = table[func][4] if func in table else {}
        total = sum(float(c[3]) for c in callers.values())
        if not callers or not total or depth > 8:
            own["pyarrow kernels"] = own.get("pyarrow kernels", 0.0) + seconds
            return
        for caller, c in callers.items():
            share = seconds * float(c[3]) / total
            if kernel(caller):
                count(caller, share, depth + 1)
            else:
                label = f"{_label(caller)} in Arrow kernels"
                own[label] = own.get(label, 0.0) + share

    for func, v in table.items():
        if kernel(func):
            count(func, float(v[2]), 0)
        else:
            own[_label(func)] = own.get(_label(func), 0.0) + float(v[2])
    return [list(r) for r in sorted(own.items(), key=lambda r: -r[1])[:4]]


def profile_validate(root: Path) -> tuple[pstats.Stats, float]:
    workers, runner._WORKERS = runner._WORKERS, 1
    try:
        return _profiled(lambda: runner.validate_package(root))
    finally:
        runner._WORKERS = workers


def profile_build(root: Path, dist: Path, exports: bool) -> tuple[pstats.Stats, float]:
    shutil.rmtree(dist, ignore_errors=True)
    shutil.rmtree(root / "releases", ignore_errors=True)
    argv = ["build", "--root", str(root), "--dist", str(dist)]
    argv += [] if exports else ["--no-exports"]
    workers, runner._WORKERS = runner._WORKERS, 1
    pool, tablefiles.ThreadPoolExecutor = tablefiles.ThreadPoolExecutor, InThread  # type: ignore[misc]
    try:
        return _profiled(lambda: cli(argv))
    finally:
        runner._WORKERS, tablefiles.ThreadPoolExecutor = workers, pool  # type: ignore[misc]
        shutil.rmtree(dist, ignore_errors=True)
        shutil.rmtree(root / "releases", ignore_errors=True)


def _anything(func: tuple[str, int, str], seconds: float) -> bool:
    return True


def run_profile(step: str, args: list[str]) -> dict[str, Any]:
    """``profile-validate ROOT OUT``, ``profile-build ROOT DIST OUT [--exports]`` or
    ``profile-load RELEASE OUT``: writes the excerpt to OUT, returns the top functions."""
    if step == "profile-validate":
        stats, seconds = profile_validate(Path(args[0]))
        text, top = _excerpt(stats, "tottime", 18, lambda ln: True), _kernels_to_callers(stats)
    elif step == "profile-build":
        stats, seconds = profile_build(Path(args[0]), Path(args[1]), "--exports" in args)

        def phase(func: tuple[str, int, str], cumulative: float) -> bool:
            # The project's functions below the callers of everything (cli, build_release).
            return "belarus_timeline" in func[0] and cumulative < 0.8 * seconds

        # By cumulative time: what each phase costs, its callees included.
        text = _excerpt(stats, "cumulative", 40, lambda ln: "belarus_timeline" in ln)
        top = _top(stats, 3, 5, phase)
    elif step == "profile-load":
        stats, seconds = _profiled(lambda: load(root=Path(args[0])))
        text, top = _excerpt(stats, "tottime", 14, lambda ln: True), _top(stats, 2, 4, _anything)
    else:
        raise SystemExit(f"unknown step {step!r}")
    out = Path(args[2] if step == "profile-build" else args[1])
    out.write_text(text + "\n", encoding="utf-8")
    return {"inner_seconds": seconds, "top": top}
