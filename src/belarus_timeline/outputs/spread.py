"""The events of a chart of many events, as arrays: what the heat-strip chart reads of them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: A chart row's label for events without a place.
NO_PLACE = "No place named"


@dataclass(frozen=True)
class Spread:
    """Per event, in the view's order: the label of its chart row (its place's label, as an
    index into ``labels``, numbered in order of first event) and its first and last days
    (``date.toordinal()``)."""

    labels: list[str]
    label: np.ndarray
    start: np.ndarray
    through: np.ndarray
