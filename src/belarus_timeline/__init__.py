"""belarus-timeline: dated political events around Belarus, each traced to its source.

>>> import belarus_timeline as bt
>>> tl = bt.load()          # one DataFrame per table: tl.events, tl.quotes, tl.actors, ...
>>> events = bt.load_table("events")
>>> tl = bt.load(version="1.0.0")   # a published release, downloaded and verified first
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version

from belarus_timeline.downloader import download, versions
from belarus_timeline.errors import (
    BelarusTimelineError,
    DownloadError,
    PackageError,
    ReleaseError,
    UnknownTableError,
    ValidationFailed,
)
from belarus_timeline.load import Timeline, load, load_table
from belarus_timeline.validate import Report, validate_package

try:
    __version__ = _dist_version("belarus-timeline")
except PackageNotFoundError:  # pragma: no cover - running from an uninstalled checkout
    __version__ = "0+unknown"

__all__ = [
    "BelarusTimelineError",
    "DownloadError",
    "PackageError",
    "ReleaseError",
    "Report",
    "Timeline",
    "UnknownTableError",
    "ValidationFailed",
    "__version__",
    "download",
    "load",
    "load_table",
    "validate_package",
    "versions",
]
