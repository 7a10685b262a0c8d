"""Exceptions raised by belarus-timeline. Each message says what is wrong and how to fix it.

The hierarchy (every error raised on purpose is a :class:`BelarusTimelineError`)::

    BelarusTimelineError
    ├── PackageError            the descriptor, a schema or a path cannot be used
    ├── ValidationFailed        the data is invalid; .report holds the findings
    ├── UnknownTableError       a table name the package does not have (also a KeyError)
    ├── ReleaseError            a release cannot be built, verified or published
    │   ├── VersionError        a version that is not SemVer (a usage error: exit 2)
    │   └── ManifestError       a manifest or index that is malformed or refused
    ├── DownloadError           a release file cannot be fetched or does not verify
    ├── CurationError           a curation command refuses its input (duplicate, not UTF-8...)
    └── UsageError              a command called wrongly: bad argument, missing file (exit 2)

The command line maps them to exit codes: usage errors 2, everything else here 1.
"""


class BelarusTimelineError(Exception):
    """Base class of every error this package raises on purpose."""


class PackageError(BelarusTimelineError):
    """The data package (descriptor, schema or paths) cannot be used as it is."""


class ValidationFailed(BelarusTimelineError):
    """The data does not pass validation; ``report`` holds the findings."""

    def __init__(self, report: object, message: str) -> None:
        super().__init__(message)
        self.report = report


class UnknownTableError(BelarusTimelineError, KeyError):
    """A table name that the package does not have."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class ReleaseError(BelarusTimelineError):
    """A release cannot be built, or differs from what was recorded."""


class VersionError(ReleaseError):
    """The version is not a semantic version (a usage error: exit 2)."""


class ManifestError(ReleaseError):
    """A release manifest or publication index is malformed or refused."""


class DownloadError(BelarusTimelineError):
    """A release file cannot be fetched or does not verify."""


class CurationError(BelarusTimelineError):
    """A curation command refuses its input: a duplicate source, a text that is not UTF-8."""


class UsageError(BelarusTimelineError):
    """A command was called wrongly: a bad argument, a missing file (exit 2)."""
