"""A timeline chart of the events (PNG and SVG), drawn with matplotlib's Agg and SVG backends.

Rows are grouped by place; colour is the event type; hollow markers are anticipated events.
Each event is drawn over its whole period (a month-precise event is a month-long bar, never a
midpoint), and long empty stretches of time are cut out of the date axis so that events a year
apart stay legible. ``anniversary_of`` links are drawn as arrows between the two events.

Output is reproducible byte for byte: no pyplot global state, the fonts bundled with
matplotlib, a fixed SVG hash salt, and metadata without dates or library versions.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import textwrap
from dataclasses import dataclass
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import ConnectionPatch, Patch

from belarus_timeline.outputs.spread import NO_PLACE, Spread
from belarus_timeline.outputs.views import EventView, TimelineView

#: Above this many events the chart has one row per place instead of one row per event,
#: and events are not labelled (labels of thousands of events cannot be read).
MAX_LABELLED_EVENTS = 60
#: Above this many events each place's row shows how many events start in each stretch of
#: time (a heat strip) instead of one mark per event: a million marks cannot be read, and
#: drawing them one by one takes minutes.
MAX_MARKED_EVENTS = 2_000
_BINS_PER_SEGMENT = 120
#: In the heat-strip chart, places beyond the busiest this many share one "other places" row.
_MAX_DENSITY_ROWS = 40
#: Sources named in the chart's footnote; more are summarised by their count.
_MAX_CREDITS = 3
#: At most this many cuts in the date axis.
MAX_CUTS = 2
#: Relations drawn as arrows.
DRAWN_RELATIONS = ("anniversary_of",)
_MAX_ARROWS = 50
_PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
)
_RC: dict[Any, Any] = {
    # A salt instead of a random uuid for SVG element ids; text kept as text (searchable,
    # smaller) with a font that ships with matplotlib, so no system font changes the output.
    "svg.hashsalt": "belarus-timeline",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 11,
    "path.simplify": False,
}
_NO_PLACE = NO_PLACE


def _nums(days: list[dt.date]) -> Any:
    """:func:`_num` of many dates at once: with matplotlib's default epoch (midnight) a date's
    number is a whole count of days, so it is the ordinal minus a constant (date2num per date
    took most of the chart's time)."""
    if not days:
        return np.array([_num(d) for d in days])
    first = _num(days[0])
    if not first.is_integer():  # another epoch: each date the slow way
        return np.array([_num(d) for d in days])
    base = days[0].toordinal() - int(first)
    return np.array([d.toordinal() - base for d in days], dtype=np.int64).astype(float)


def _ordinal_nums(days: np.ndarray) -> Any:
    """:func:`_nums` of dates given as ``date.toordinal()``."""
    if not len(days):
        return np.array([])
    first = _num(dt.date.fromordinal(int(days[0])))
    if not first.is_integer():
        return np.array([_num(dt.date.fromordinal(int(d))) for d in days])
    return (days.astype(np.int64) - (int(days[0]) - int(first))).astype(float)


@dataclass(frozen=True)
class _Row:
    label: str
    header: bool


def _num(day: dt.date) -> float:
    """A date as matplotlib's date number (days since its epoch)."""
    return float(date2num(day))  # type: ignore[no-untyped-call]


def _place_label(ev: EventView) -> str:
    return ev.place.label if ev.place is not None else _NO_PLACE


def _segments(events: tuple[EventView, ...]) -> list[tuple[dt.date, dt.date]]:
    """Stretches of the date axis to draw: the events' periods, merged, cut at the largest
    gaps that are long (> 60 days) and a large part (> 20 %) of the whole span."""
    spans = sorted((e.start, e.through + dt.timedelta(days=1)) for e in events)
    merged: list[list[dt.date]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return _cut(merged)


def _spread_segments(s: Spread) -> list[tuple[dt.date, dt.date]]:
    """:func:`_segments` of the events of ``s``: the periods merged with arrays (sorted, a
    period opens where it starts after every end so far)."""
    order = np.lexsort((s.through + 1, s.start))
    a, b = s.start[order], s.through[order] + 1
    reach = np.maximum.accumulate(b)
    opens = np.ones(len(a), bool)
    opens[1:] = a[1:] > reach[:-1]
    first = np.flatnonzero(opens)
    ends = np.maximum.reduceat(b, first)
    day = dt.date.fromordinal
    return _cut([[day(int(x)), day(int(y))] for x, y in zip(a[first], ends, strict=True)])


def _cut(merged: list[list[dt.date]]) -> list[tuple[dt.date, dt.date]]:
    """The merged periods cut at their largest long gaps."""
    total = (merged[-1][1] - merged[0][0]).days
    gaps = [
        ((merged[i + 1][0] - merged[i][1]).days, i)
        for i in range(len(merged) - 1)
        if (merged[i + 1][0] - merged[i][1]).days > max(60, 0.2 * total)
    ]
    cuts = sorted(i for _, i in sorted(gaps, reverse=True)[:MAX_CUTS])
    out, first = [], 0
    for i in cuts:
        out.append((merged[first][0], merged[i][1]))
        first = i + 1
    out.append((merged[first][0], merged[-1][1]))
    return out


def _day_ticks(ax: Any, a: dt.date, b: dt.date) -> None:
    """Ticks in the middle of days, labelled with the day; the year on the first tick."""
    days = (b - a).days
    step = max(1, -(-days // 6))
    ticks = [a + dt.timedelta(days=i) for i in range(0, days, step)]
    ax.set_xticks([_num(t) + 0.5 for t in ticks])
    labels = []
    for i, t in enumerate(ticks):
        first_of_year = i == 0 or t.year != ticks[i - 1].year
        labels.append(f"{t.day} {t:%b}" + (f"\n{t.year}" if first_of_year else ""))
    ax.set_xticklabels(labels)


def _rows(view: TimelineView, labelled: bool) -> tuple[list[_Row], dict[str, int]]:
    groups: dict[str, list[EventView]] = {}
    for ev in view.events:  # date order, so groups come in order of their first event
        groups.setdefault(_place_label(ev), []).append(ev)
    rows: list[_Row] = []
    where: dict[str, int] = {}
    for label, evs in groups.items():
        if labelled:
            rows.append(_Row(label, True))
            for ev in evs:
                where[ev.event_id] = len(rows)
                title = textwrap.shorten(ev.title, 58, placeholder="…")
                rows.append(_Row(f"{title}  ", False))
        else:
            for ev in evs:
                where[ev.event_id] = len(rows)
            rows.append(_Row(f"{label} ({len(evs)})", True))
    if len(view.events) > MAX_MARKED_EVENTS and len(rows) > _MAX_DENSITY_ROWS:
        # Busiest places first (ties by name); the rest share the last row.
        order = sorted(groups, key=lambda k: (-len(groups[k]), k))
        keep = order[: _MAX_DENSITY_ROWS - 1]
        rows = [_Row(f"{k} ({len(groups[k])})", True) for k in keep]
        row_of = {k: i for i, k in enumerate(keep)}
        rest = len(view.events) - sum(len(groups[k]) for k in keep)
        rows.append(_Row(f"{len(order) - len(keep)} other places ({rest})", True))
        where = {
            ev.event_id: row_of.get(label, len(rows) - 1)
            for label, evs in groups.items()
            for ev in evs
        }
    return rows, where


def _spread_rows(s: Spread) -> tuple[list[_Row], np.ndarray]:
    """:func:`_rows` of the many events of ``s``: a row per place label, or the busiest
    labels' rows and one for the rest; each event's row."""
    counts = [int(c) for c in np.bincount(s.label, minlength=len(s.labels))]
    rows = [_Row(f"{k} ({c})", True) for k, c in zip(s.labels, counts, strict=True)]
    where = s.label
    if len(rows) > _MAX_DENSITY_ROWS:
        order = sorted(range(len(s.labels)), key=lambda k: (-counts[k], s.labels[k]))
        keep = order[: _MAX_DENSITY_ROWS - 1]
        rows = [_Row(f"{s.labels[k]} ({counts[k]})", True) for k in keep]
        rest = len(s.label) - sum(counts[k] for k in keep)
        rows.append(_Row(f"{len(order) - len(keep)} other places ({rest})", True))
        row_of = np.full(len(s.labels), len(keep), np.int64)
        row_of[keep] = np.arange(len(keep))
        where = row_of[s.label]
    return rows, where


def _layout(
    view: TimelineView, spread: Spread | None, labelled: bool
) -> tuple[list[_Row], Any, list[tuple[dt.date, dt.date]], tuple[int, int]]:
    """The rows, each event's row, the stretches of time and the years of the chart."""
    if spread is not None:
        rows, where = _spread_rows(spread)
        first, last = int(spread.start[0]), int(spread.through.max())
        years = dt.date.fromordinal(first).year, dt.date.fromordinal(last).year
        return rows, where, _spread_segments(spread), years
    rows_, where_ = _rows(view, labelled)
    years = view.events[0].start.year, max(e.through for e in view.events).year
    return rows_, where_, _segments(view.events), years


def _draw(view: TimelineView, spread: Spread | None = None) -> Figure:
    n = len(spread.label) if spread is not None else len(view.events)
    if not n:
        fig = Figure(figsize=(8, 2))
        fig.text(0.5, 0.5, f"{view.title}: no events", ha="center", va="center")
        return fig
    labelled = n <= MAX_LABELLED_EVENTS
    rows, where, segs, when = _layout(view, spread, labelled)
    lengths = [(b - a).days for a, b in segs]
    ratios = [max(n, 0.3 * max(lengths)) for n in lengths]
    height = 1.9 + 0.3 * len(rows)
    fig = Figure(figsize=(11, height), layout="constrained")
    axes = fig.subplots(1, len(segs), sharey=True, width_ratios=ratios, squeeze=False)[0]
    colours = {t: _PALETTE[i % len(_PALETTE)] for i, t in enumerate(view.event_types)}
    xy: dict[str, tuple[float, int]] = {}
    for ax, (a, b) in zip(axes, segs, strict=True):
        pad = max(1.0, 0.08 * (b - a).days)
        ax.set_xlim(_num(a) - pad, _num(b) + pad)
        for i, row in enumerate(rows):
            if row.header and labelled:
                ax.axhline(i, color="#dddddd", linewidth=0.6, zorder=0)
        ax.grid(axis="x", color="#eeeeee", linewidth=0.6)
        ax.set_axisbelow(True)
        if (b - a).days <= 62:
            _day_ticks(ax, a, b)
        else:
            locator = AutoDateLocator(minticks=2, maxticks=7)  # type: ignore[no-untyped-call]
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
        if n > MAX_MARKED_EVENTS:
            _density(ax, view, (a, b), where, len(rows), spread)
            continue
        for ev in view.events:
            if not (a <= ev.start < b):
                continue
            y = where[ev.event_id]
            x0, x1 = _num(ev.start), _num(ev.through + dt.timedelta(days=1))
            colour = colours.get(ev.event_type, "#333333")
            ax.barh(y, x1 - x0, left=x0, height=0.5, color=colour, alpha=0.35, linewidth=0)
            hollow = ev.status != "occurred"  # planned or anticipated: not yet happened
            ax.plot(
                [(x0 + x1) / 2],
                [y],
                marker="o",
                markersize=7 if labelled else 4,
                color=colour,
                markerfacecolor="white" if hollow else colour,
                markeredgewidth=1.5,
                linestyle="none",
                zorder=3,
            )
            xy[ev.event_id] = ((x0 + x1) / 2, y)
    axes[0].set_ylim(len(rows) - 0.5, -0.7)
    axes[0].set_yticks(range(len(rows)))
    axes[0].set_yticklabels([r.label for r in rows])
    for tick, row in zip(axes[0].get_yticklabels(), rows, strict=True):
        if row.header:
            tick.set_fontweight("bold")
    axes[0].tick_params(axis="y", length=0)
    _break_marks(axes)
    if n <= MAX_MARKED_EVENTS:
        _links(fig, view, axes, segs, xy)
        _legend(fig, view, colours)
    years = f"{when[0]}" if when[0] == when[1] else f"{when[0]}\N{EN DASH}{when[1]}"
    fig.suptitle(f"{view.title}\nversion {view.version}, {years}", fontsize=11)
    credits = "; ".join(s.credit for s in list(view.sources.values())[:_MAX_CREDITS])
    if len(view.sources) > _MAX_CREDITS:
        credits += f"; and {len(view.sources) - _MAX_CREDITS} more sources (see the sources table)"
    grouping = "Rows grouped by place" + ("" if labelled else " (one row per place)")
    if n > MAX_MARKED_EVENTS:
        grouping += "; shade: how many events start in each stretch of time"
    fig.supxlabel(
        f"{grouping}; bars cover each event's whole period at its date precision; "
        f"// marks cut time.\n" + textwrap.fill(f"Source: {credits}", 170),
        fontsize=7,
        color="#555555",
    )
    return fig


def _density(
    ax: Any,
    view: TimelineView,
    stretch: tuple[dt.date, dt.date],
    where: Any,
    n_rows: int,
    spread: Spread | None,
) -> None:
    """Events starting in [a, b) counted per row and time bin, drawn as one image per axis."""
    a, b = stretch
    lo, hi = _num(a), _num(b)
    edges = np.linspace(lo, hi, _BINS_PER_SEGMENT + 1)
    if spread is not None:
        mine = (spread.start >= a.toordinal()) & (spread.start < b.toordinal())
        starts = _ordinal_nums(spread.start[mine])
        rows = where[mine]
    else:
        starts = _nums([e.start for e in view.events if a <= e.start < b])
        rows = np.array([where[e.event_id] for e in view.events if a <= e.start < b])
    counts, _, _ = np.histogram2d(rows, starts, bins=[np.arange(n_rows + 1) - 0.5, edges])
    masked = np.ma.masked_equal(counts, 0)
    ax.pcolormesh(edges, np.arange(n_rows + 1) - 0.5, masked, cmap="Blues", vmin=0)


def _break_marks(axes: Any) -> None:
    """Hide the spines where the date axis is cut and mark the cut with a double slash."""
    kw: dict[str, Any] = {"color": "k", "clip_on": False, "linewidth": 0.8}
    for ax in axes:
        ax.spines[["top", "right"]].set_visible(False)
    for left, right in itertools.pairwise(axes):
        left.spines["right"].set_visible(False)
        right.spines["left"].set_visible(False)
        right.tick_params(axis="y", left=False)
        for dx in (-0.012, 0.0):
            left.plot(
                [1 + dx - 0.006, 1 + dx + 0.006], [-0.02, 0.02], transform=left.transAxes, **kw
            )


def _links(
    fig: Figure,
    view: TimelineView,
    axes: Any,
    segs: list[tuple[dt.date, dt.date]],
    xy: dict[str, tuple[float, int]],
) -> None:
    def axis_of(ev: EventView) -> Any:
        for ax, (a, b) in zip(axes, segs, strict=True):
            if a <= ev.start < b:
                return ax
        return axes[0]

    drawn = 0
    for ev in view.events:
        for link in ev.links:
            if link.direction != "out" or link.relation not in DRAWN_RELATIONS:
                continue
            if link.other_event_id not in xy or drawn >= _MAX_ARROWS:
                continue
            other = view.event(link.other_event_id)
            arrow = ConnectionPatch(
                xyA=xy[ev.event_id],
                coordsA="data",
                axesA=axis_of(ev),
                xyB=xy[other.event_id],
                coordsB="data",
                axesB=axis_of(other),
                arrowstyle="-|>",
                connectionstyle="arc3,rad=0.2",
                linestyle=(0, (4, 2)),
                color="#444444",
                linewidth=1.0,
                shrinkA=6,
                shrinkB=6,
                mutation_scale=10,
                zorder=5,
            )
            fig.add_artist(arrow)
            axis_of(ev).annotate(
                link.relation.replace("_", " "),
                xy=xy[ev.event_id],
                xytext=(-8, 10),
                textcoords="offset points",
                ha="right",
                fontsize=7,
                fontstyle="italic",
                color="#444444",
            )
            drawn += 1


def _legend(fig: Figure, view: TimelineView, colours: dict[str, str]) -> None:
    used = [t for t in view.event_types if any(e.event_type == t for e in view.events)]
    handles: list[Any] = [Patch(color=colours[t], label=t.replace("_", " ")) for t in used]
    pending = [s for s in ("planned", "anticipated") if any(e.status == s for e in view.events)]
    if pending:
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                color="#444444",
                markerfacecolor="white",
                linestyle="none",
                label=" / ".join(pending),
            )
        )
    fig.legend(handles=handles, loc="outside right upper", fontsize=8, title="event type")


def chart_bytes(view: TimelineView, spread: Spread | None = None) -> tuple[bytes, bytes]:
    """The chart as (PNG, SVG) bytes; the same view always gives the same bytes. Above
    :data:`MAX_MARKED_EVENTS` events, ``spread`` may give the events as arrays (of the view
    only the metadata and sources are then read)."""
    many = spread if spread is not None and len(spread.label) > MAX_MARKED_EVENTS else None
    with mpl.rc_context(_RC):
        fig = _draw(view, many)
        creator = f"belarus-timeline {view.version}"
        png, svg = io.BytesIO(), io.BytesIO()
        # PNG: no "Software" chunk with the matplotlib version; Agg writes no time by itself.
        fig.savefig(png, format="png", dpi=150, metadata={"Software": None})
        fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": creator})
    return png.getvalue(), svg.getvalue()
