"""Relations that must make a consistent whole: no cycle of ``part_of`` links or of places lying
within places, and no ``precedes`` or ``prelude_to`` link that the events' dates contradict.

Cycles are found column-wise by peeling: a node that nothing points to (or that points to
nothing) cannot be on a cycle, so such nodes are removed again and again; what is left lies on
a cycle or between cycles. Each round is a few numpy passes over the edges; the number of rounds
is the depth of the hierarchy, which is small for places and for events.
"""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc

from belarus_timeline.validate.codes import Code, emits
from belarus_timeline.validate.columns import Table, days, mask, need
from belarus_timeline.validate.keys import Coder, Ref, index_in
from belarus_timeline.validate.report import Collector, cell

# Relations that put the first event before the second.
ORDERED = ("precedes", "prelude_to")
# Ids and the references to them, each set coded once, together.
DOMAINS: list[list[Ref]] = [
    [("places", "place_id"), ("places", "within_place_id")],
    [("events", "event_id"), ("event_links", "from_event_id"), ("event_links", "to_event_id")],
]

# The columns the checks below read, by table: the rest can be dropped.
READS: dict[str, set[str]] = {
    "places": {"place_id", "within_place_id"},
    "event_links": {"from_event_id", "relation", "to_event_id"},
    "events": {"event_id", "start_date", "end_date"},
}


@emits(Code.CYCLE, Code.LINK_CONTRADICTS_DATES)
def check_graph(tables: dict[str, Table], out: Collector, coder: Coder | None = None) -> None:
    """Cycles of part_of links and of within_place_id; order links against the dates
    (``coder``: the package's codes, shared with the other checks; None: this layer's own)."""
    codes = coder or Coder(tables, DOMAINS)
    places = need(tables, "places", ["place_id", "within_place_id"])
    if places is not None:
        ids = codes.codes((places.name, "place_id"))
        edges = np.flatnonzero(places.differs("within_place_id", ""))
        on_cycle = _cycle_edges(
            ids, ids[edges], codes.codes((places.name, "within_place_id"))[edges]
        )
        rows = np.zeros(len(ids), dtype=bool)
        rows[edges[on_cycle]] = True
        out.rows(
            rows,
            layer="semantic",
            code=Code.CYCLE,
            file=places.file,
            fld="within_place_id",
            values=places.shown("within_place_id"),
            message="The place lies, through within_place_id, within itself (a cycle).",
            fix="Point within_place_id at the larger place this one is in; the largest has none.",
        )
    links = need(tables, "event_links", ["from_event_id", "relation", "to_event_id"])
    events = need(tables, "events", ["event_id", "start_date", "end_date"])
    if links is None or events is None:
        return
    part_of = np.flatnonzero(links.equal("relation", "part_of"))
    ids = codes.codes((events.name, "event_id"))
    src = codes.codes((links.name, "from_event_id"))
    dst = codes.codes((links.name, "to_event_id"))
    on_cycle = _cycle_edges(ids, src[part_of], dst[part_of])
    rows = np.zeros(links.raw.num_rows, dtype=bool)
    rows[part_of[on_cycle]] = True
    out.rows(
        rows,
        layer="semantic",
        code=Code.CYCLE,
        file=links.file,
        fld="to_event_id",
        values=links.shown("to_event_id"),
        message="The part_of link closes a cycle: an event would be part of itself.",
        fix="Remove or reverse the link that makes the cycle (the smaller event is part_of "
        "the larger).",
    )
    _order_against_dates(links, events, index_in(src, ids), index_in(dst, ids), out)


def _cycle_edges(ids: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Which of the edges ``src -> dst`` (codes of ids, ``ids`` the nodes' codes) lie on a cycle
    (edges to unknown ids never do: a foreign-key finding reports them)."""
    a, b = index_in(src, ids), index_in(dst, ids)
    alive = (a >= 0) & (b >= 0)
    n = len(ids)
    while alive.any():
        out_degree = np.bincount(a[alive], minlength=n)
        in_degree = np.bincount(b[alive], minlength=n)
        # An edge from a node nothing points to, or into a node that points nowhere, is on no
        # cycle.
        keep = alive & (in_degree[a] > 0) & (out_degree[b] > 0)
        if (keep == alive).all():
            break
        alive = keep
    return alive


@emits(Code.LINK_CONTRADICTS_DATES)
def _order_against_dates(
    links: Table, events: Table, a: np.ndarray, b: np.ndarray, out: Collector
) -> None:
    """``A precedes B`` (or is its prelude) is contradicted when A begins after B has ended;
    within the dates' precision either order may be true, so only that case is refused. ``a``
    and ``b`` are the rows of the links' events (-1: none)."""
    start, end = events.values("start_date"), events.values("end_date")
    ordered = links.among("relation", list(ORDERED))
    bad = np.zeros(links.raw.num_rows, dtype=bool)
    if events.raw.num_rows:
        a_row, b_row = np.maximum(a, 0), np.maximum(b, 0)
        known = (
            (a >= 0) & (b >= 0) & mask(pc.is_valid(start))[a_row] & mask(pc.is_valid(end))[b_row]
        )
        bad = ordered & known & (days(start)[a_row] > days(end)[b_row])
    out.rows(
        bad,
        layer="semantic",
        code=Code.LINK_CONTRADICTS_DATES,
        file=links.file,
        fld="relation",
        values=links.shown("relation"),
        message=lambda i: (
            f"{links.cell('from_event_id', i)!r} begins on {cell(start, int(a[i])):%Y-%m-%d}, "
            f"after {links.cell('to_event_id', i)!r} ended ({cell(end, int(b[i])):%Y-%m-%d}): "
            f"it cannot be {links.cell('relation', i)} it."
        ),
        fix=lambda i: "Swap from_event_id and to_event_id, or correct the dates.",
    )
