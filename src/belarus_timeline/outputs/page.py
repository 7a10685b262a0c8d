"""``timeline.html``: one self-contained page (inline CSS and JS, no network) to read the events.

The page lists the events in date order with their dates and precision, places, participants,
quotes and claims, filters them as you type, and renders the list in batches so that a timeline
of thousands of events stays quick. Selecting an event shows the passages of the archived source
around its evidence with the evidence highlighted.

Offsets in the data are Python ``str`` (code point) indices, while JavaScript strings index
UTF-16 code units, so the page never slices text: the passages are cut here, in Python, and
embedded as ready-made segments (``[text, [evidence ids]]``). Only those passages are embedded,
never a whole source text (the archived texts are not part of any release).
"""

from __future__ import annotations

import functools
import html
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from belarus_timeline.errors import PackageError
from belarus_timeline.outputs.views import (
    Claim,
    EventView,
    Evidence,
    Quote,
    TimelineView,
    format_day,
    relation_label,
    type_label,
)
from belarus_timeline.package import unsafe_path_reason

_COMPACT: dict[str, Any] = {"ensure_ascii": False, "separators": (",", ":")}
#: Context shown around an evidence span, at most, within its paragraph (in code points).
CONTEXT = 320
_COMPARATORS = {"equal": "", "more_than": "more than ", "less_than": "less than "}
_COMPARATORS["approximately"] = "about "


@dataclass
class _Passage:
    start: int
    end: int
    spans: list[Evidence]


def _read_sources(view: TimelineView, sources_root: Path) -> dict[str, str]:
    """The archived texts the events' evidence rests on, read as UTF-8."""
    return read_texts(view, _used(view), sources_root)


def read_texts(view: TimelineView, needed: set[str], sources_root: Path) -> dict[str, str]:
    """The archived texts of the sources ``needed``, in id order, read as UTF-8."""
    texts: dict[str, str] = {}
    for sid in sorted(needed):
        src = view.sources.get(sid)
        if src is None:
            raise PackageError(f"Evidence cites source {sid!r}, which is not in the sources table.")
        reason = unsafe_path_reason(src.archive_path)
        if reason is not None:
            raise PackageError(f"sources.archive_path {src.archive_path!r} is not safe: {reason}.")
        path = sources_root / src.archive_path
        try:
            texts[sid] = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise PackageError(
                f"{path}: the archived text of source {sid!r} is missing. The page shows the "
                "evidence in its source: pass sources_root= the folder that holds sources/."
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise PackageError(f"{path}: cannot read the archived text ({exc}).") from exc
    return texts


def _bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The paragraph around a span, cut to at most CONTEXT code points on each side at a space
    (a source with no blank lines must not embed its whole text)."""
    para_start = text.rfind("\n\n", 0, start)
    para_start = 0 if para_start < 0 else para_start + 2
    para_end = text.find("\n\n", end)
    para_end = len(text) if para_end < 0 else para_end
    if start - para_start > CONTEXT:
        cut = text.find(" ", start - CONTEXT, start)
        para_start = cut + 1 if cut >= 0 else start
    if para_end - end > CONTEXT:
        cut = text.rfind(" ", end, end + CONTEXT)
        para_end = cut if cut >= 0 else end
    return para_start, para_end


def _segments(text: str, passage: _Passage) -> list[list[Any]]:
    """The passage cut at every span edge: ``[text, [ids of the spans covering it]]``."""
    edges = {passage.start, passage.end}
    for e in passage.spans:
        edges.update((e.span.char_start, e.span.char_end))
    cuts = sorted(edges)
    out: list[list[Any]] = []
    for a, b in itertools.pairwise(cuts):
        ids = [
            e.evidence_id for e in passage.spans if e.span.char_start <= a and b <= e.span.char_end
        ]
        out.append([text[a:b], ids])
    return out


def _passages(ev: EventView, texts: dict[str, str]) -> list[dict[str, Any]]:
    by_source: dict[str, list[Evidence]] = {}
    for e in ev.evidence:
        text = texts[e.span.source_id]
        if text[e.span.char_start : e.span.char_end] != e.span.excerpt:
            raise PackageError(
                f"evidence {e.evidence_id!r}: text[{e.span.char_start}:{e.span.char_end}] of "
                f"{e.span.source_id!r} is not its excerpt. Run `belarus-timeline validate`."
            )
        by_source.setdefault(e.span.source_id, []).append(e)
    out: list[dict[str, Any]] = []
    for sid, spans in by_source.items():
        text = texts[sid]
        merged: list[_Passage] = []
        for e in sorted(spans, key=lambda e: (e.span.char_start, e.span.char_end)):
            a, b = _bounds(text, e.span.char_start, e.span.char_end)
            if merged and a <= merged[-1].end:
                merged[-1].end = max(merged[-1].end, b)
                merged[-1].spans.append(e)
            else:
                merged.append(_Passage(a, b, [e]))
        for p in merged:
            out.append(
                {
                    "source": sid,
                    "start": p.start,
                    "end": p.end,
                    "cutBefore": p.start > 0 and text[p.start - 2 : p.start] != "\n\n",
                    "cutAfter": p.end < len(text) and text[p.end : p.end + 2] != "\n\n",
                    "segments": _segments(text, p),
                }
            )
    return out


def _figure(c: Claim) -> str | None:
    return figure(c.value, c.unit, c.comparator, c.period)


def figure(
    value: float | None, unit: str | None, comparator: str | None, period: str | None
) -> str | None:
    """A claim's figure in words: ``more than 1,000 people (in 2020)``; None without a value."""
    if value is None:
        return None
    number = f"{int(value):,}" if value.is_integer() else f"{value:,}"
    units = {"percent": "%", None: ""}.get(unit, f" {unit}")
    during = f" ({period})" if period else ""
    return f"{_COMPARATORS.get(comparator or '', '')}{number}{units}{during}"


def _participants(ev: EventView) -> list[list[str]]:
    """``[name, "host, speaker"]``: one entry per actor, with all their roles."""
    roles: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for p in ev.participants:
        roles.setdefault(p.actor_id, []).append(p.role.replace("_", " "))
        names[p.actor_id] = p.name
    return [[names[a], ", ".join(r)] for a, r in roles.items()]


def _quote_data(q: Quote, view: TimelineView) -> dict[str, Any]:
    return {
        "id": q.quote_id,
        "text": q.text,
        "speaker": q.speaker,
        "to": q.addressee,
        "on": format_day(q.said_on),
        "kind": q.kind,
        "source": view.source_label(q.span.source_id),
    }


def _values(ev: EventView, view: TimelineView) -> dict[str, Any]:
    """Each value of the date and place: ``[label, rank, reason, [sources], [contradicted by]]``
    and, where the sources disagree, the whole line (``Moscow (Post) · near Moscow (Wire)``)."""
    label = view.source_label
    return {
        "statements": [
            [
                s.prop,
                s.label,
                s.rank,
                s.rank_reason,
                [label(x) for x in s.sources],
                [label(x) for x in s.contradicted_by],
            ]
            for s in ev.statements
        ],
        "disputed": {p: view.describe(ev, p) for p in ("date", "place") if ev.disputed(p)},
        "sources": [label(x) for x in ev.backing_sources],
        "derivations": [
            [label(e.span.source_id), e.date_basis, e.date_expression, e.date_anchor]
            for e in ev.date_derivations
        ],
    }


def _event_data(ev: EventView, view: TimelineView, texts: dict[str, str]) -> dict[str, Any]:
    place = ev.place
    titles = view.titles
    return {
        "id": ev.event_id,
        "title": ev.title,
        "summary": ev.summary,
        "type": ev.event_type,
        "typeLabel": type_label(ev.event_type),
        "status": ev.status,
        "start": ev.start.isoformat(),
        "end": ev.end.isoformat() if ev.end else None,
        "date": ev.display_date,
        "precision": ev.precision,
        "edtf": ev.edtf,
        "timezone": ev.timezone,
        "place": None
        if place is None
        else {"id": place.place_id, "label": place.label, "note": place.coordinate_note},
        **_values(ev, view),
        "participants": _participants(ev),
        # One entry per utterance: its renderings (another source, another translation).
        "quotes": [[_quote_data(q, view) for q in group] for group in ev.utterances],
        "claims": [
            {
                "subject": c.subject,
                "claimant": c.claimant,
                "figure": _figure(c),
                "qualifier": c.qualifier,
                "excerpt": c.span.excerpt,
                "on": format_day(c.stated_on),
            }
            for c in ev.claims
        ],
        "links": [
            [
                relation_label(ln.relation, ln.direction),
                ln.other_event_id,
                titles.get(ln.other_event_id, ln.other_event_id),
                [view.source_label(x) for x in ln.sources],
            ]
            for ln in ev.links
        ],
        "evidence": [
            [e.evidence_id, e.aspect, e.span.excerpt, e.stance, view.source_label(e.span.source_id)]
            for e in ev.evidence
        ],
        "passages": _passages(ev, texts),
    }


def _used(view: TimelineView) -> set[str]:
    return {e.span.source_id for ev in view.events for e in ev.evidence}


def page_head(view: TimelineView, used: set[str]) -> dict[str, Any]:
    """What the page embeds besides its events (``used``: the sources their evidence cites)."""
    return {
        "title": view.title,
        "version": view.version,
        "license": view.license,
        "types": [[t, type_label(t)] for t in view.event_types],
        "sources": {
            s.source_id: {"credit": s.credit, "url": s.url, "label": view.source_label(s.source_id)}
            for s in view.sources.values()
            if s.source_id in used
        },
    }


def page_data(view: TimelineView, sources_root: Path) -> dict[str, Any]:
    """Everything the page embeds, as JSON-ready data (tests read it back from the page)."""
    texts = _read_sources(view, Path(sources_root))
    events = [_event_data(ev, view, texts) for ev in view.events]
    return {**page_head(view, _used(view)), "events": events}


def script_safe(data: bytes) -> bytes:
    """:func:`_script_safe` of UTF-8 text."""
    return data.replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")


def _script_safe(text: str) -> str:
    """'<', '>' and '&' only ever occur inside JSON strings, where their \\u escapes mean the
    same, so no '</script>' can end the block."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element (see :func:`_script_safe`)."""
    return _script_safe(json.dumps(data, ensure_ascii=False, separators=(",", ":")))


def data_head(view: TimelineView, used: set[str]) -> str:
    """The page data up to its list of events (compact JSON of a dict is its items' JSON
    joined by commas)."""
    head = json.dumps({**page_head(view, used), "events": []}, **_COMPACT)
    return _script_safe(head[: -len("[]}")])


def _data_chunks(view: TimelineView, texts: dict[str, str]) -> Iterator[str]:
    """``_script_json(page_data(...))`` in pieces, a batch of events at a time: compact JSON of
    a dict is its items' JSON joined by commas, so the events can be written one by one."""
    yield data_head(view, _used(view))
    batch = ["["]
    for i, ev in enumerate(view.events):
        if i:
            batch.append(",")
        batch.append(json.dumps(_event_data(ev, view, texts), **_COMPACT))
        if len(batch) >= 4000:
            yield _script_safe("".join(batch))
            batch.clear()
    batch.append("]}")
    yield _script_safe("".join(batch))


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


@functools.cache
def _asset(name: str) -> str:
    """A file of ``outputs/assets`` (the page's template, style sheet and script) as text.

    The template's Content-Security-Policy forbids every request except inline code and data:
    URLs, so the page cannot reach the network even if a string in the data looked like a URL.
    """
    return (resources.files("belarus_timeline.outputs") / "assets" / name).read_text(
        encoding="utf-8"
    )


def page_chunks(
    view: TimelineView, sources_root: Path, dataset: dict[str, Any] | None = None
) -> Iterator[str]:
    """:func:`page_html` in pieces, so that the page of a million events is never whole in
    memory."""
    texts = _read_sources(view, Path(sources_root))
    parts = page_parts(view, dataset)
    yield parts[0]
    for part in parts[1:]:
        yield from _data_chunks(view, texts)
        yield part


def page_parts(view: TimelineView, dataset: dict[str, Any] | None) -> list[str]:
    """The page around its data: the data goes between each two parts."""
    jsonld = (
        ""
        if dataset is None
        else f'<script type="application/ld+json">{_script_json(dataset)}</script>'
    )
    page = (
        _asset("timeline.html")
        .replace("__JSONLD__", jsonld)
        .replace("__TITLE__", _esc(view.title))
        .replace("__VERSION__", _esc(view.version))
        .replace("__CSS__", _asset("timeline.css"))
        .replace("__JS__", _asset("timeline.js"))
    )
    # As str.replace: the data goes wherever "__DATA__" occurs once the rest is filled in.
    return page.split("__DATA__")


def page_html(view: TimelineView, sources_root: Path, dataset: dict[str, Any] | None = None) -> str:
    """The whole ``timeline.html`` as text; the same view and sources give the same text.

    The template, CSS and JavaScript come from ``outputs/assets``; the page is self-contained.
    ``dataset``, the release's schema.org ``Dataset`` (``dataset.jsonld``), is embedded as
    JSON-LD for search engines.
    """
    return "".join(page_chunks(view, sources_root, dataset))
