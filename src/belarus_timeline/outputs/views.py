"""One denormalised, ordered view of the timeline that every export, the chart and the page share.

The tables are joined once here (events with their place, participants, quotes, claims, evidence
and links) so that each output format only decides how to *write* an event, never how to find
its parts. Everything is sorted by keys taken from the data, never by load order of a dict, so
that the same package always gives the same outputs byte for byte.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from belarus_timeline.errors import PackageError
from belarus_timeline.outputs.attribution import (
    BACKING,
    Evidence,
    Link,
    Span,
    Statement,
    evidence_by_event,
    first_use,
    in_source_order,
    links_of,
    once,
    position,
    relation_label,
    span_of,
    statements_of,
    type_label,
)
from belarus_timeline.outputs.attribution import describe_values as _describe_values
from belarus_timeline.outputs.attribution import text_or_none as _str
from belarus_timeline.outputs.dates import display_edtf, display_range, format_at, format_day
from belarus_timeline.outputs.rows import columns, grouped_pairs, records
from belarus_timeline.outputs.rows import grouped_rows as _grouped
from belarus_timeline.package import DataPackage

__all__ = [
    "Claim",
    "EventView",
    "Evidence",
    "Link",
    "Participant",
    "Place",
    "Quote",
    "Source",
    "Span",
    "Statement",
    "TimelineView",
    "build_view",
    "display_edtf",
    "display_range",
    "format_at",
    "format_day",
    "relation_label",
    "type_label",
]


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

    @once
    def label(self) -> str:
        """``Moscow, Russia``: the name and the place it lies in."""
        return f"{self.name}, {self.within_name}" if self.within_name else self.name

    @once
    def coordinate_note(self) -> str:
        """What the coordinates stand for, in words: a city's point is not a venue's."""
        if not self.has_point:
            return f"No point: {self.name} is a {self.kind}, which has no meaningful point."
        src = f" ({self.coordinate_source})" if self.coordinate_source else ""
        if self.coordinate_precision == "city":
            return f"The point of the city of {self.name}{src}, not of the venue."
        return f"Coordinate precision: {self.coordinate_precision}{src}."


@dataclass(frozen=True, slots=True)
class Participant:
    """An actor in an event, in one role."""

    actor_id: str
    name: str
    kind: str
    country: str
    wikidata_qid: str | None
    role: str


@dataclass(frozen=True, slots=True)
class Quote:
    """Quoted words said at an event."""

    quote_id: str
    utterance_id: str
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


@dataclass(frozen=True, slots=True)
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
class Source:
    """A source document and where its archived text lives."""

    source_id: str
    title: str
    publisher: str
    published: dt.date
    url: str | None
    archive_path: str

    @once
    def credit(self) -> str:
        """``The Washington Post, 17 February 2023: “Title”``."""
        return f"{self.publisher}, {format_day(self.published)}: “{self.title}”"

    @once
    def short(self) -> str:
        """``The Washington Post, 17 February 2023``: enough to tell sources apart in a line."""
        return f"{self.publisher}, {format_day(self.published)}"


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
    end: dt.date | None  # None: the date has an open end (EDTF ``…/..``)
    precision: str
    edtf: str
    timezone: str | None
    status: str
    place: Place | None
    participants: tuple[Participant, ...]
    quotes: tuple[Quote, ...]
    claims: tuple[Claim, ...]
    evidence: tuple[Evidence, ...]
    links: tuple[Link, ...]
    #: The ranked values of the date and the place (preferred first) with their spans.
    statements: tuple[Statement, ...] = ()

    @property
    def through(self) -> dt.date:
        """The last day to draw the event on: its end, or its first day when the end is open."""
        return self.end if self.end is not None else self.start

    def values(self, prop: str) -> tuple[Statement, ...]:
        """The statements of ``date`` or ``place``, preferred first."""
        if prop == "date" or prop == "place":
            return self._values_of[prop]
        return tuple(s for s in self.statements if s.prop == prop)

    # Every output asks for these several times per event: computed once, on first use (a
    # frozen dataclass still has an instance __dict__ for cached_property to fill).
    @once
    def _values_of(self) -> dict[str, tuple[Statement, ...]]:
        values: dict[str, list[Statement]] = {"date": [], "place": []}
        for s in self.statements:
            values.get(s.prop, []).append(s)
        return {p: tuple(v) for p, v in values.items()}

    @once
    def _disputed(self) -> dict[str, bool]:
        v = self._values_of
        return {p: len(v[p]) > 1 or any(s.contradicted_by for s in v[p]) for p in v}

    def disputed(self, prop: str) -> bool:
        """Whether sources disagree on the value: alternatives, or a span contradicting one."""
        if prop == "date" or prop == "place":
            return self._disputed[prop]
        values = self.values(prop)
        return len(values) > 1 or any(s.contradicted_by for s in values)

    @once
    def date_derivations(self) -> tuple[Evidence, ...]:
        """How each source gives the preferred date: its date spans, in source order."""
        preferred = {s.statement_id for s in self.values("date") if s.rank == "preferred"}
        return tuple(e for e in self.evidence if e.statement_id in preferred)

    @once
    def backing_sources(self) -> tuple[str, ...]:
        """Sources with a span that supports (or qualifies) the event, in order of first use."""
        return first_use(e.span.source_id for e in self.evidence if e.stance in BACKING)

    @once
    def utterances(self) -> tuple[tuple[Quote, ...], ...]:
        """The quotes grouped by the utterance they render. The rendering whose id names the
        utterance (its first) leads its group, and the group sits where that rendering does."""
        groups: dict[str, list[Quote]] = {}
        for q in self.quotes:
            groups.setdefault(q.utterance_id, []).append(q)
        at = {q.quote_id: i for i, q in enumerate(self.quotes)}
        led = [sorted(g, key=lambda q: q.quote_id != q.utterance_id) for g in groups.values()]
        return tuple(tuple(g) for g in sorted(led, key=lambda g: at[g[0].quote_id]))

    @once
    def key_quote(self) -> Quote | None:
        """The first whole quoted sentence, else the first fragment, among the utterances' first
        renderings (in source order)."""
        firsts = [group[0] for group in self.utterances]
        full = [q for q in firsts if q.kind == "full"]
        candidates = full or firsts
        return candidates[0] if candidates else None

    @once
    def display_date(self) -> str:
        """The date as a reader says it, at the event's precision: ``17 February 2023``,
        ``a day in February 2023``, ``from 17 February 2023 (end open)``."""
        return display_edtf(self.edtf)

    @once
    def source_ids(self) -> tuple[str, ...]:
        """Sources of the event's evidence, in order of first use."""
        return first_use(e.span.source_id for e in self.evidence)


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
    #: A short name of every source (its publisher, with the date when a publisher repeats).
    source_labels: dict[str, str] = dataclasses.field(default_factory=dict)

    @once
    def titles(self) -> dict[str, str]:
        """Every event's title by id."""
        return {ev.event_id: ev.title for ev in self.events}

    def source_label(self, source_id: str) -> str:
        """The short name of a source (its id when it is not in the sources table)."""
        return self.source_labels.get(source_id, source_id)

    def describe(self, ev: EventView, prop: str) -> str:
        """An event's values of ``date`` or ``place`` with the sources that give each:
        ``Moscow, Russia (The Washington Post) · a residence near Moscow (Wire)``."""
        return _describe_values(ev.values(prop), self.source_label)

    def event(self, event_id: str) -> EventView:
        """One event by id."""
        for ev in self.events:
            if ev.event_id == event_id:
                return ev
        raise KeyError(event_id)


def _req(value: Any, what: str) -> str:
    text = _str(value)
    if text is None:
        raise PackageError(f"{what} is empty; run `belarus-timeline validate` on the package.")
    return text


def _date(value: Any) -> dt.date:
    if type(value) is dt.date:  # what the rows hold; pd.Timestamp(d).date() is d again
        return value
    return pd.Timestamp(value).date()


def _float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _int(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


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


@dataclass(frozen=True)
class _Joined:
    """The tables an event is joined with: rows by key, grouped by event id."""

    actors: dict[str, _Row]
    places: dict[str, Place]
    #: Participant roles in schema order (initiator, ..., host, visitor, speaker, ...).
    role_order: dict[str, int]
    participants: dict[str, list[tuple[str, str]]]  # (actor id, role)
    quotes: dict[str, list[_Row]]
    claims: dict[str, list[_Row]]
    evidence: dict[str, list[Evidence]]
    statements: dict[str, list[_Row]]
    links: dict[str, list[Link]]


def _join(pkg: DataPackage) -> tuple[list[_Row], _Joined, list[_Row]]:
    """Read the package's tables: the event rows, what they join with, the source rows."""
    joined = _Joined(
        actors={str(r["actor_id"]): r for r in records(pkg, "actors")},
        places=_places(records(pkg, "places")),
        role_order={r: i for i, r in enumerate(_vocabulary(pkg, "participants", "role"))},
        participants=grouped_pairs(columns(pkg, "participants"), "actor_id", "role"),
        quotes=_grouped(records(pkg, "quotes"), "event_id"),
        claims=_grouped(records(pkg, "claims"), "event_id"),
        evidence=evidence_by_event(columns(pkg, "evidence")),
        statements=_grouped(records(pkg, "statements"), "event_id"),
        links=links_of(records(pkg, "event_links"), records(pkg, "link_evidence")),
    )
    return records(pkg, "events"), joined, records(pkg, "sources")


def _event_participants(pairs: list[tuple[str, str]], j: _Joined) -> tuple[Participant, ...]:
    # Roles in schema order, then actor id: a key from the data, so a release with rows
    # sorted otherwise gives the same output.
    return tuple(
        sorted(
            (_participant(j.actors, actor, role) for actor, role in pairs),
            key=lambda p: (j.role_order.get(p.role, len(j.role_order)), p.role, p.actor_id),
        )
    )


def _event_quotes(rows: list[_Row], actors: dict[str, _Row]) -> tuple[Quote, ...]:
    qs = [
        Quote(
            quote_id=str(q["quote_id"]),
            utterance_id=str(q["utterance_id"]),
            speaker_id=str(q["speaker_id"]),
            speaker=_actor_name(actors, str(q["speaker_id"])) or "",
            addressee_id=_str(q["addressee_id"]),
            addressee=_actor_name(actors, _str(q["addressee_id"])),
            said_on=_date(q["said_on"]),
            kind=str(q["quote_kind"]),
            span=span_of(q, "text"),
        )
        for q in rows
    ]
    return tuple(sorted(qs, key=lambda q: position(q.span, q.quote_id)))


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
            span=span_of(c),
        )
        for c in rows
    ]
    return tuple(sorted(cs, key=lambda c: position(c.span, c.claim_id)))


def _value_label(places: dict[str, Place]) -> Any:
    """Words for a statement's value: a date as a reader says it, a place by its label."""

    def label(prop: str, value: str) -> str:
        if prop == "date":
            return display_edtf(value)
        place = places.get(value)
        return place.label if place is not None else value

    return label


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
    evidence = in_source_order(j.evidence.get(eid, ()))
    return EventView(
        event_id=eid,
        title=_req(r["title"], f"events.title of {eid}"),
        summary=_str(r["summary"]) or "",
        event_type=str(r["event_type"]),
        plover_category=_str(r["plover_category"]),
        plover_mode=_str(r["plover_mode"]),
        cameo_code=_str(r["cameo_code"]),
        start=_date(r["start_date"]),
        end=_date(r["end_date"]) if _str(r["end_date"]) is not None else None,
        precision=str(r["date_precision"]),
        edtf=str(r["edtf"]),
        timezone=_str(r["timezone"]),
        status=str(r["status"]),
        place=j.places.get(event_place) if event_place else None,
        participants=participants,
        quotes=quotes,
        claims=claims,
        evidence=evidence,
        links=_event_links(j.links.get(eid, [])),
        statements=statements_of(j.statements.get(eid, []), evidence, _value_label(j.places)),
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
        source_labels=_labels(sources),
    )


def _labels(sources: dict[str, Source]) -> dict[str, str]:
    """Publishers name sources; a publisher with several sources adds the date (and the id, if
    that repeats too)."""
    publishers = Counter(s.publisher for s in sources.values())
    labels = {
        k: s.publisher if publishers[s.publisher] == 1 else s.short for k, s in sources.items()
    }
    repeated = Counter(labels.values())
    return {k: f"{v} ({k})" if repeated[v] > 1 else v for k, v in labels.items()}


def build_view(root: Path) -> TimelineView:
    """Read the package at ``root`` and join its tables into events in date order.

    Everything is ordered by keys from the data, never by row order (a release sorts its rows
    differently from the repository): events by (start date, end date, event id); quotes,
    claims and evidence by their position in the source; statements by rank; participants by
    role (schema order) and actor id.
    """
    pkg = DataPackage(root)
    event_rows, joined, source_rows = _join(pkg)
    events = sorted(
        (_event(r, joined) for r in event_rows), key=lambda e: (e.start, e.through, e.event_id)
    )
    return _timeline(pkg, events, _sources(source_rows))
