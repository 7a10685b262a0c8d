"""Relations that must make a consistent whole: no cycle of ``part_of`` links or of places lying
within places, and no ``precedes`` or ``prelude_to`` link that the events' dates contradict.

Cycles are found column-wise by peeling: a node that nothing points to (or that points to
nothing) cannot be on a cycle, so such nodes are removed again and again; what is left lies on
a cycle or between cycles. Each round is a few numpy passes over the edges; the number of rounds
is the depth of the hierarchy, which is small for places and for events.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from belarus_timeline.validate.codes import Code, emits
from belarus_timeline.validate.columns import Table, days, mask, need
from belarus_timeline.validate.report import Collector, cell

# Relations that put the first event before the second.
ORDERED = ("precedes", "prelude_to")


@emits(Code.CYCLE, Code.LINK_CONTRADICTS_DATES)
def check_graph(tables: dict[str, Table], out: Collector) -> None:
    """Cycles of part_of links and of within_place_id; order links against the dates."""
    places = need(tables, "places", ["place_id", "within_place_id"])
    if places is not None:
        ids, parent = places.col("place_id"), places.col("within_place_id")
        edges = np.flatnonzero(mask(pc.not_equal(parent, "")))
        on_cycle = _cycle_edges(ids, ids.take(pa.array(edges)), parent.take(pa.array(edges)))
        rows = np.zeros(len(ids), dtype=bool)
        rows[edges[on_cycle]] = True
        out.rows(
            rows,
            layer="semantic",
            code=Code.CYCLE,
            file=places.file,
            fld="within_place_id",
            values=parent,
            message="The place lies, through within_place_id, within itself (a cycle).",
            fix="Point within_place_id at the larger place this one is in; the largest has none.",
        )
    links = need(tables, "event_links", ["from_event_id", "relation", "to_event_id"])
    events = need(tables, "events", ["event_id", "start_date", "end_date"])
    if links is None or events is None:
        return
    relation = links.col("relation")
    part_of = np.flatnonzero(mask(pc.equal(relation, "part_of")))
    take = pa.array(part_of)
    on_cycle = _cycle_edges(
        events.col("event_id"),
        links.col("from_event_id").take(take),
        links.col("to_event_id").take(take),
    )
    rows = np.zeros(links.raw.num_rows, dtype=bool)
    rows[part_of[on_cycle]] = True
    out.rows(
        rows,
        layer="semantic",
        code=Code.CYCLE,
        file=links.file,
        fld="to_event_id",
        values=links.col("to_event_id"),
        message="The part_of link closes a cycle: an event would be part of itself.",
        fix="Remove or reverse the link that makes the cycle (the smaller event is part_of "
        "the larger).",
    )
    _order_against_dates(links, events, out)


def _cycle_edges(ids: pa.ChunkedArray, src: pa.Array, dst: pa.Array) -> np.ndarray:
    """Which of the edges ``src -> dst`` (ids of ``ids``) lie on a cycle (edges to unknown ids
    never do: a foreign-key finding reports them)."""
    a = np.asarray(pc.fill_null(pc.index_in(src, value_set=ids), -1).to_numpy(False), np.int64)
    b = np.asarray(pc.fill_null(pc.index_in(dst, value_set=ids), -1).to_numpy(False), np.int64)
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
def _order_against_dates(links: Table, events: Table, out: Collector) -> None:
    """``A precedes B`` (or is its prelude) is contradicted when A begins after B has ended;
    within the dates' precision either order may be true, so only that case is refused."""
    ids = events.col("event_id")
    a = pc.index_in(links.col("from_event_id"), value_set=ids)
    b = pc.index_in(links.col("to_event_id"), value_set=ids)
    start, end = events.values("start_date"), events.values("end_date")
    a_start, b_end = pc.take(start, a), pc.take(end, b)
    known = mask(pc.and_(pc.is_valid(a_start), pc.is_valid(b_end)))
    ordered = mask(pc.is_in(links.col("relation"), value_set=pa.array(ORDERED)))
    bad = ordered & known & (days(a_start) > days(b_end))
    out.rows(
        bad,
        layer="semantic",
        code=Code.LINK_CONTRADICTS_DATES,
        file=links.file,
        fld="relation",
        values=links.col("relation"),
        message=lambda i: (
            f"{cell(links.col('from_event_id'), i)!r} begins on {cell(a_start, i):%Y-%m-%d}, "
            f"after {cell(links.col('to_event_id'), i)!r} ended ({cell(b_end, i):%Y-%m-%d}): "
            f"it cannot be {cell(links.col('relation'), i)} it."
        ),
        fix=lambda i: "Swap from_event_id and to_event_id, or correct the dates.",
    )
