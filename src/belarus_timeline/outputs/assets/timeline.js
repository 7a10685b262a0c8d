
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
    ...e.participants.map((p) => p[0]), ...e.quotes.flat().map((q) => q.text + " " + q.speaker),
    ...e.claims.map((c) => c.subject + " " + c.excerpt),
  ].join("\n").toLowerCase());

  const meta = document.getElementById("meta");
  const credits = Object.values(data.sources).map((s) => s.credit).join("; ");
  const nSources = Object.keys(data.sources).length;
  meta.textContent = "Version " + data.version + (data.license ? " · data " + data.license : "")
    + " · " + events.length + " events · " + (nSources === 1 ? "source: " : "sources: ") + credits;
  for (const [value, label] of data.types) {
    if (events.some((e) => e.type === value)) typeSelect.append(el("option", { value }, label));
  }

  function dateLine(e) {
    return el("div", { class: "when" }, el("time", { datetime: e.start }, e.date),
      el("span", { class: "badge", title: "date precision" }, "precision: " + e.precision),
      e.status !== "occurred" ? el("span", { class: "badge anticipated" }, e.status) : null,
      el("span", { class: "badge" }, e.typeLabel),
      e.sources.length > 1 ? el("span", { class: "badge sources", title: e.sources.join("; ") },
        e.sources.length + " sources") : null,
      Object.keys(e.disputed).length ? el("span", { class: "badge disputed",
        title: "sources disagree on: " + Object.keys(e.disputed).join(", ") }, "disputed") : null);
  }

  // One utterance: its first rendering, then the others (another source or translation).
  function quoteNode(group) {
    const q = group[0];
    const box = el("blockquote", { class: "quote", "data-quote-id": q.id }, q.text, " ",
      el("cite", {}, "— " + q.speaker + (q.to ? " to " + q.to : "") + ", " + q.on +
        (group.length > 1 ? " (" + q.source + ")" : "")));
    if (group.length > 1) {
      const also = el("ul", { class: "renderings" });
      for (const r of group.slice(1)) {
        also.append(el("li", { "data-quote-id": r.id }, r.text, " ", el("cite", {}, "(" + r.source + ")")));
      }
      box.append(el("div", { class: "small" }, "Also rendered as:"), also);
    }
    return box;
  }

  function claimNode(c) {
    return el("p", { class: "claim" }, el("strong", {}, c.claimant + ": "), c.subject,
      c.figure ? " — " + c.figure : "", c.qualifier ? " (" + c.qualifier + ")" : "");
  }

  function item(i) {
    const e = events[i];
    const li = el("li", { class: "event", "data-event-id": e.id, id: "event-" + e.id });
    li.append(dateLine(e), el("h2", {}, el("button", { type: "button" }, e.title)));
    const where = e.disputed.place || (e.place ? e.place.label : "not named");
    li.append(el("p", { class: "small place" }, "Place: " + where));
    if (e.disputed.date) li.append(el("p", { class: "small date" }, "Date: " + e.disputed.date));
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

  const stance = new Map(events.flatMap((e) => e.evidence.map((x) => [x[0], x[3]])));

  function passageNode(p) {
    const box = el("div", { class: "passage", "data-source": p.source });
    if (p.cutBefore) box.append("… ");
    for (const [text, ids] of p.segments) {
      // Segments were cut in Python (code-point offsets); JS never slices the text.
      const against = ids.some((id) => stance.get(id) === "contradicts");
      box.append(ids.length ? el("mark", { class: against ? "evidence contradicts" : "evidence",
        "data-evidence-id": ids.join(" "), title: "evidence: " + ids.join(", ") }, text) : text);
    }
    if (p.cutAfter) box.append(" …");
    return box;
  }

  function showDetail(e) {
    const parts = [el("h2", {}, e.title), dateLine(e), el("p", {}, e.summary)];
    parts.push(el("h3", {}, "Evidence in the source" + (e.sources.length > 1 ? "s" : "")));
    let lastSource = null;
    for (const p of e.passages) {
      if (p.source !== lastSource) {  // name each source once, above its passages
        const src = data.sources[p.source];
        parts.push(el("p", { class: "small" }, src ? src.credit : p.source));
        lastSource = p.source;
      }
      parts.push(passageNode(p));
    }
    const ev = el("p", { class: "small" }, "Highlighted: " + e.evidence.map(([id, aspect, , st, src]) =>
      id + " (" + aspect + (st !== "supports" ? ", " + st : "") + ", " + src + ")").join(", "));
    parts.push(ev);
    const dl = el("dl", {});
    const row = (k, v) => { if (v) dl.append(el("dt", {}, k), el("dd", {}, v)); };
    row("Date", e.date + " (EDTF " + e.edtf + ")");
    for (const [src, basis, expression, anchor] of e.derivations) {
      row("Date basis", basis + (expression ? ": “" + expression + "”" : "") + " (" + src + ")" +
        (anchor ? ". Resolved against: " + anchor : ""));
    }
    row("Time zone", e.timezone);
    row("Place", e.place ? e.place.label + ". " + e.place.note : "not named in the sources");
    row("Participants", e.participants.map((p) => p[0] + " (" + p[1] + ")").join(", "));
    row("Sources", e.sources.join("; "));
    parts.push(dl);
    if (e.statements.length) {
      const ul = el("ul", { class: "statements" });
      for (const [prop, label, rank, reason, by, against] of e.statements) {
        const who = by.concat(against.map((s) => "contradicted by " + s)).join("; ");
        ul.append(el("li", { class: "statement " + rank }, prop + ": " + label +
          " — " + rank + (reason ? " (" + reason + ")" : "") + (who ? " — " + who : "")));
      }
      parts.push(el("h3", {}, "What the sources say"), ul);
    }
    if (e.links.length) {
      const ul = el("ul", { class: "links" });
      for (const [label, other, title, by] of e.links) {
        const b = el("button", { type: "button", class: "link" }, title);
        b.addEventListener("click", () => select(other, true));
        ul.append(el("li", {}, label + ": ", b, by.length ? " (" + by.join("; ") + ")" : ""));
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
