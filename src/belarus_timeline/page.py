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

import html
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from belarus_timeline.errors import PackageError
from belarus_timeline.export import relation_label, type_label
from belarus_timeline.package import unsafe_path_reason
from belarus_timeline.views import Claim, EventView, Evidence, TimelineView, format_day

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
    needed = {e.span.source_id for ev in view.events for e in ev.evidence}
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
    if c.value is None:
        return None
    number = f"{int(c.value):,}" if c.value.is_integer() else f"{c.value:,}"
    unit = {"percent": "%", None: ""}.get(c.unit, f" {c.unit}")
    period = f" ({c.period})" if c.period else ""
    return f"{_COMPARATORS.get(c.comparator or '', '')}{number}{unit}{period}"


def _participants(ev: EventView) -> list[list[str]]:
    """``[name, "host, speaker"]``: one entry per actor, with all their roles."""
    roles: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for p in ev.participants:
        roles.setdefault(p.actor_id, []).append(p.role.replace("_", " "))
        names[p.actor_id] = p.name
    return [[names[a], ", ".join(r)] for a, r in roles.items()]


def _event_data(ev: EventView, texts: dict[str, str], titles: dict[str, str]) -> dict[str, Any]:
    place = ev.place
    return {
        "id": ev.event_id,
        "title": ev.title,
        "summary": ev.summary,
        "type": ev.event_type,
        "typeLabel": type_label(ev.event_type),
        "status": ev.status,
        "start": ev.start.isoformat(),
        "end": ev.end.isoformat(),
        "date": ev.display_date,
        "precision": ev.precision,
        "edtf": ev.edtf,
        "timezone": ev.timezone,
        "basis": ev.date_basis,
        "expression": ev.date_expression,
        "anchor": ev.date_anchor,
        "place": None
        if place is None
        else {"id": place.place_id, "label": place.label, "note": place.coordinate_note},
        "participants": _participants(ev),
        "quotes": [
            {
                "text": q.text,
                "speaker": q.speaker,
                "to": q.addressee,
                "on": format_day(q.said_on),
                "kind": q.kind,
            }
            for q in ev.quotes
        ],
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
            ]
            for ln in ev.links
        ],
        "evidence": [[e.evidence_id, e.aspect, e.span.excerpt] for e in ev.evidence],
        "passages": _passages(ev, texts),
    }


def page_data(view: TimelineView, sources_root: Path) -> dict[str, Any]:
    """Everything the page embeds, as JSON-ready data (tests read it back from the page)."""
    texts = _read_sources(view, Path(sources_root))
    titles = {ev.event_id: ev.title for ev in view.events}
    used = {e.span.source_id for ev in view.events for e in ev.evidence}
    return {
        "title": view.title,
        "version": view.version,
        "license": view.license,
        "types": [[t, type_label(t)] for t in view.event_types],
        "sources": {
            s.source_id: {"credit": s.credit, "url": s.url}
            for s in view.sources.values()
            if s.source_id in used
        },
        "events": [_event_data(ev, texts, titles) for ev in view.events],
    }


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element: '<', '>' and '&' only ever occur inside JSON
    strings, where their \\u escapes mean the same, so no '</script>' can end the block."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def page_html(view: TimelineView, sources_root: Path) -> str:
    """The whole ``timeline.html`` as text; the same view and sources give the same text."""
    data = page_data(view, sources_root)
    return (
        _TEMPLATE.replace("__TITLE__", _esc(view.title))
        .replace("__VERSION__", _esc(view.version))
        .replace("__CSS__", _CSS)
        .replace("__JS__", _JS)
        .replace("__DATA__", _script_json(data))
    )


# The Content-Security-Policy forbids every request except inline code and data: URLs, so the
# page cannot reach the network even if a string in the data looked like a URL.
_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; \
style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__ (version __VERSION__)</title>
<link rel="icon" href="data:,">
<style>__CSS__</style>
</head>
<body>
<header>
<h1>__TITLE__</h1>
<p class="meta" id="meta">Version __VERSION__</p>
</header>
<div class="controls">
<label>Filter <input type="search" id="filter" placeholder="words, people, places…" \
autocomplete="off"></label>
<label>Type <select id="type"><option value="">all types</option></select></label>
<span id="count" role="status"></span>
</div>
<main>
<section class="list" aria-label="Events in date order">
<ol id="events"></ol>
<button type="button" id="more" hidden>Show more events</button>
</section>
<section class="detail" id="detail" aria-live="polite">
<p class="hint">Select an event to read the passages of the source that support it.</p>
</section>
</main>
<noscript><p>This page needs JavaScript to show the events.</p></noscript>
<script type="application/json" id="timeline-data">__DATA__</script>
<script>__JS__</script>
</body>
</html>
"""

_CSS = """
:root { --ink: #1d1d1f; --muted: #5f6368; --line: #dadce0; --accent: #1a56a6;
  --mark: #ffe38a; --sel: #eaf1fb; font-family: system-ui, -apple-system, "Segoe UI",
  Roboto, "DejaVu Sans", sans-serif; color: var(--ink); }
body { margin: 0; line-height: 1.45; }
header { padding: 0.8rem 1.2rem 0.2rem; }
h1 { font-size: 1.3rem; margin: 0; }
.meta { color: var(--muted); margin: 0.2rem 0; font-size: 0.9rem; }
.controls { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap;
  padding: 0.5rem 1.2rem; border-bottom: 1px solid var(--line); position: sticky; top: 0;
  background: #fff; z-index: 2; }
.controls input { width: 16rem; }
#count { color: var(--muted); font-size: 0.9rem; }
main { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1rem;
  padding: 0 1.2rem 2rem; }
@media (max-width: 900px) { main { grid-template-columns: 1fr; } }
ol#events { list-style: none; padding: 0; margin: 0; }
li.event { border-bottom: 1px solid var(--line); padding: 0.6rem 0.5rem; cursor: pointer; }
li.event:hover { background: #f8f9fa; }
li.event.selected { background: var(--sel); }
li.event h2 { font-size: 1rem; margin: 0.1rem 0; }
li.event h2 button { all: unset; cursor: pointer; color: var(--accent); font-weight: 600; }
li.event h2 button:focus-visible { outline: 2px solid var(--accent); }
.when { font-variant-numeric: tabular-nums; font-size: 0.9rem; }
.badge { display: inline-block; font-size: 0.75rem; border: 1px solid var(--line);
  border-radius: 0.6rem; padding: 0 0.45rem; margin-left: 0.3rem; color: var(--muted); }
.badge.anticipated { border-color: #b06000; color: #b06000; }
.small { font-size: 0.88rem; color: var(--muted); margin: 0.15rem 0; }
blockquote { margin: 0.25rem 0 0.25rem 0.8rem; padding-left: 0.6rem;
  border-left: 3px solid var(--line); font-size: 0.92rem; }
blockquote cite { color: var(--muted); font-style: normal; font-size: 0.85rem; }
.claim { font-size: 0.9rem; margin: 0.2rem 0; }
.detail { position: sticky; top: 3.2rem; align-self: start; max-height: calc(100vh - 4rem);
  overflow: auto; padding: 0.6rem 0.2rem; }
.detail h2 { font-size: 1.15rem; margin: 0.2rem 0 0.4rem; }
.passage { margin: 0 0 0.5rem; white-space: pre-wrap; background: #fafafa;
  border: 1px solid var(--line); padding: 0.6rem 0.8rem; border-radius: 4px;
  font-family: Georgia, "DejaVu Serif", serif; }
mark.evidence { background: var(--mark); padding: 0 1px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 0.8rem; margin: 0.4rem 0; }
dt { color: var(--muted); } dd { margin: 0; }
button.link { all: unset; color: var(--accent); cursor: pointer; text-decoration: underline; }
#more { margin: 0.8rem 0; }
"""

_JS = r"""
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("timeline-data").textContent);
  const events = data.events;
  const byId = new Map(events.map((e, i) => [e.id, i]));
  const BATCH = 150;  // list items rendered at a time: thousands of events stay quick
  const list = document.getElementById("events");
  const more = document.getElementById("more");
  const count = document.getElementById("count");
  const filter = document.getElementById("filter");
  const typeSelect = document.getElementById("type");
  const detail = document.getElementById("detail");
  let shown = [];     // indices of the events that pass the filter, in date order
  let rendered = 0;   // how many of them are in the list
  let selected = null;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v; else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      node.append(c instanceof Node ? c : String(c));
    }
    return node;
  }

  // Lower-cased text each event is searched in, built once.
  const haystack = events.map((e) => [
    e.title, e.summary, e.date, e.typeLabel, e.status, e.id, e.place ? e.place.label : "",
    ...e.participants.map((p) => p[0]), ...e.quotes.map((q) => q.text + " " + q.speaker),
    ...e.claims.map((c) => c.subject + " " + c.excerpt),
  ].join("\n").toLowerCase());

  const meta = document.getElementById("meta");
  const credits = Object.values(data.sources).map((s) => s.credit).join("; ");
  meta.textContent = "Version " + data.version + (data.license ? " · data " + data.license : "")
    + " · " + events.length + " events · source: " + credits;
  for (const [value, label] of data.types) {
    if (events.some((e) => e.type === value)) typeSelect.append(el("option", { value }, label));
  }

  function dateLine(e) {
    return el("div", { class: "when" }, el("time", { datetime: e.start }, e.date),
      el("span", { class: "badge", title: "date precision" }, "precision: " + e.precision),
      e.status === "anticipated" ? el("span", { class: "badge anticipated" }, "anticipated") : null,
      el("span", { class: "badge" }, e.typeLabel));
  }

  function quoteNode(q) {
    return el("blockquote", { class: "quote" }, q.text, " ",
      el("cite", {}, "— " + q.speaker + (q.to ? " to " + q.to : "") + ", " + q.on));
  }

  function claimNode(c) {
    return el("p", { class: "claim" }, el("strong", {}, c.claimant + ": "), c.subject,
      c.figure ? " — " + c.figure : "", c.qualifier ? " (" + c.qualifier + ")" : "");
  }

  function item(i) {
    const e = events[i];
    const li = el("li", { class: "event", "data-event-id": e.id, id: "event-" + e.id });
    li.append(dateLine(e), el("h2", {}, el("button", { type: "button" }, e.title)));
    const where = e.place ? e.place.label : "not named";
    li.append(el("p", { class: "small place" }, "Place: " + where));
    if (e.participants.length) {
      li.append(el("p", { class: "small participants" }, "Participants: " +
        e.participants.map((p) => p[0] + " (" + p[1] + ")").join(", ")));
    }
    for (const q of e.quotes) li.append(quoteNode(q));
    for (const c of e.claims) li.append(claimNode(c));
    if (e.id === selected) li.classList.add("selected");
    li.addEventListener("click", () => select(e.id, false));
    return li;
  }

  function renderMore(upTo) {
    const stop = Math.min(shown.length, Math.max(rendered + BATCH, upTo || 0));
    const frag = document.createDocumentFragment();
    for (; rendered < stop; rendered++) frag.append(item(shown[rendered]));
    list.append(frag);
    more.hidden = rendered >= shown.length;
    count.textContent = "Showing " + rendered + " of " + shown.length + " events" +
      (shown.length < events.length ? " (filtered from " + events.length + ")" : "");
  }

  function applyFilter() {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    const type = typeSelect.value;
    shown = [];
    for (let i = 0; i < events.length; i++) {
      if (type && events[i].type !== type) continue;
      if (words.every((w) => haystack[i].includes(w))) shown.push(i);
    }
    list.replaceChildren();
    rendered = 0;
    renderMore();
  }

  function passageNode(p) {
    const box = el("div", { class: "passage", "data-source": p.source });
    if (p.cutBefore) box.append("… ");
    for (const [text, ids] of p.segments) {
      // Segments were cut in Python (code-point offsets); JS never slices the text.
      box.append(ids.length ? el("mark", { class: "evidence", "data-evidence-id": ids.join(" "),
        title: "evidence: " + ids.join(", ") }, text) : text);
    }
    if (p.cutAfter) box.append(" …");
    return box;
  }

  function showDetail(e) {
    const parts = [el("h2", {}, e.title), dateLine(e), el("p", {}, e.summary)];
    parts.push(el("h3", {}, "Evidence in the source"));
    let lastSource = null;
    for (const p of e.passages) {
      if (p.source !== lastSource) {  // name each source once, above its passages
        const src = data.sources[p.source];
        parts.push(el("p", { class: "small" }, src ? src.credit : p.source));
        lastSource = p.source;
      }
      parts.push(passageNode(p));
    }
    const ev = el("p", { class: "small" }, "Highlighted: " +
      e.evidence.map(([id, aspect]) => id + " (" + aspect + ")").join(", "));
    parts.push(ev);
    const dl = el("dl", {});
    const row = (k, v) => { if (v) dl.append(el("dt", {}, k), el("dd", {}, v)); };
    row("Date", e.date + " (EDTF " + e.edtf + ")");
    row("Date basis", e.basis + (e.expression ? ": “" + e.expression + "”" : ""));
    row("Resolved against", e.anchor);
    row("Time zone", e.timezone);
    row("Place", e.place ? e.place.label + ". " + e.place.note : "not named in the source");
    row("Participants", e.participants.map((p) => p[0] + " (" + p[1] + ")").join(", "));
    parts.push(dl);
    if (e.links.length) {
      const ul = el("ul", { class: "links" });
      for (const [label, other, title] of e.links) {
        const b = el("button", { type: "button", class: "link" }, title);
        b.addEventListener("click", () => select(other, true));
        ul.append(el("li", {}, label + ": ", b));
      }
      parts.push(el("h3", {}, "Related events"), ul);
    }
    if (e.quotes.length) parts.push(el("h3", {}, "Quotes"), ...e.quotes.map(quoteNode));
    if (e.claims.length) parts.push(el("h3", {}, "Claims"), ...e.claims.map(claimNode));
    detail.replaceChildren(...parts);
    detail.scrollTop = 0;
  }

  function select(id, scroll) {
    if (!byId.has(id)) return;
    selected = id;
    const pos = shown.indexOf(byId.get(id));
    if (pos < 0) {  // filtered out: clear the filter so that the event is in the list
      filter.value = ""; typeSelect.value = ""; applyFilter();
    }
    const at = shown.indexOf(byId.get(id));
    if (at >= rendered) renderMore(at + 1);
    for (const li of list.querySelectorAll("li.selected")) li.classList.remove("selected");
    const li = document.getElementById("event-" + id);
    if (li) {
      li.classList.add("selected");
      if (scroll) li.scrollIntoView({ block: "nearest" });
    }
    showDetail(events[byId.get(id)]);
    if (location.hash !== "#" + id) history.replaceState(null, "", "#" + id);
  }

  let timer = null;
  filter.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(applyFilter, 120);
  });
  typeSelect.addEventListener("change", applyFilter);
  more.addEventListener("click", () => renderMore());
  if ("IntersectionObserver" in window) {
    new IntersectionObserver((entries) => {
      if (entries.some((x) => x.isIntersecting) && !more.hidden) renderMore();
    }).observe(more);
  }
  const fromHash = () => decodeURIComponent(location.hash.slice(1));
  window.addEventListener("hashchange", () => select(fromHash(), true));
  applyFilter();
  if (location.hash) select(fromHash(), true);
  document.documentElement.dataset.ready = "true";
})();
"""
