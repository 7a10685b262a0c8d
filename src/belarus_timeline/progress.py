"""Progress bars: one per download (its total bytes) and one per build stage.

Bars are drawn on standard error only when it is a terminal, and never under ``--quiet``
(:func:`quiet`) or with ``BELARUS_TIMELINE_QUIET=1``: logs of CI jobs and scripts stay clean.
The bars are tqdm's.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from tqdm import tqdm

ENV_QUIET = "BELARUS_TIMELINE_QUIET"
_quiet_depth = 0


@contextlib.contextmanager
def quiet(enabled: bool = True) -> Iterator[None]:
    """Within the block, draw no progress bar (the command line's ``--quiet``)."""
    global _quiet_depth
    _quiet_depth += int(enabled)
    try:
        yield
    finally:
        _quiet_depth -= int(enabled)


def enabled() -> bool:
    """Whether bars are drawn: stderr is a terminal and nobody asked for quiet."""
    if _quiet_depth or os.environ.get(ENV_QUIET, "").strip().lower() in ("1", "true", "yes"):
        return False
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


def bar(desc: str, total: float | None, *, unit: str = "it", scale: bool = False) -> Any:
    """A bar for one download or one build stage (disabled, and silent, when not wanted)."""
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        unit_scale=scale,
        unit_divisor=1024 if scale else 1000,
        file=sys.stderr,
        disable=not enabled(),
        leave=True,
        dynamic_ncols=True,
    )


class FileShare:
    """pooch's progress-bar protocol for one file, feeding a bar shared by the whole download.

    pooch sets ``total`` per file, counts whole chunks (the last one too), then calls
    ``reset()``, ``update(total)`` and ``close()``: the counts here are capped at the file's
    size and its remainder is added on ``reset``, so the shared bar ends at the download's
    total bytes. ``undo()`` takes a failed attempt's bytes back off before a retry.
    """

    def __init__(self, shared: Any, size: int) -> None:
        self.shared = shared
        self.size = size
        self.sent = 0
        self.finishing = False
        self.total = size

    def update(self, n: float) -> None:
        if self.finishing:
            return
        step = max(0, min(int(n), self.size - self.sent))
        self.sent += step
        self.shared.update(step)

    def reset(self) -> None:
        self.update(self.size - self.sent)
        self.finishing = True

    def close(self) -> None:
        pass

    def undo(self) -> None:
        self.shared.update(-self.sent)
        self.sent = 0
        self.finishing = False
