"""Exports' text written straight: GeoJSON features and TimelineJS slides as indented JSON
without dicts, and iCalendar's TEXT escaping and line folding.

Building a dict per event and walking it with the generic writer of
:mod:`belarus_timeline.outputs.jsontext` was most of the time of these exports. The shape
of a feature or slide is fixed, so its text is joined from the escaped values and constant pieces
(keys, commas, indentation) prepared once. The bytes are those of the generic writer for the
same dict: ``tests/test_export_text.py`` compares the two on tricky values, and a value of a type
this does not know (:class:`~belarus_timeline.outputs.jsontext.Unknown`) makes the caller write
that event the generic way.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from json.encoder import encode_basestring as _enc

from belarus_timeline.errors import PackageError
from belarus_timeline.outputs.jsontext import json_scalar
from belarus_timeline.outputs.views import EventView, Place, Statement, TimelineView, type_label

_IND = "  "
#: The level of a feature inside ``{"features": [...]}``.
FEATURE_LEVEL = 2
_NO_PLACE_NOTE = "No place: the source names none."


@functools.cache
def _prefixes(keys: tuple[str, ...], level: int) -> tuple[str, ...]:
    """What goes before each value of a dict at ``level``: ``{``/``,``, newline, indent, key."""
    inner = "\n" + _IND * (level + 1)
    return tuple(("{" if i == 0 else ",") + inner + _enc(k) + ": " for i, k in enumerate(keys))


def _close(level: int) -> str:
    return "\n" + _IND * level


def _obj(prefixes: tuple[str, ...], values: Sequence[str], close: str) -> str:
    return "".join([p + v for p, v in zip(prefixes, values, strict=True)]) + close + "}"


def _strings(items: Sequence[str], level: int) -> str:
    """A list of strings at ``level``, as the generic writer indents it."""
    if not items:
        return "[]"
    inner = "\n" + _IND * (level + 1)
    return "[" + inner + ("," + inner).join([_enc(x) for x in items]) + _close(level) + "]"


def _opt(value: str | None) -> str:
    return "null" if value is None else _enc(value)


_GEOMETRY = _prefixes(("type", "coordinates"), FEATURE_LEVEL + 1)
_FEATURE = _prefixes(("type", "id", "geometry", "properties"), FEATURE_LEVEL)
_STATEMENT_KEYS = (
    "statement_id",
    "property",
    "value",
    "label",
    "rank",
    "rank_reason",
    "sources",
    "contradicted_by",
)
_PROPERTY_KEYS = (
    "event_id",
    "title",
    "event_type",
    "status",
    "start_date",
    "end_date",
    "date_precision",
    "edtf",
    "timezone",
    "place_id",
    "place_name",
    "place_kind",
    "country",
    "geonames_id",
    "wikidata_qid",
    "coordinate_precision",
    "coordinate_note",
    "actor_ids",
    "quote_ids",
    "claim_ids",
    "evidence_ids",
    "source_ids",
    "source_count",
    "disputed",
    "statements",
)
_PROPERTIES = _prefixes(_PROPERTY_KEYS, FEATURE_LEVEL + 1)


def statements_text(statements: Sequence[Statement], level: int) -> str:
    """The list of an event's statements (as ``formats._statements`` gives them) at ``level``."""
    if not statements:
        return "[]"
    prefixes = _prefixes(_STATEMENT_KEYS, level + 1)
    close = _close(level + 1)
    inner = "\n" + _IND * (level + 1)
    parts = [
        _obj(
            prefixes,
            (
                _enc(s.statement_id),
                _enc(s.prop),
                _enc(s.value),
                _enc(s.label),
                _enc(s.rank),
                _opt(s.rank_reason),
                _strings(s.sources, level + 2),
                _strings(s.contradicted_by, level + 2),
            ),
            close,
        )
        for s in statements
    ]
    return "[" + inner + ("," + inner).join(parts) + _close(level) + "]"


def place_pieces(place: Place | None) -> tuple[str, ...]:
    """A feature's geometry and its eight place properties (``place_id`` to
    ``coordinate_note``), as JSON text."""
    level = FEATURE_LEVEL + 1
    if place is None:
        return ("null", *(["null"] * 7), _enc(_NO_PLACE_NOTE))
    geometry = "null"
    if place.latitude is not None and place.longitude is not None:
        inner = "\n" + _IND * (level + 2)
        coords = (
            "[" + inner + json_scalar(place.longitude) + "," + inner
            + json_scalar(place.latitude) + _close(level + 1) + "]"
        )  # fmt: skip
        geometry = _obj(_GEOMETRY, ('"Point"', coords), _close(level))
    return (
        geometry,
        _enc(place.place_id),
        _enc(place.name),
        _enc(place.kind),
        _enc(place.country),
        json_scalar(place.geonames_id),
        _opt(place.wikidata_qid),
        _enc(place.coordinate_precision),
        _enc(place.coordinate_note),
    )


def feature_text(ev: EventView) -> str:
    """The feature of ``formats._feature(ev, view)`` as the generic writer writes it at
    :data:`FEATURE_LEVEL`; raises ``Unknown`` on a value of a type it does not know."""
    place = ev.place
    level = FEATURE_LEVEL + 1
    geometry, *place_texts = place_pieces(place)
    end = ev.end
    props = (
        _enc(ev.event_id),
        _enc(ev.title),
        _enc(ev.event_type),
        _enc(ev.status),
        _enc(ev.start.isoformat()),
        "null" if not end else _enc(end.isoformat()),
        _enc(ev.precision),
        _enc(ev.edtf),
        _opt(ev.timezone),
        *place_texts,
        _strings(list(dict.fromkeys(p.actor_id for p in ev.participants)), level + 1),
        _strings([q.quote_id for q in ev.quotes], level + 1),
        _strings([c.claim_id for c in ev.claims], level + 1),
        _strings([e.evidence_id for e in ev.evidence], level + 1),
        _strings(ev.source_ids, level + 1),
        json_scalar(len(ev.backing_sources)),
        _strings([p for p in ("date", "place") if ev.disputed(p)], level + 1),
        statements_text(ev.statements, level + 1),
    )
    return _obj(
        _FEATURE,
        ('"Feature"', _enc(ev.event_id), geometry, _obj(_PROPERTIES, props, _close(level))),
        _close(FEATURE_LEVEL),
    )


_SLIDE_LEVEL = FEATURE_LEVEL  # a slide sits in ``{"events": [...]}`` as a feature does
_TEXT = _prefixes(("headline", "text"), _SLIDE_LEVEL + 1)
_MEDIA = _prefixes(("url", "caption", "credit"), _SLIDE_LEVEL + 1)
_CAPTION = _enc("Source")


def _ints(parts: dict[str, int], level: int) -> str:
    return _obj(
        _prefixes(tuple(parts), level), [json_scalar(v) for v in parts.values()], _close(level)
    )


def slide_text(
    ev: EventView,
    start: dict[str, int],
    end: dict[str, int] | None,
    body: tuple[str, str, str],
) -> str:
    """The slide of ``formats._slide`` (its dates' parts, ``end`` None when the same as
    ``start``, and its HTML text, media URL and credit) as the generic writer writes it."""
    level = _SLIDE_LEVEL + 1
    text, url, credit = body
    keys = ["unique_id", "start_date"] + (["end_date"] if end is not None else [])
    values = [_enc(ev.event_id), _ints(start, level)]
    if end is not None:
        values.append(_ints(end, level))
    keys += ["display_date", "text", "group", "media"]
    values += [
        _enc(ev.display_date),
        _obj(_TEXT, (_enc(ev.title), _enc(text)), _close(level)),
        _enc(type_label(ev.event_type)),
        _obj(_MEDIA, (_enc(url), _CAPTION, _enc(credit)), _close(level)),
    ]
    return _obj(_prefixes(tuple(keys), _SLIDE_LEVEL), values, _close(_SLIDE_LEVEL))


def _tl_date(day: dt.date, precision: str) -> dict[str, int]:
    """TimelineJS date parts down to the event's precision only: a month-precise date has no
    day, so TimelineJS shows no invented day."""
    parts = {"year": day.year}
    if precision in ("month", "day"):
        parts["month"] = day.month
    if precision == "day":
        parts["day"] = day.day
    return parts


# --- iCalendar text -------------------------------------------------------------------------


def _ics_text(text: str) -> str:
    """RFC 5545 §3.3.11 TEXT escaping."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """RFC 5545 §3.1: lines of at most 75 octets, continued with CRLF and a space, never
    splitting a UTF-8 sequence."""
    if len(line) <= 18:  # at most 4 octets a character: fits, no need to encode
        return line
    if line.isascii():  # one octet a character: the same cuts, made on the text
        if len(line) <= 75:
            return line
        return "\r\n ".join([line[:75], *(line[i : i + 74] for i in range(75, len(line), 74))])
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    # Each piece is the longest run of whole characters that fits: cut the bytes at the limit
    # and step back over continuation bytes (0b10xxxxxx), never looping per character.
    pieces: list[bytes] = []
    start, limit = 0, 75
    while len(data) - start > limit:
        cut = start + limit
        while data[cut] & 0xC0 == 0x80:
            cut -= 1
        pieces.append(data[start:cut])
        start, limit = cut, 74  # a continuation line starts with a space
    pieces.append(data[start:])
    return b"\r\n ".join(pieces).decode("utf-8")


def _ymd(day: dt.date) -> str:
    """``day.strftime('%Y%m%d')``; formatted directly where that is the same (4-digit years)."""
    if day.year >= 1000:
        return f"{day.year}{day.month:02d}{day.day:02d}"
    return day.strftime("%Y%m%d")


def _dtstamp(view: TimelineView) -> str:
    if not view.created:
        raise PackageError(
            f"{view.root}/datapackage.json has no 'created' time. The iCalendar DTSTAMP is "
            "taken from it so that the file is reproducible: add 'created' (ISO 8601, UTC)."
        )
    try:
        created = dt.datetime.fromisoformat(view.created.replace("Z", "+00:00"))
    except ValueError as exc:
        raise PackageError(
            f"{view.root}/datapackage.json: 'created' is {view.created!r}, not an ISO 8601 time."
        ) from exc
    if created.tzinfo is None:  # a naive time in a descriptor is read as UTC
        created = created.replace(tzinfo=dt.UTC)
    return created.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
