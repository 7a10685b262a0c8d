"""belarus-timeline: dated political events around Belarus, each traced to its source.

>>> import belarus_timeline as bt
>>> tl = bt.load()          # one DataFrame per table: tl.events, tl.quotes, tl.actors, ...
>>> events = bt.load_table("events")
>>> tl = bt.load(version="1.0.0")   # a published release: the cache, else downloaded, verified
>>> tl = bt.load(path="belarus-timeline-1.0.0.zip")   # a release folder or zip, verified
>>> bt.tidy.events(tl)              # one row per event with its place, participants and counts
"""

from belarus_timeline import tidy
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
from belarus_timeline.package import bundled_version
from belarus_timeline.validate import Report, validate_package

# The version has one source, datapackage.json: read at import, so a bump needs no reinstall.
__version__ = bundled_version()

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
    "tidy",
    "validate_package",
    "versions",
]
