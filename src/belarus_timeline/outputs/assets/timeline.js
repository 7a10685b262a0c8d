
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
