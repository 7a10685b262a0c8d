"""One denormalised, ordered view of the timeline that every export, the chart and the page share.

The tables are joined once here (events with their place, participants, quotes, claims, evidence
and links) so that each output format only decides how to *write* an event, never how to find
its parts. Everything is sorted by keys taken from the data, never by load order of a dict, so
that the same package always gives the same outputs byte for byte.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from belarus_timeline.errors import PackageError
from belarus_timeline.load import load
from belarus_timeline.package import DataPackage

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True)
class Place:
    """Where an event happened, with the place it lies in."""

    place_id: str
    name: str
    kind: str
    country: str
    latitude: float | None
    longitude: float | None
    coordinate_precision: str
    coordinate_source: str | None
    geonames_id: int | None
    wikidata_qid: str | None
    within_name: str | None

    @property
    def has_point(self) -> bool:
        """Whether the place has a point (countries have none)."""
        return self.latitude is not None and self.longitude is not None

    @property
    def label(self) -> str:
        """``Moscow, Russia``: the name and the place it lies in."""
        return f"{self.name}, {self.within_name}" if self.within_name else self.name

    @property
    def coordinate_note(self) -> str:
        """What the coordinates stand for, in words: a city's point is not a venue's."""
        if not self.has_point:
            return f"No point: {self.name} is a {self.kind}, which has no meaningful point."
        src = f" ({self.coordinate_source})" if self.coordinate_source else ""
        if self.coordinate_precision == "city":
            return f"The point of the city of {self.name}{src}, not of the venue."
        return f"Coordinate precision: {self.coordinate_precision}{src}."


@dataclass(frozen=True)
class Participant:
    """An actor in an event, in one role."""

    actor_id: str
    name: str
    kind: str
    country: str
    wikidata_qid: str | None
    role: str


@dataclass(frozen=True)
class Span:
    """A span of an archived source text: Python ``str`` offsets, end exclusive."""

    source_id: str
    char_start: int
    char_end: int
    excerpt: str


@dataclass(frozen=True)
class Quote:
    """Quoted words said at an event."""

    quote_id: str
    speaker_id: str
    speaker: str
    addressee_id: str | None
    addressee: str | None
    said_on: dt.date
    kind: str
    span: Span

    @property
    def text(self) -> str:
        """The words, with the source's quotation marks."""
        return self.span.excerpt


@dataclass(frozen=True)
class Claim:
    """A statement of fact or figure made at an event."""

    claim_id: str
    claimant_id: str
    claimant: str
    stated_on: dt.date
    subject: str
    value: float | None
    unit: str | None
    comparator: str | None
    qualifier: str | None
    period: str | None
    span: Span


@dataclass(frozen=True)
class Evidence:
    """A source span that supports an event (its occurrence, date, place or participants)."""

    evidence_id: str
    aspect: str
    span: Span


@dataclass(frozen=True)
class Link:
    """A typed relation between two events, seen from one of them."""

    relation: str
    direction: str  # "out": this event is from_event_id; "in": it is to_event_id
    other_event_id: str
    span: Span


@dataclass(frozen=True)
class Source:
    """A source document and where its archived text lives."""

    source_id: str
    title: str
    publisher: str
    published: dt.date
    url: str | None
    archive_path: str

    @property
    def credit(self) -> str:
        """``The Washington Post, 17 February 2023: “Title”``."""
        return f"{self.publisher}, {format_day(self.published)}: “{self.title}”"


@dataclass(frozen=True)
class EventView:
    """An event with everything the outputs show about it."""

    event_id: str
    title: str
    summary: str
    event_type: str
    plover_category: str | None
    plover_mode: str | None
    cameo_code: str | None
    start: dt.date
    end: dt.date
    precision: str
    edtf: str
    timezone: str | None
    date_basis: str
    date_expression: str | None
    date_anchor: str | None
    status: str
    place: Place | None
    participants: tuple[Participant, ...]
    quotes: tuple[Quote, ...]
    claims: tuple[Claim, ...]
    evidence: tuple[Evidence, ...]
    links: tuple[Link, ...]

    @property
    def key_quote(self) -> Quote | None:
        """The first whole quoted sentence in source order, else the first fragment."""
        full = [q for q in self.quotes if q.kind == "full"]
        candidates = full or list(self.quotes)
        return candidates[0] if candidates else None

    @property
    def display_date(self) -> str:
        """The date as a reader says it, at the event's precision: ``17 February 2023``."""
        return display_range(self.start, self.end, self.precision)

    @property
    def source_ids(self) -> tuple[str, ...]:
        """Sources of the event's evidence, in order of first use."""
        return tuple(dict.fromkeys(e.span.source_id for e in self.evidence))


@dataclass(frozen=True)
class TimelineView:
    """The package's metadata and its events in date order."""

    root: Path
    name: str
    title: str
    description: str
    version: str
    created: str | None
    license: str | None
    events: tuple[EventView, ...]
    sources: dict[str, Source]
    #: Every event type of the schema's vocabulary, in schema order (colours and legends).
    event_types: tuple[str, ...]

    def event(self, event_id: str) -> EventView:
        """One event by id."""
        for ev in self.events:
            if ev.event_id == event_id:
                return ev
        raise KeyError(event_id)


def format_day(day: dt.date) -> str:
    """``17 February 2023``."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def format_at(day: dt.date, precision: str) -> str:
    """A date written at a precision: ``17 February 2023``, ``February 2023`` or ``2023``."""
    if precision == "year":
        return str(day.year)
    if precision == "month":
        return f"{_MONTHS[day.month - 1]} {day.year}"
    return format_day(day)


def display_range(start: dt.date, end: dt.date, precision: str) -> str:
    """A date range at a precision; one date when both ends fall in the same period."""
    a, b = format_at(start, precision), format_at(end, precision)
    if a == b:
        return a
    if precision == "day" and (start.year, start.month) == (end.year, end.month):
        return f"{start.day}\N{EN DASH}{format_day(end)}"
    return f"{a} \N{EN DASH} {b}"


_RELATION_LABELS = {
    ("anniversary_of", "out"): "Anniversary of",
    ("anniversary_of", "in"): "Its anniversary",
    ("refers_to", "out"): "Refers to",
    ("refers_to", "in"): "Referred to by",
    ("prelude_to", "out"): "Prelude to",
    ("prelude_to", "in"): "After its prelude",
    ("part_of", "out"): "Part of",
    ("part_of", "in"): "Includes",
    ("same_day_as", "out"): "Same day as",
    ("same_day_as", "in"): "Same day as",
    ("precedes", "out"): "Precedes",
    ("precedes", "in"): "Preceded by",
}


def relation_label(relation: str, direction: str) -> str:
    """How a link reads from the event it is seen from (``Anniversary of``, ``Includes``)."""
    return _RELATION_LABELS.get((relation, direction), relation.replace("_", " "))


def type_label(event_type: str) -> str:
    """An event type as words: ``bilateral_meeting`` → ``bilateral meeting``."""
    return event_type.replace("_", " ")


def _str(value: Any) -> str | None:
    """A cell as text, or ``None`` when it is empty (pandas NA, NaN or "")."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value)
    return text if text != "" else None


def _req(value: Any, what: str) -> str:
    text = _str(value)
    if text is None:
        raise PackageError(f"{what} is empty; run `belarus-timeline validate` on the package.")
    return text


def _date(value: Any) -> dt.date:
    return pd.Timestamp(value).date()


def _float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _int(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _records(df: pd.DataFrame) -> list[dict[Hashable, Any]]:
    return df.to_dict("records")


def _span(r: dict[Hashable, Any], text_field: str = "excerpt") -> Span:
    return Span(str(r["source_id"]), int(r["char_start"]), int(r["char_end"]), str(r[text_field]))


def _grouped(rows: Iterable[dict[Hashable, Any]], key: str) -> dict[str, list[dict[Hashable, Any]]]:
    out: dict[str, list[dict[Hashable, Any]]] = defaultdict(list)
    for r in rows:
        out[str(r[key])].append(r)
    return out


def _vocabulary(pkg: DataPackage, table: str, field: str) -> tuple[str, ...]:
    """A field's controlled vocabulary in schema order; empty when the schema has none."""
    try:
        return pkg.schema(table).field(field).enum or ()
    except (KeyError, PackageError):
        return ()


_Row = dict[Hashable, Any]


def _actor_name(actors: dict[str, _Row], actor_id: str | None) -> str | None:
    if actor_id is None:
        return None
    row = actors.get(actor_id)
    return str(row["name"]) if row is not None else actor_id


def _participant(actors: dict[str, _Row], actor_id: str, role: str) -> Participant:
    row = actors.get(actor_id)
    if row is None:  # a broken foreign key: validation reports it; show the bare id here
        return Participant(actor_id, actor_id, "", "", None, role)
    return Participant(
        actor_id=actor_id,
        name=str(row["name"]),
        kind=str(row["kind"]),
        country=str(row["country"]),
        wikidata_qid=_str(row["wikidata_qid"]),
        role=role,
    )


def _pos(span: Span, ident: str) -> tuple[str, int, int, str]:
    """Sort key: position in the source, then id."""
    return (span.source_id, span.char_start, span.char_end, ident)


def _places(rows: list[_Row]) -> dict[str, Place]:
    """Every place by id, with the name of the place it lies in."""
    place_rows = {str(r["place_id"]): r for r in rows}
    places: dict[str, Place] = {}
    for pid, r in place_rows.items():
        within = _str(r["within_place_id"])
        within_row = place_rows.get(within) if within else None
        places[pid] = Place(
            place_id=pid,
            name=str(r["name"]),
            kind=str(r["kind"]),
            country=str(r["country"]),
            latitude=_float(r["latitude"]),
            longitude=_float(r["longitude"]),
            coordinate_precision=str(r["coordinate_precision"]),
            coordinate_source=_str(r["coordinate_source"]),
            geonames_id=_int(r["geonames_id"]),
            wikidata_qid=_str(r["wikidata_qid"]),
            within_name=str(within_row["name"]) if within_row is not None else None,
        )
    return places


def _links(rows: list[_Row]) -> dict[str, list[Link]]:
    """Every link seen from both of its events: "out" from the first, "in" from the second."""
    links: dict[str, list[Link]] = defaultdict(list)
    for r in rows:
        a, b, rel = str(r["from_event_id"]), str(r["to_event_id"]), str(r["relation"])
        links[a].append(Link(rel, "out", b, _span(r)))
        links[b].append(Link(rel, "in", a, _span(r)))
    return links


@dataclass(frozen=True)
class _Joined:
    """The tables an event is joined with: rows by key, grouped by event id."""

    actors: dict[str, _Row]
    places: dict[str, Place]
    #: Participant roles in schema order (initiator, ..., host, visitor, speaker, ...).
    role_order: dict[str, int]
    participants: dict[str, list[_Row]]
    quotes: dict[str, list[_Row]]
    claims: dict[str, list[_Row]]
    evidence: dict[str, list[_Row]]
    links: dict[str, list[Link]]


def _join(pkg: DataPackage) -> tuple[list[_Row], _Joined, list[_Row]]:
    """Read the package's tables: the event rows, what they join with, the source rows."""
    tl = load(root=pkg.root)
    joined = _Joined(
        actors={str(r["actor_id"]): r for r in _records(tl.actors)},
        places=_places(_records(tl.places)),
        role_order={r: i for i, r in enumerate(_vocabulary(pkg, "participants", "role"))},
        participants=_grouped(_records(tl.participants), "event_id"),
        quotes=_grouped(_records(tl.quotes), "event_id"),
        claims=_grouped(_records(tl.claims), "event_id"),
        evidence=_grouped(_records(tl.evidence), "event_id"),
        links=_links(_records(tl.event_links)),
    )
    return _records(tl.events), joined, _records(tl.sources)


def _event_participants(rows: list[_Row], j: _Joined) -> tuple[Participant, ...]:
    # Roles in schema order, then actor id: a key from the data, so a release with rows
    # sorted otherwise gives the same output.
    return tuple(
        sorted(
            (_participant(j.actors, str(p["actor_id"]), str(p["role"])) for p in rows),
            key=lambda p: (j.role_order.get(p.role, len(j.role_order)), p.role, p.actor_id),
        )
    )


def _event_quotes(rows: list[_Row], actors: dict[str, _Row]) -> tuple[Quote, ...]:
    qs = [
        Quote(
            quote_id=str(q["quote_id"]),
            speaker_id=str(q["speaker_id"]),
            speaker=_actor_name(actors, str(q["speaker_id"])) or "",
            addressee_id=_str(q["addressee_id"]),
            addressee=_actor_name(actors, _str(q["addressee_id"])),
            said_on=_date(q["said_on"]),
            kind=str(q["quote_kind"]),
            span=_span(q, "text"),
        )
        for q in rows
    ]
    return tuple(sorted(qs, key=lambda q: _pos(q.span, q.quote_id)))


def _event_claims(rows: list[_Row], actors: dict[str, _Row]) -> tuple[Claim, ...]:
    cs = [
        Claim(
            claim_id=str(c["claim_id"]),
            claimant_id=str(c["claimant_id"]),
            claimant=_actor_name(actors, str(c["claimant_id"])) or "",
            stated_on=_date(c["stated_on"]),
            subject=str(c["subject"]),
            value=_float(c["value"]),
            unit=_str(c["unit"]),
            comparator=_str(c["comparator"]),
            qualifier=_str(c["qualifier"]),
            period=_str(c["period"]),
            span=_span(c),
        )
        for c in rows
    ]
    return tuple(sorted(cs, key=lambda c: _pos(c.span, c.claim_id)))


def _event_evidence(rows: list[_Row]) -> tuple[Evidence, ...]:
    evs = [Evidence(str(e["evidence_id"]), str(e["aspect"]), _span(e)) for e in rows]
    return tuple(sorted(evs, key=lambda e: _pos(e.span, e.evidence_id)))


def _event_links(links: list[Link]) -> tuple[Link, ...]:
    """Outgoing links first, then by relation and the other event."""
    return tuple(
        sorted(links, key=lambda ln: (ln.direction != "out", ln.relation, ln.other_event_id))
    )


def _event(r: _Row, j: _Joined) -> EventView:
    """One event row joined with its place, participants, quotes, claims, evidence and links."""
    eid = str(r["event_id"])
    event_place = _str(r["place_id"])
    participants = _event_participants(j.participants.get(eid, []), j)
    quotes = _event_quotes(j.quotes.get(eid, []), j.actors)
    claims = _event_claims(j.claims.get(eid, []), j.actors)
    evidence = _event_evidence(j.evidence.get(eid, []))
    return EventView(
        event_id=eid,
        title=_req(r["title"], f"events.title of {eid}"),
        summary=_str(r["summary"]) or "",
        event_type=str(r["event_type"]),
        plover_category=_str(r["plover_category"]),
        plover_mode=_str(r["plover_mode"]),
        cameo_code=_str(r["cameo_code"]),
        start=_date(r["start_date"]),
        end=_date(r["end_date"]),
        precision=str(r["date_precision"]),
        edtf=str(r["edtf"]),
        timezone=_str(r["timezone"]),
        date_basis=str(r["date_basis"]),
        date_expression=_str(r["date_expression"]),
        date_anchor=_str(r["date_anchor"]),
        status=str(r["status"]),
        place=j.places.get(event_place) if event_place else None,
        participants=participants,
        quotes=quotes,
        claims=claims,
        evidence=evidence,
        links=_event_links(j.links.get(eid, [])),
    )


def _sources(rows: list[_Row]) -> dict[str, Source]:
    """Every source by id, in id order."""
    sources = {
        str(s["source_id"]): Source(
            source_id=str(s["source_id"]),
            title=str(s["title"]),
            publisher=str(s["publisher"]),
            published=_date(s["published"]),
            url=_str(s["url"]),
            archive_path=str(s["archive_path"]),
        )
        for s in rows
    }
    return dict(sorted(sources.items()))


def _timeline(
    pkg: DataPackage, events: list[EventView], sources: dict[str, Source]
) -> TimelineView:
    """The view: the package's metadata around its events and sources."""
    d = pkg.descriptor
    licenses = d.get("licenses") or []
    license_name = (
        str(licenses[0].get("name")) if licenses and isinstance(licenses[0], dict) else None
    )
    created = d.get("created")
    vocab = _vocabulary(pkg, "events", "event_type")
    used = sorted({e.event_type for e in events} - set(vocab))
    return TimelineView(
        root=pkg.root,
        name=pkg.name,
        title=str(d.get("title") or pkg.name),
        description=str(d.get("description") or ""),
        version=pkg.version,
        created=str(created) if created else None,
        license=license_name,
        events=tuple(events),
        sources=sources,
        event_types=(*vocab, *used),
    )


def build_view(root: Path) -> TimelineView:
    """Read the package at ``root`` and join its tables into events in date order.

    Everything is ordered by keys from the data, never by row order (a release sorts its rows
    differently from the repository): events by (start date, end date, event id); quotes,
    claims and evidence by their position in the source; participants by role (schema order)
    and actor id.
    """
    pkg = DataPackage(root)
    event_rows, joined, source_rows = _join(pkg)
    events = sorted(
        (_event(r, joined) for r in event_rows), key=lambda e: (e.start, e.end, e.event_id)
    )
    return _timeline(pkg, events, _sources(source_rows))
