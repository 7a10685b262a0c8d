"""The scale issue's targets, judged from one benchmark run.

Each target is judged at the size it names (1M or 10M events). A size the run did not include
is "not measured" (the figure at the nearest smaller size is shown for what it is); a step
killed by the memory guard, stopped by its timeout or failed is "not met", with what it reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from results import (
    BUILD,
    BUILD_FLOOR,
    FRICTIONLESS,
    FULL,
    LOAD,
    RAW,
    READ_FLOOR,
    STRUCT_OURS,
    STRUCT_PANDERA,
    TEN_M,
    VALIDATE,
    M,
    Step,
    Steps,
    cost_per_m,
    fmt,
)

# The issue's Targets table (2 cores, 24 GB).
TARGETS: dict[str, float] = {
    "validate_10m_s": 90,
    "validate_10m_gb": 6,
    "build_10m_s": 8 * 60,
    "build_10m_gb": 6,
    "validate_vs_floor": 3,
    "vs_frictionless": 40,
    "vs_pandera": 10,
    "build_vs_floor": 3,
    "load_vs_raw": 1.1,
    "full_build_s": 120,
}
# "Flat" cost per million rows: no size costs more than this times the cost at 100k (noise).
FLAT_TOLERANCE = 1.25
Profiles = dict[str, tuple[int, list[Any]]]  # kind -> (N, [[function, seconds], ...])


@dataclass
class Judged:
    target: str
    n: int | None  # the size judged at
    measured: str
    met: bool | None  # None: not measured
    bound: str


def _at(sizes: list[int], want: int) -> tuple[int | None, bool]:
    """The size to show for a target at ``want`` events, and whether it is ``want`` itself."""
    smaller = [n for n in sizes if n <= want]
    return (max(smaller) if smaller else None), want in sizes


def _gb(s: Step) -> float | None:
    return s.peak_mb / 1024 if s.peak_mb is not None else None


def _top(profiles: Profiles, kind: str, k: int = 3) -> str:
    if kind not in profiles:
        return ""
    n, top = profiles[kind]
    items = ", ".join(f"`{f.rsplit('/', 1)[-1]}` {s:.2f} s" for f, s in top[:k])
    return f"{kind.removesuffix('-large')} profile at N = {n:,}: {items}"


def _per_m_gb(by: Steps, step: str) -> str:
    """How the step's peak memory grows: GB per million rows between the two largest sizes where
    it finished, and what that makes at 10M events (rows scaled from the largest size: the
    generator's proportions are fixed)."""
    done = sorted(
        (s for (_, name), s in by.items() if name == step and s.ok and s.peak_mb and s.rows),
        key=lambda x: x.n,
    )
    if len(done) < 2:
        return ""
    a, b = done[-2], done[-1]
    assert a.peak_mb is not None and b.peak_mb is not None
    per = (b.peak_mb - a.peak_mb) / 1024 / (b.rows - a.rows) * 1e6
    rows_10m = b.rows / b.n * TEN_M
    at_10m = b.peak_mb / 1024 + per * (rows_10m - b.rows) / 1e6
    return (
        f"peak grows {per:.2f} GB per million rows (N = {a.n:,} to {b.n:,}: "
        f"{a.peak_mb / 1024:.2f} to {b.peak_mb / 1024:.2f} GB), so ~{at_10m:.0f} GB for the "
        f"{rows_10m / 1e6:.0f}M rows of 10M events"
    )


def _ten_m(by: Steps, sizes: list[int], step: str, profiles: Profiles) -> Judged:
    kind = "validate" if step == VALIDATE else "build"
    secs, gb = TARGETS[f"{kind}_10m_s"], TARGETS[f"{kind}_10m_gb"]
    what = "validate" if kind == "validate" else "tables-only build"
    label = f"10M events: {what} ≤ {secs:g} s wall and ≤ {gb:g} GB peak"
    memory = _per_m_gb(by, step)
    s = by.get((TEN_M, step))
    if s is None:
        n, _ = _at(sizes, TEN_M)
        shown = by.get((n, step)) if n else None
        text = "-"
        if n and shown and shown.ok:
            text = f"at N = {n:,}: {fmt(shown.seconds, '.1f')} s, {fmt(_gb(shown), '.1f')} GB"
        bound = "; ".join(x for x in ("not run at 10M (`make bench-10m`)", memory) if x)
        return Judged(label, n, text, None, bound)
    # The validator's profile at the largest size (read in batches there) where it was taken;
    # a build validates first, then writes.
    large = _top(profiles, "validate-large", 4)
    bound = (large or _top(profiles, kind)) if kind == "validate" else _top(profiles, kind)
    if kind == "build" and large:
        bound = f"{bound}; its validation's {large}" if bound else large
    if not s.ok:
        return Judged(label, TEN_M, s.note, False, "; ".join(x for x in (memory, bound) if x))
    g = _gb(s)
    met = s.seconds is not None and s.seconds <= secs and g is not None and g <= gb
    text = f"{fmt(s.seconds, '.1f')} s, {fmt(g, '.1f')} GB"
    return Judged(label, TEN_M, text, met, "; ".join(x for x in (memory, bound) if x))


def _flat(by: Steps, sizes: list[int]) -> Judged:
    label = "cost per million rows flat from 100k to 10M (validate, build, load)"
    big = [n for n in sizes if n >= 100_000]
    worst, parts, broken = 0.0, [], False
    for step, name in ((VALIDATE, "validate"), (BUILD, "build"), (LOAD, "load")):
        costs = [cost_per_m(by.get((n, step))) for n in big]
        broken |= any(c is None for c in costs)
        parts.append(f"{name} " + " → ".join(fmt(c, ".2f") for c in costs))
        known = [c for c in costs if c is not None]
        # A rise against the cheapest smaller size: fixed costs (start-up, imports) make the
        # smallest size dear, and against it alone a rise further up would hide.
        for j in range(1, len(known)):
            worst = max(worst, known[j] / min(known[:j]))
    if len(big) < 2:
        return Judged(label, None, "-", None, "needs two sizes from 100k up")
    measured = "; ".join(parts) + f" s per M rows (N = {', '.join(f'{n:,}' for n in big)})"
    if broken or worst > FLAT_TOLERANCE:
        why = "a step did not finish" if broken else f"worst rise x{worst:.2f}"
        return Judged(label, max(big), measured, False, why)
    met = True if TEN_M in big else None  # flat so far, but the target is to 10M
    bound = f"worst rise x{worst:.2f} (tolerance x{FLAT_TOLERANCE:g})"
    return Judged(
        label, max(big), measured, met, bound + ("" if met else "; 10M: `make bench-10m`")
    )


def _ratio(
    by: Steps,
    sizes: list[int],
    label: str,
    pair: tuple[str, str],
    limit: float,
    at_least: bool,
    bound: str,
) -> Judged:
    """A target on the ratio of two steps' times at 1M (``at_least``: ratio ≥ limit)."""
    num, den = pair
    n, exact = _at(sizes, M)
    a, b = (by.get((n, num)), by.get((n, den))) if n else (None, None)
    if a is None or b is None:
        return Judged(label, n, "-", None, "not run")
    figures = f"{num}: {fmt(a.time, '.2f')} s, {den}: {fmt(b.time, '.2f')} s"
    if not b.ok:
        return Judged(label, n, f"{den}: {b.note}", False if exact else None, bound)
    if not a.ok:
        if at_least and a.status == "timeout" and a.seconds and b.time:
            # A slower tool that did not finish: its ratio is at least the timeout's. Below
            # the limit, that bound decides nothing (the run.py default gives it time to).
            r = a.seconds / b.time
            met = (True if r >= limit else None) if exact else None
            return Judged(label, n, f"> {r:.1f}x ({a.note})", met, bound)
        return Judged(label, n, f"{num}: {a.note}", False if exact else None, bound)
    r = (a.time or 0) / (b.time or 1)
    met = (r >= limit if at_least else r <= limit) if exact else None
    text = f"{r:.2f}x" + ("" if exact else f" (at N = {n:,}; 1M not run)")
    return Judged(label, n, text, met, f"{figures}; {bound}" if bound else figures)


def _full(by: Steps, sizes: list[int], profiles: Profiles) -> Judged:
    label = f"1M: the full release with exports, chart and page ≤ {TARGETS['full_build_s']:g} s"
    n, exact = _at(sizes, M)
    s, tables = (by.get((n, FULL)), by.get((n, BUILD))) if n else (None, None)
    if s is None:
        return Judged(label, n, "-", None, "not run")
    bound = _top(profiles, "full")
    if not s.ok:
        return Judged(label, n, s.note, False if exact else None, bound)
    assert s.seconds is not None
    split = ""
    if tables and tables.ok and tables.seconds:
        split = (
            f"tables-only build {tables.seconds:.1f} s + exports, chart and page "
            f"{s.seconds - tables.seconds:.1f} s; "
        )
    met = s.seconds <= TARGETS["full_build_s"] if exact else None
    return Judged(label, n, f"{s.seconds:.1f} s", met, split + bound)


def judge(by: Steps, sizes: list[int], profiles: Profiles) -> list[Judged]:
    """Every target of the issue, in its order."""
    t = TARGETS
    return [
        _ten_m(by, sizes, VALIDATE, profiles),
        _ten_m(by, sizes, BUILD, profiles),
        _flat(by, sizes),
        _ratio(
            by,
            sizes,
            f"1M: validate ≤ {t['validate_vs_floor']:g}x the pyarrow read floor of the same files",
            (VALIDATE, READ_FLOOR),
            t["validate_vs_floor"],
            False,
            _top(profiles, "validate"),
        ),
        _ratio(
            by,
            sizes,
            f"1M: ≥ {t['vs_frictionless']:g}x frictionless rows/s, both run in this benchmark",
            (FRICTIONLESS, VALIDATE),
            t["vs_frictionless"],
            True,
            _top(profiles, "validate"),
        ),
        _ratio(
            by,
            sizes,
            f"1M: ≥ {t['vs_pandera']:g}x pandera (polars backend) on the structural checks it "
            "can express",
            (STRUCT_PANDERA, STRUCT_OURS),
            t["vs_pandera"],
            True,
            "times inside the process: read + checks, imports excluded",
        ),
        _ratio(
            by,
            sizes,
            f"1M: tables-only build ≤ {t['build_vs_floor']:g}x the plain-pyarrow floor",
            (BUILD, BUILD_FLOOR),
            t["build_vs_floor"],
            False,
            _top(profiles, "build", 5),
        ),
        _ratio(
            by,
            sizes,
            f"1M: `load()` ≤ {t['load_vs_raw']:g}x the raw read",
            (LOAD, RAW),
            t["load_vs_raw"],
            False,
            _top(profiles, "load"),
        ),
        _full(by, sizes, profiles),
    ]


def render(judged: list[Judged]) -> list[str]:
    """The targets as a Markdown table."""
    out = ["| target | N | measured | met | bounded by |", "|---|---:|---|:-:|---|"]
    for j in judged:
        met = "not measured" if j.met is None else ("yes" if j.met else "**no**")
        n = "-" if j.n is None else f"{j.n:,}"
        out.append(f"| {j.target} | {n} | {j.measured} | {met} | {j.bound} |")
    return out
