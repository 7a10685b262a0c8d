"""Exports of the timeline to other tools' formats: TimelineJS 3, GeoJSON, iCalendar, JSON lines.

Every writer is deterministic (same package → same bytes): events come in the order of
:func:`belarus_timeline.outputs.views.build_view`, JSON keys in a fixed order, and the iCalendar
``DTSTAMP`` is the package's ``created`` time, never the clock. Files are written atomically.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from belarus_timeline.files import atomic_write
from belarus_timeline.load import package_for
from belarus_timeline.outputs.columnar import geojson_chunks, shared_package
from belarus_timeline.outputs.columnics import ics_chunks
from belarus_timeline.outputs.columnjsonl import jsonl_chunks
from belarus_timeline.outputs.columnslides import slide_chunks
from belarus_timeline.outputs.featuretext import (
    FEATURE_LEVEL,
    _dtstamp,
    _fold,
    _ics_text,
    _tl_date,
    _ymd,
    feature_text,
    slide_text,
)
from belarus_timeline.outputs.jsontext import (
    TextStream,
    Unknown,
    indented_json_chunks,
    item_text,
)
from belarus_timeline.outputs.views import (
    EventView,
    Participant,
    TimelineView,
    build_view,
    relation_label,
    type_label,
)
from belarus_timeline.package import DataPackage, bundled_root

FORMATS = ("timelinejs", "geojson", "ics", "jsonl")

#: File-name ending of each format; ``timeline.json`` says which JSON it is.
EXTENSIONS = {"timelinejs": "timeline.json", "geojson": "geojson", "ics": "ics", "jsonl": "jsonl"}

#: Where ``writeall.write_all`` puts each format, relative to its output folder.
EXPORT_PATHS = {
    "timelinejs": "exports/timeline.json",
    "geojson": "exports/events.geojson",
    "ics": "exports/events.ics",
    "jsonl": "exports/events.jsonl",
}


#: What a status says about an event that has not happened (as of its sources).
_PENDING = {"anticipated": "Anticipated as of the source's publication."}
_PENDING["planned"] = "Planned as of the latest source."


def _notes(ev: EventView, view: TimelineView) -> list[str]:
    """Plain-text lines on what the sources say: disputed values with who gives which,
    how many sources back the event, and a status that is not yet 'occurred'."""
    lines = []
    for prop in ("date", "place"):
        if ev.disputed(prop):
            lines.append(f"{prop.capitalize()}: {view.describe(ev, prop)}.")
    backing = ev.backing_sources
    if len(backing) > 1:
        names = ", ".join(view.source_label(s) for s in backing)
        lines.append(f"Reported by {len(backing)} sources: {names}.")
    if ev.status in _PENDING:
        lines.append(_PENDING[ev.status])
    return lines


def _statements(ev: EventView, view: TimelineView) -> list[dict[str, Any]]:
    """The ranked values of the event's date and place, with the sources that give each."""
    return [
        {
            "statement_id": s.statement_id,
            "property": s.prop,
            "value": s.value,
            "label": s.label,
            "rank": s.rank,
            "rank_reason": s.rank_reason,
            "sources": list(s.sources),
            "contradicted_by": list(s.contradicted_by),
        }
        for s in ev.statements
    ]


# --- TimelineJS 3 ---------------------------------------------------------------------------


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _slide_body(ev: EventView, view: TimelineView, titles: dict[str, str]) -> tuple[str, str, str]:
    """A slide's HTML text, media URL and credit."""
    paragraphs = [f"<p>{_esc(ev.summary)}</p>"]
    quote = ev.key_quote
    if quote is not None:
        paragraphs.append(
            f"<blockquote>{_esc(quote.text)} <cite>— {_esc(quote.speaker)}</cite></blockquote>"
        )
    for link in ev.links:
        other = titles.get(link.other_event_id, link.other_event_id)
        label = relation_label(link.relation, link.direction)
        paragraphs.append(f"<p>{_esc(label)}: {_esc(other)}.</p>")
    paragraphs += [f"<p>{_esc(line)}</p>" for line in _notes(ev, view)]
    credits = [view.sources[s].credit for s in ev.source_ids if s in view.sources]
    credit = "; ".join(credits)
    urls = [view.sources[s].url for s in ev.source_ids if s in view.sources]
    url = next((u for u in urls if u), "")
    text = "".join(paragraphs)
    if credit:
        text += f"<p class='credit'>Source: {_esc(credit)}</p>"
    return text, url, credit


def _slide(ev: EventView, view: TimelineView, titles: dict[str, str]) -> dict[str, Any]:
    text, url, credit = _slide_body(ev, view, titles)
    slide: dict[str, Any] = {
        "unique_id": ev.event_id,
        "start_date": _tl_date(ev.start, ev.precision),
    }
    # An open end is left open: no end_date rather than an invented one.
    end = _tl_date(ev.end, ev.precision) if ev.end is not None else slide["start_date"]
    if end != slide["start_date"]:
        slide["end_date"] = end
    slide["display_date"] = ev.display_date
    slide["text"] = {"headline": ev.title, "text": text}
    slide["group"] = type_label(ev.event_type)
    # TimelineJS shows a credit only with media; the source has no URL, so the media has none
    # and the credit (also written into the text) is the source itself.
    slide["media"] = {"url": url, "caption": "Source", "credit": credit}
    return slide


def _slide_texts(view: TimelineView) -> Iterator[str]:
    """Each slide's JSON text: straight from the event, else through its dict."""
    titles = view.titles
    for ev in view.events:
        try:
            text, url, credit = _slide_body(ev, view, titles)
            start = _tl_date(ev.start, ev.precision)
            end = _tl_date(ev.end, ev.precision) if ev.end is not None else start
            yield slide_text(ev, start, None if end == start else end, (text, url, credit))
        except (Unknown, TypeError):
            yield item_text(_slide(ev, view, titles), FEATURE_LEVEL)


def _timelinejs(view: TimelineView, events: Any) -> dict[str, Any]:
    return {
        "title": {
            "text": {
                "headline": view.title,
                "text": f"<p>{_esc(view.description)}</p><p>Version {_esc(view.version)}.</p>",
            },
        },
        "events": events,
        "scale": "human",
    }


def timelinejs(view: TimelineView) -> dict[str, Any]:
    """The timeline as a TimelineJS 3 JSON object (``title``, ``events``, ``scale``)."""
    return _timelinejs(view, [_slide(ev, view, view.titles) for ev in view.events])


# --- GeoJSON --------------------------------------------------------------------------------


def _feature(ev: EventView, view: TimelineView) -> dict[str, Any]:
    place = ev.place
    geometry: dict[str, Any] | None = None
    if place is not None and place.latitude is not None and place.longitude is not None:
        # RFC 7946: positions are [longitude, latitude], WGS 84.
        geometry = {"type": "Point", "coordinates": [place.longitude, place.latitude]}
    props: dict[str, Any] = {
        "event_id": ev.event_id,
        "title": ev.title,
        "event_type": ev.event_type,
        "status": ev.status,
        "start_date": ev.start.isoformat(),
        "end_date": ev.end.isoformat() if ev.end else None,
        "date_precision": ev.precision,
        "edtf": ev.edtf,
        "timezone": ev.timezone,
        "place_id": place.place_id if place else None,
        "place_name": place.name if place else None,
        "place_kind": place.kind if place else None,
        "country": place.country if place else None,
        "geonames_id": place.geonames_id if place else None,
        "wikidata_qid": place.wikidata_qid if place else None,
        "coordinate_precision": place.coordinate_precision if place else None,
        "coordinate_note": place.coordinate_note if place else "No place: the source names none.",
        "actor_ids": list(dict.fromkeys(p.actor_id for p in ev.participants)),
        "quote_ids": [q.quote_id for q in ev.quotes],
        "claim_ids": [c.claim_id for c in ev.claims],
        "evidence_ids": [e.evidence_id for e in ev.evidence],
        "source_ids": list(ev.source_ids),
        "source_count": len(ev.backing_sources),
        "disputed": [p for p in ("date", "place") if ev.disputed(p)],
        "statements": _statements(ev, view),
    }
    return {"type": "Feature", "id": ev.event_id, "geometry": geometry, "properties": props}


def _feature_texts(view: TimelineView) -> Iterator[str]:
    """Each feature's JSON text: straight from the event, else (a value of a type the fast
    text does not know) through its dict, as before."""
    for ev in view.events:
        try:
            yield feature_text(ev)
        except (Unknown, TypeError):
            yield item_text(_feature(ev, view), FEATURE_LEVEL)


def geojson(view: TimelineView) -> dict[str, Any]:
    """The events as an RFC 7946 FeatureCollection; events without a point have null geometry."""
    return {"type": "FeatureCollection", "features": [_feature(ev, view) for ev in view.events]}


# --- iCalendar ------------------------------------------------------------------------------


def _ics_description(ev: EventView, view: TimelineView) -> str:
    lines = [ev.summary]
    quote = ev.key_quote
    if quote is not None:
        lines += ["", f"{quote.text} — {quote.speaker}"]
    lines += ["", f"Date: {ev.display_date} (precision: {ev.precision}; EDTF {ev.edtf})."]
    for e in ev.date_derivations:
        if e.date_basis == "resolved" and e.date_expression:
            anchor = f": {e.date_anchor}" if e.date_anchor else ""
            who = view.source_label(e.span.source_id)
            lines.append(f"Resolved from “{e.date_expression}” ({who}){anchor}")
    lines += _notes(ev, view)
    if ev.place is not None:
        lines.append(f"Place: {ev.place.label}. {ev.place.coordinate_note}")
    for sid in ev.source_ids:
        src = view.sources.get(sid)
        if src is not None:
            lines.append(f"Source: {src.credit}" + (f" {src.url}" if src.url else ""))
    return "\n".join(lines)


def _ics_lines(view: TimelineView, ev: EventView, stamp: str) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{ev.event_id}@belarus-timeline",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{_ymd(ev.start)}",
        # An open end gets the first day only; the description says the end is open.
        f"DTEND;VALUE=DATE:{_ymd(ev.through + dt.timedelta(days=1))}",
        f"SUMMARY:{_ics_text(ev.title)}",
        f"DESCRIPTION:{_ics_text(_ics_description(ev, view))}",
    ]
    if ev.place is not None:
        lines.append(f"LOCATION:{_ics_text(ev.place.label)}")
        if ev.place.latitude is not None and ev.place.longitude is not None:
            lines.append(f"GEO:{ev.place.latitude!r};{ev.place.longitude!r}")
    lines += [
        f"CATEGORIES:{_ics_text(type_label(ev.event_type))}",
        f"STATUS:{'TENTATIVE' if ev.status in _PENDING else 'CONFIRMED'}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]
    return lines


def _ics_chunks(view: TimelineView) -> Iterator[str]:
    """The calendar's text, one event at a time."""
    stamp = _dtstamp(view)
    head = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//belarus-timeline//{view.name} {view.version}//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_ics_text(view.title)}",
    ]
    yield "".join(_fold(line) + "\r\n" for line in head)
    for ev in view.events:
        yield "".join(_fold(line) + "\r\n" for line in _ics_lines(view, ev, stamp))
    yield "END:VCALENDAR\r\n"


def ics(view: TimelineView) -> str:
    """The events as an iCalendar (RFC 5545) calendar of all-day events, CRLF line endings.

    ``DTEND`` is exclusive (the day after ``end_date``), so a month-precise event covers its
    whole month rather than an invented day.
    """
    return "".join(_ics_chunks(view))


# --- PLOVER-like JSON lines -----------------------------------------------------------------

# Participant roles → PLOVER actor slots. In a visit the visitor is the source and the host the
# recipient (PLOVER manual, consult/visit); otherwise whoever initiates, or failing that speaks,
# is the source and whoever is targeted or addressed the recipient.
_SOURCE_ROLES = (("visitor",), ("initiator", "armed_force"), ("speaker",))
_RECIPIENT_ROLES = (("host",), ("target",), ("addressee",))
_SOURCE_TIERS = tuple(frozenset(t) for t in _SOURCE_ROLES)
_RECIPIENT_TIERS = tuple(frozenset(t) for t in _RECIPIENT_ROLES)
#: An event this long before its source's publication is background (PLOVER context
#: "historical"), not the news the source reports.
HISTORICAL_AFTER = dt.timedelta(days=30)


def _actor(p: Participant, roles: list[str]) -> dict[str, Any]:
    return {
        "actor_id": p.actor_id,
        "name": p.name,
        "kind": p.kind,
        "country": p.country,
        "wikidata_qid": p.wikidata_qid,
        "roles": roles,
    }


def _slots(
    ev: EventView,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    roles: dict[str, list[str]] = {}
    first: dict[str, Participant] = {}
    for p in ev.participants:
        roles.setdefault(p.actor_id, []).append(p.role)
        first.setdefault(p.actor_id, p)

    def pick(tiers: tuple[frozenset[str], ...], exclude: set[str]) -> list[str]:
        for tier in tiers:
            ids = [a for a, rs in roles.items() if a not in exclude and not tier.isdisjoint(rs)]
            if ids:
                return ids
        return []

    source = pick(_SOURCE_TIERS, set())
    recipient = pick(_RECIPIENT_TIERS, set(source))
    other = [a for a in roles if a not in source and a not in recipient]
    return (
        [_actor(first[a], roles[a]) for a in source],
        [_actor(first[a], roles[a]) for a in recipient],
        [_actor(first[a], roles[a]) for a in other],
    )


def _context(ev: EventView, view: TimelineView) -> list[str]:
    published = [view.sources[s].published for s in ev.source_ids if s in view.sources]
    context = []
    if ev.status in _PENDING:
        context.append("future")
    if published and ev.through < min(published) - HISTORICAL_AFTER:
        context.append("historical")
    return context


def _source_records(view: TimelineView) -> dict[str, dict[str, Any]]:
    return {
        i: {
            "source_id": s.source_id,
            "title": s.title,
            "publisher": s.publisher,
            "published": s.published.isoformat(),
            "url": s.url,
        }
        for i, s in view.sources.items()
    }


def plover_record(
    ev: EventView, view: TimelineView, sources: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """One event in a PLOVER-like shape: category, mode, context, source/recipient actors,
    location and the text spans that support it. ``sources``: each source's record, made
    once for many events (else made here)."""
    if sources is None:
        sources = _source_records(view)
    source, recipient, other = _slots(ev)
    place = ev.place
    return {
        "id": ev.event_id,
        "event_date": ev.start.isoformat(),
        "end_date": ev.end.isoformat() if ev.end else None,
        "date_precision": ev.precision,
        "edtf": ev.edtf,
        "timezone": ev.timezone,
        "category": ev.plover_category,
        "mode": ev.plover_mode,
        "context": _context(ev, view),
        "cameo_code": ev.cameo_code,
        "event_type": ev.event_type,
        "status": ev.status,
        "title": ev.title,
        "summary": ev.summary,
        "source_actors": source,
        "recipient_actors": recipient,
        "other_actors": other,
        "location": None
        if place is None
        else {
            "place_id": place.place_id,
            "name": place.name,
            "kind": place.kind,
            "country": place.country,
            "latitude": place.latitude,
            "longitude": place.longitude,
            "coordinate_precision": place.coordinate_precision,
            "geonames_id": place.geonames_id,
            "wikidata_qid": place.wikidata_qid,
        },
        "text_spans": [
            {
                "evidence_id": e.evidence_id,
                "aspect": e.aspect,
                "stance": e.stance,
                "statement_id": e.statement_id,
                "source_id": e.span.source_id,
                "char_start": e.span.char_start,
                "char_end": e.span.char_end,
                "text": e.span.excerpt,
            }
            for e in ev.evidence
        ],
        "sources": [sources[i] for i in ev.source_ids if i in sources],
        "source_count": len(ev.backing_sources),
        "statements": _statements(ev, view),
        "utterances": [[q.quote_id for q in group] for group in ev.utterances],
    }


def _jsonl_lines(view: TimelineView) -> Iterator[str]:
    sources = _source_records(view)  # shared by the records: json writes a dict each time
    for ev in view.events:
        record = plover_record(ev, view, sources)
        yield json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def jsonl(view: TimelineView) -> str:
    """One PLOVER-like JSON object per event and line, in date order."""
    return "".join(_jsonl_lines(view))


# --- entry points ---------------------------------------------------------------------------


def _encoded(texts: Iterable[str], size: int = 2000) -> Iterator[bytes]:
    """UTF-8 chunks of ``size`` texts each: large files are written piece by piece."""
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) >= size:
            yield "".join(batch).encode("utf-8")
            batch.clear()
    yield "".join(batch).encode("utf-8")


# Each format as chunks of bytes (a million events make gigabytes); JSON without json's indent.
_WRITERS: dict[str, Callable[[TimelineView], Iterator[bytes]]] = {
    "timelinejs": lambda v: indented_json_chunks(_timelinejs(v, TextStream(_slide_texts(v)))),
    "geojson": lambda v: indented_json_chunks(
        {"type": "FeatureCollection", "features": TextStream(_feature_texts(v))}
    ),
    "ics": lambda v: _encoded(_ics_chunks(v)),
    "jsonl": lambda v: _encoded(_jsonl_lines(v)),
}


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}. The formats are: {', '.join(FORMATS)}.")


def render(fmt: str, view: TimelineView) -> bytes:
    """The bytes of one format for an already-built view."""
    _check_format(fmt)
    return b"".join(_WRITERS[fmt](view))


def _chunks(
    fmt: str, view: TimelineView, full: Callable[[], TimelineView] | None = None
) -> Iterator[bytes]:
    """A format's bytes: from the package's columns where that writer gives the same, else
    from ``full()``, the whole view (``view`` itself by default)."""
    _check_format(fmt)
    columnar: dict[str, Callable[[DataPackage], Iterator[bytes] | None]] = {
        "geojson": geojson_chunks,
        "timelinejs": lambda p: slide_chunks(p, partial(_timelinejs, view), _PENDING),
        "jsonl": lambda p: jsonl_chunks(p, _PENDING),
        "ics": lambda p: ics_chunks(p, _dtstamp(view), next(_ics_chunks(view)), _PENDING),
    }
    made = columnar[fmt](shared_package(view))
    return made or _WRITERS[fmt](full() if full is not None else view)  # None: the view's way


def export(fmt: str, root: Path, out: Path) -> Path:
    """Write format ``fmt`` (one of :data:`FORMATS`) of the package at ``root`` to ``out``."""
    _check_format(fmt)
    return atomic_write(Path(out), _chunks(fmt, build_view(Path(root))))


def run_export(fmt: str, version: str | None, out: Path | None) -> Path:
    """The ``belarus-timeline export`` command: the bundled data (``version`` None) or a
    published release, written to ``out`` (a file, or a folder to put the default name in) or
    ``./belarus-timeline-<version>.<ext>``."""
    _check_format(fmt)
    pkg = DataPackage(bundled_root()) if version is None else package_for(version, None)
    name = f"belarus-timeline-{pkg.version}.{EXTENSIONS[fmt]}"
    if out is None:
        out = Path.cwd() / name
    elif out.is_dir():
        out = out / name
    return export(fmt, pkg.root, out)


__all__ = [
    "EXPORT_PATHS",
    "EXTENSIONS",
    "FORMATS",
    "export",
    "geojson",
    "ics",
    "jsonl",
    "render",
    "run_export",
    "timelinejs",
]
