"""Exceptions raised by belarus-timeline. Each message says what is wrong and how to fix it."""


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


class DownloadError(BelarusTimelineError):
    """A release file cannot be fetched or does not verify."""
