"""Every export, the chart (PNG, SVG) and ``timeline.html`` of a package, written two at a
time: most of their work is in Arrow's kernels and zlib, which let go of the GIL."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TypeVar

from belarus_timeline.files import atomic_write
from belarus_timeline.outputs.catalog import dataset
from belarus_timeline.outputs.columnar import shared_package
from belarus_timeline.outputs.columnpage import column_page_chunks, light_view, spread
from belarus_timeline.outputs.formats import EXPORT_PATHS, FORMATS, _chunks, _encoded
from belarus_timeline.outputs.page import page_chunks
from belarus_timeline.outputs.spread import Spread
from belarus_timeline.outputs.views import TimelineView, build_view
from belarus_timeline.package import DataPackage

_Write = Callable[[Path, bytes | Iterable[bytes]], Path]


def write_all(
    root: Path, out_dir: Path, *, sources_root: Path | None = None, write: _Write = atomic_write
) -> list[Path]:
    """Write every export, the chart (PNG, SVG) and ``timeline.html`` into ``out_dir``.

    ``sources_root`` is the folder the sources' ``archive_path`` is relative to (the repository,
    when ``root`` is a release folder without ``sources/``); it defaults to ``root``. The same
    package always gives byte-identical files. Returns the paths written, in a fixed order.
    ``write(path, data)`` writes each file (a release's also takes what its zip needs).
    """
    # matplotlib is an optional, heavy dependency: import the chart only when writing it.
    from belarus_timeline.outputs.chart import MAX_MARKED_EVENTS, chart_bytes

    charts = chart_bytes, MAX_MARKED_EVENTS
    # The view and the exports make millions of objects and no reference cycles: the cyclic
    # garbage collector's full passes over them would only cost time (about a tenth).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _write_all(Path(root), Path(out_dir), sources_root, charts, write)
    finally:
        if collecting:
            gc.enable()


#: Files written side by side. Their work is mostly in Arrow's kernels and zlib (on the
#: side, see ``files.Sidecar``), which let go of the GIL: two writers keep two cores busy.
WRITERS = 2

T = TypeVar("T")


def _once(make: Callable[[], T]) -> Callable[[], T]:
    """``make()`` on the first call, the same object after; made once whatever the threads."""
    lock = threading.Lock()
    made: list[T] = []

    def get() -> T:
        with lock:
            if not made:
                made.append(make())
        return made[0]

    return get


def _write_all(
    root: Path,
    out_dir: Path,
    sources_root: Path | None,
    chart: tuple[Callable[[TimelineView, Spread | None], tuple[bytes, bytes]], int],
    write: _Write,
) -> list[Path]:
    # The whole view (every event as objects) only where the columns do not write the same.
    full = _once(partial(build_view, root))
    chart_bytes, marked = chart
    light = light_view(root)
    view = light or full()
    src = Path(sources_root) if sources_root is not None else view.root
    data = dataset(DataPackage(root))

    def export(fmt: str) -> list[Path]:
        return [write(out_dir / EXPORT_PATHS[fmt], _chunks(fmt, view, full))]

    def charts() -> list[Path]:
        many = spread(shared_package(light)) if light is not None else None
        big = many is not None and len(many.label) > marked  # else marks, labels, links: view's
        png, svg = (
            chart_bytes(light, many) if big and light is not None else chart_bytes(full(), None)
        )
        return [write(out_dir / "chart.png", png), write(out_dir / "chart.svg", svg)]

    def page() -> list[Path]:
        chunks = light and column_page_chunks(shared_package(light), light, src, data)
        chunks = chunks or _encoded(page_chunks(full(), src, data), size=1)
        return [write(out_dir / "timeline.html", chunks)]

    jobs: dict[str, Callable[[], list[Path]]] = {f: partial(export, f) for f in FORMATS}
    jobs.update(chart=charts, page=page)
    # The longest first, so that the last one to start is short; beside the page's columns
    # first the GeoJSON, which makes none of its own (the peak of memory). Each file's bytes
    # depend on the package only, not on which job ends first; paths come in a fixed order.
    started = ("page", "geojson", "jsonl", "ics", "timelinejs", "chart")
    # Without the columns every writer reads the one view: nothing to run side by side.
    with ThreadPoolExecutor(WRITERS if light is not None else 1) as pool:
        done = {name: pool.submit(jobs[name]) for name in started}
    return [p for name in jobs for p in done[name].result()]


__all__ = ["WRITERS", "write_all"]
