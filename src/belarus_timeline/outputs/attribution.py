"""Who says what about an event, for the shared view: evidence spans with their stance, the
ranked statements of its date and place with the spans that bear on them, and the spans of its
links, from any number of sources.

Everything is ordered by keys from the data (position in the source, rank, id), never by the
order rows happen to be in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

import pandas as pd

_Row = dict[Hashable, Any]
_T = TypeVar("_T")


class once(Generic[_T]):
    """A property computed on first use and kept in the instance's ``__dict__`` (which a frozen
    dataclass still has): :func:`functools.cached_property` without its lock, which Python
    3.11 takes on every first use (a tenth of the exports' time, millions of times)."""

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, cls: type | None = None) -> once[_T]: ...
    @overload
    def __get__(self, obj: object, cls: type | None = None) -> _T: ...
    def __get__(self, obj: object | None, cls: type | None = None) -> once[_T] | _T:
        if obj is None:
            return self
        value = self.func(obj)
        obj.__dict__[self.name] = value
        return value


#: Stances that back what a span bears on; ``contradicts`` is the other one.
BACKING = ("supports", "qualifies")
RANKS = ("preferred", "normal", "deprecated")


def text_or_none(value: Any) -> str | None:
    """A cell as text, or ``None`` when it is empty (pandas NA, NaN or "")."""
    if type(value) is str:  # most cells: the checks below would give the same
        return value if value != "" else None
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value)
    return text if text != "" else None


def first_use(ids: Iterable[str]) -> tuple[str, ...]:
    """The distinct ids in order of first appearance."""
    return tuple(dict.fromkeys(ids))


@dataclass(frozen=True, slots=True)
class Span:
    """A span of an archived source text: Python ``str`` offsets, end exclusive."""

    source_id: str
    char_start: int
    char_end: int
    excerpt: str


@dataclass(frozen=True, slots=True)
class Evidence:
    """A source span bearing on an event (its occurrence, date, place or participants) or on a
    link, with its stance toward it and, for a date, how this source gives the date."""

    evidence_id: str
    aspect: str
    span: Span
    stance: str = "supports"
    statement_id: str | None = None
    date_basis: str | None = None
    date_expression: str | None = None
    date_anchor: str | None = None


@dataclass(frozen=True)
class Statement:
    """One value of an event's date or place, its rank, and the spans that bear on it."""

    statement_id: str
    prop: str  # the property: date | place
    value: str  # the EDTF of a date, the place_id of a place
    label: str  # the value in words: "17 February 2023", "Moscow, Russia"
    rank: str  # preferred | normal | deprecated
    rank_reason: str | None
    evidence: tuple[Evidence, ...]

    @once
    def sources(self) -> tuple[str, ...]:
        """Sources with a span that supports (or qualifies) the value, in order of first use."""
        return first_use(e.span.source_id for e in self.evidence if e.stance in BACKING)

    @once
    def contradicted_by(self) -> tuple[str, ...]:
        """Sources with a span that contradicts the value."""
        return first_use(e.span.source_id for e in self.evidence if e.stance == "contradicts")


@dataclass(frozen=True)
class Link:
    """A typed relation between two events, seen from one of them, with its spans."""

    relation: str
    direction: str  # "out": this event is from_event_id; "in": it is to_event_id
    other_event_id: str
    evidence: tuple[Evidence, ...]

    @once
    def sources(self) -> tuple[str, ...]:
        """Sources with a span that supports (or qualifies) the link."""
        return first_use(e.span.source_id for e in self.evidence if e.stance in BACKING)


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


def span_of(r: _Row, text_field: str = "excerpt") -> Span:
    """The span of a row of a span table."""
    return Span(str(r["source_id"]), int(r["char_start"]), int(r["char_end"]), str(r[text_field]))


def position(span: Span, ident: str) -> tuple[str, int, int, str]:
    """Sort key: position in the source, then id."""
    return (span.source_id, span.char_start, span.char_end, ident)


def evidence_of(rows: Iterable[_Row], aspect: str | None = None) -> tuple[Evidence, ...]:
    """Evidence rows (of the ``evidence`` or ``link_evidence`` table) in source order."""
    evs = [
        Evidence(
            evidence_id=str(r["evidence_id"]),
            aspect=str(r.get("aspect", aspect or "link")),
            span=span_of(r),
            stance=str(r["stance"]),
            statement_id=text_or_none(r.get("statement_id")),
            date_basis=text_or_none(r.get("date_basis")),
            date_expression=text_or_none(r.get("date_expression")),
            date_anchor=text_or_none(r.get("date_anchor")),
        )
        for r in rows
    ]
    return tuple(sorted(evs, key=lambda e: position(e.span, e.evidence_id)))


def evidence_by_event(cols: dict[str, list[Any]]) -> dict[str, list[Evidence]]:
    """The ``evidence`` table's columns as :class:`Evidence` (built as :func:`evidence_of`
    builds them from rows, a missing column read as empty), grouped by event id in row order."""
    n = len(cols["event_id"])

    def col(name: str, default: Any = None) -> list[Any]:
        return cols[name] if name in cols else [default] * n

    out: dict[str, list[Evidence]] = defaultdict(list)
    parts = zip(
        *(cols["event_id"], cols["evidence_id"], col("aspect", "link"), cols["source_id"]),
        *(cols["char_start"], cols["char_end"], cols["excerpt"], cols["stance"]),
        *(col("statement_id"), col("date_basis"), col("date_expression"), col("date_anchor")),
        strict=True,
    )
    for (
        event,
        ident,
        aspect,
        source,
        start,
        end,
        excerpt,
        stance,
        sid,
        basis,
        expr,
        anchor,
    ) in parts:
        span = Span(str(source), int(start), int(end), str(excerpt))
        out[str(event)].append(
            Evidence(
                str(ident),
                str(aspect),
                span,
                str(stance),
                text_or_none(sid),
                text_or_none(basis),
                text_or_none(expr),
                text_or_none(anchor),
            )
        )
    return out


def in_source_order(evidence: Iterable[Evidence]) -> tuple[Evidence, ...]:
    """Evidence in source order, as :func:`evidence_of` sorts it."""
    return tuple(sorted(evidence, key=lambda e: position(e.span, e.evidence_id)))


def statements_of(
    rows: Iterable[_Row], evidence: tuple[Evidence, ...], label: Callable[[str, str], str]
) -> tuple[Statement, ...]:
    """An event's statements, preferred first, then normal, then deprecated (then by id), each
    with the event's evidence spans that name it. ``label(property, value)`` words a value."""
    by_statement: dict[str, list[Evidence]] = defaultdict(list)
    for e in evidence:
        if e.statement_id:
            by_statement[e.statement_id].append(e)
    out = []
    for r in rows:
        prop = str(r["property"])
        value = (text_or_none(r["edtf"]) if prop == "date" else text_or_none(r["place_id"])) or ""
        sid = str(r["statement_id"])
        out.append(
            Statement(
                statement_id=sid,
                prop=prop,
                value=value,
                label=label(prop, value),
                rank=str(r["rank"]),
                rank_reason=text_or_none(r["rank_reason"]),
                evidence=tuple(by_statement.get(sid, ())),
            )
        )
    order = {r: i for i, r in enumerate(RANKS)}
    return tuple(sorted(out, key=lambda s: (s.prop, order.get(s.rank, 9), s.statement_id)))


def links_of(link_rows: Iterable[_Row], evidence_rows: Iterable[_Row]) -> dict[str, list[Link]]:
    """Every link seen from both of its events ("out" from the first, "in" from the second),
    with the spans of ``link_evidence`` that bear on it."""
    spans: dict[tuple[str, str, str], list[_Row]] = defaultdict(list)
    for r in evidence_rows:
        spans[(str(r["from_event_id"]), str(r["relation"]), str(r["to_event_id"]))].append(r)
    links: dict[str, list[Link]] = defaultdict(list)
    for r in link_rows:
        a, rel, b = str(r["from_event_id"]), str(r["relation"]), str(r["to_event_id"])
        evidence = evidence_of(spans.get((a, rel, b), ()), "link")
        links[a].append(Link(rel, "out", b, evidence))
        links[b].append(Link(rel, "in", a, evidence))
    return links


def describe_values(values: Iterable[Statement], label: Callable[[str], str]) -> str:
    """``Moscow, Russia (The Washington Post) · a residence near Moscow (Wire)``: each value
    with the sources that give it, preferred first; contradictions and deprecation are said."""
    parts = []
    for s in values:
        who = [label(x) for x in s.sources]
        who += [f"contradicted by {label(x)}" for x in s.contradicted_by]
        if s.rank == "deprecated":
            who.insert(0, "deprecated")
        parts.append(f"{s.label} ({'; '.join(who)})" if who else s.label)
    return " · ".join(parts)
