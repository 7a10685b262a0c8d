"""The events' data of ``timeline.html`` written from the package's Arrow columns, as
:mod:`belarus_timeline.outputs.columnar` writes the GeoJSON export.

Each event's data is compact JSON (as ``json.dumps(page._event_data(...), ensure_ascii=False,
separators=(",", ":"))``): its values are columns of text over the events, its lists the
events' child rows (statements, participants, utterances, claims, links, evidence, passages)
joined through list arrays. The bytes are those of ``page.page_chunks`` over the view
(``tests/test_page_columnar.py``); where the data has what the columns do not write as the view
does, :func:`column_page_chunks` returns ``None`` and the caller writes the view's way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from belarus_timeline.outputs.attribution import BACKING, relation_label
from belarus_timeline.outputs.attribution import text_or_none as _str
from belarus_timeline.outputs.columnar import (
    _L,
    Fallback,
    Features,
    _check,
    _col,
    _data,
    _empty_none,
    _full,
    _grouped,
    _known,
    _positions,
    _read,
    _s,
    _slice,
    cat,
    features,
    json_strings,
    kept_on,
    statement_rows,
)
from belarus_timeline.outputs.columnjsonl import (
    _dumps,
    _keys,
    _list,
    _list_at,
    _opt,
    _pairs,
    _participants,
    _utterances,
)
from belarus_timeline.outputs.columnpassages import Sources, passage_lists, sources
from belarus_timeline.outputs.columnslides import _mapped, _title, by_offsets, disputes, skip_join
from belarus_timeline.outputs.dates import display_edtf, format_day
from belarus_timeline.outputs.page import data_head, figure, page_parts, script_safe
from belarus_timeline.outputs.rows import records
from belarus_timeline.outputs.spread import NO_PLACE, Spread
from belarus_timeline.outputs.views import (
    TimelineView,
    _actor_name,
    _date,
    _float,
    _labels,
    _participant,
    _places,
    _sources,
    _timeline,
    _vocabulary,
)
from belarus_timeline.package import DataPackage
from belarus_timeline.tables import table_names

_EVENT = _keys(
    *("id", "title", "summary", "type", "typeLabel", "status", "start", "end", "date"),
    *("precision", "edtf", "timezone", "place", "statements", "disputed", "sources"),
    *("derivations", "participants", "quotes", "claims", "links", "evidence", "passages"),
)
_QUOTE = _keys("id", "text", "speaker", "to", "on", "kind", "source")
_CLAIM = _keys("subject", "claimant", "figure", "qualifier", "excerpt", "on")
_SPAN_FIELDS = ("date_basis", "date_expression", "date_anchor")
_EPOCH = dt.date(1970, 1, 1).toordinal()


@dataclass
class PageColumns:
    """What the page's events are written from besides the features' columns."""

    f: Features
    labels: dict[str, str]  # source id -> short name
    places: pa.Array  # by place as ``f.place_texts``: ``{"id","label","note"}``; "null" last
    participants: pa.Array  # per event
    quotes: pa.Array  # per event
    claims: pa.Array  # per row of ``f.claims``
    links: pa.Array  # per event
    derives: pa.Array  # per row of ``f.evidence``: a span of the event's preferred date
    sources: Sources


def _days(values: pa.Array) -> pa.Array:
    """``format_day`` of each date cell, worded once per distinct date."""
    values = _full(values)
    distinct = pc.unique(values)
    words = pa.array([format_day(_date(v)) for v in distinct.to_pylist()], _L)
    return pc.take(words, pc.index_in(values, value_set=distinct))


def _actor_names(pkg: DataPackage) -> dict[str, str]:
    """Each actor's name, as the view names a quote's speaker or a claim's claimant."""
    actors = {str(r["actor_id"]): r for r in records(pkg, "actors")}
    return {a: _actor_name(actors, a) or "" for a in actors}


def _participant_lists(pkg: DataPackage, f: Features) -> pa.Array:
    """Per event ``[[name, "role, role"], ...]``: one entry per actor, in order of its first
    participation, with all its roles."""
    n = f.events.num_rows
    p = _participants(pkg, f, n)
    rows = p.num_rows
    r = np.arange(rows, dtype=np.int64)
    actor = pc.cast(_col(p, "actor_id"), _L)
    pos = _col(p, "_pos").to_numpy()
    by_actor = pc.sort_indices(
        pa.table({"p": pos, "a": actor, "r": r}),
        sort_keys=[("p", "ascending"), ("a", "ascending"), ("r", "ascending")],
    ).to_numpy()
    s_pos, s_actor = pos[by_actor], pc.take(actor, pa.array(by_actor))
    new = np.ones(rows, bool)
    new[1:] = (s_pos[1:] != s_pos[:-1]) | pc.not_equal(
        s_actor.slice(1), s_actor.slice(0, max(rows - 1, 0))
    ).to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(new)
    roles = pc.replace_substring(pc.cast(_col(p, "role"), _L), "_", " ")
    joined = by_offsets(pc.take(roles, pa.array(by_actor)), np.append(starts, rows), ", ")
    ids = pc.take(s_actor, pa.array(starts))
    actors = {str(a["actor_id"]): a for a in records(pkg, "actors")}
    distinct = pc.unique(ids).to_pylist()
    names = pa.array([_participant(actors, a, "").name for a in distinct], _L)
    name = pc.take(names, pc.index_in(ids, value_set=pa.array(distinct, _L)))
    items = cat("[", json_strings(name), ",", json_strings(joined), "]")
    order = np.lexsort((by_actor[starts], s_pos[starts]))
    return _list_at(pc.take(items, pa.array(order)), s_pos[starts][order], n)


def _quote_lists(
    pkg: DataPackage, f: Features, names: dict[str, str], labels: dict[str, str]
) -> pa.Array:
    """Per event its utterances, each the list of its renderings' objects."""
    q = f.quotes.table
    to = _empty_none(_col(q, "addressee_id"))
    items = cat(
        *_pairs(
            _QUOTE,
            [
                json_strings(_col(q, "quote_id")),
                json_strings(_full(_col(q, "text"))),
                json_strings(_mapped(_full(_col(q, "speaker_id")), names)),
                pc.fill_null(json_strings(_mapped(to, names)), _s("null")),
                json_strings(_days(_col(q, "said_on"))),
                json_strings(_known(pkg, "quotes", "quote_kind", _col(q, "quote_kind"))),
                json_strings(_mapped(_col(q, "source_id"), labels)),
            ],
        ),
        "}",
    )
    return _utterances(f, items)


def _claim_items(f: Features, names: dict[str, str]) -> pa.Array:
    """Each claim row's object."""
    c = f.claims.table
    cells = [c.column(k).to_pylist() for k in ("value", "unit", "comparator", "period")]
    figures = [
        figure(_float(v), _str(u), _str(k), _str(p)) for v, u, k, p in zip(*cells, strict=True)
    ]
    values = [
        json_strings(_full(_col(c, "subject"))),
        json_strings(_mapped(_full(_col(c, "claimant_id")), names)),
        pc.fill_null(json_strings(pa.array(figures, _L)), _s("null")),
        _opt(_col(c, "qualifier")),
        json_strings(_full(_col(c, "excerpt"))),
        json_strings(_days(_col(c, "stated_on"))),
    ]
    return cat(*_pairs(_CLAIM, values), "}")


def _link_sources(pkg: DataPackage, labels: dict[str, str]) -> pa.Table:
    """Per link (from, relation, to) the JSON list of the sources backing it, in id order."""
    t = _read(pkg, "link_evidence")
    keys = ["from_event_id", "relation", "to_event_id"]
    cols = {k: pc.cast(_full(_col(t, k)), _L) for k in [*keys, "source_id"]}
    backing = pc.fill_null(pc.is_in(_col(t, "stance"), value_set=pa.array(list(BACKING))), False)
    pairs = pa.table(cols).filter(backing).group_by([*keys, "source_id"], use_threads=False)
    pairs = pairs.aggregate([])
    pairs = pairs.take(
        pc.sort_indices(pairs, sort_keys=[(k, "ascending") for k in pairs.column_names])
    )
    rows = pairs.num_rows
    new = np.ones(rows, bool)
    for k in keys:
        col = pairs.column(k).combine_chunks()
        new[1:] |= pc.not_equal(col.slice(1), col.slice(0, max(rows - 1, 0))).to_numpy(
            zero_copy_only=False
        )
    starts = np.flatnonzero(new)
    names = json_strings(_mapped(_col(pairs, "source_id"), labels))
    lists = _list(names, np.append(starts, rows))
    out = pairs.take(pa.array(starts)).select(keys)
    return out.append_column("sources", lists)


def _link_lists(pkg: DataPackage, f: Features, labels: dict[str, str]) -> pa.Array:
    """Per event ``[[relation, other id, other title, [sources]], ...]``: out first, then by
    relation and other event."""
    t = _read(pkg, "event_links")
    keys = ["from_event_id", "relation", "to_event_id"]
    links = pa.table({k: pc.cast(_full(_col(t, k)), _L) for k in keys})
    links = links.append_column("_row", pa.array(np.arange(links.num_rows, dtype=np.int64)))
    joined = links.join(_link_sources(pkg, labels), keys=keys, use_threads=False)
    joined = joined.take(pc.sort_indices(joined, sort_keys=[("_row", "ascending")]))
    a, b = _col(joined, "from_event_id"), _col(joined, "to_event_id")
    relation = _col(joined, "relation")
    listed = pc.fill_null(_col(joined, "sources"), _s("[]"))
    ids = _col(f.events, "event_id")
    titles = pc.cast(_col(f.events, "title"), _L)
    sides = []
    for direction, here, other in (("out", a, b), ("in", b, a)):
        words = {r: relation_label(r, direction) for r in pc.unique(relation).to_pylist()}
        item = cat(
            "[", json_strings(_mapped(relation, words)), ",", json_strings(other), ",",
            json_strings(_title(other, ids, titles)), ",", listed, "]",
        )  # fmt: skip
        inward = pa.array(np.full(len(joined), direction == "in"))
        sides.append(
            pa.table(
                {
                    "event_id": here,
                    "_in": inward,
                    "relation": relation,
                    "other": other,
                    "item": item,
                }
            )
        )
    both = pa.concat_tables(sides)
    n = f.events.num_rows
    group = _grouped(both, _positions(both, ids), ["_in", "relation", "other"], n)
    return _list(_col(group.table, "item"), group.offsets)


def _derives(f: Features) -> pa.Array:
    """Whether each evidence row gives the event's preferred date (names one of its
    preferred date statements)."""
    st = f.statements.group.table
    preferred = pc.and_(
        pc.equal(_col(st, "property"), "date"), pc.equal(_col(st, "rank"), "preferred")
    )
    keys = pa.table(
        {"_pos": _col(st, "_pos"), "statement_id": pc.cast(_col(st, "statement_id"), _L)}
    ).filter(preferred)
    keys = keys.group_by(["_pos", "statement_id"], use_threads=False).aggregate([])
    ev = f.evidence.table
    rows = ev.num_rows
    spans = pa.table(
        {
            "_pos": _col(ev, "_pos"),
            "statement_id": _empty_none(_col(ev, "statement_id")),
            "_row": pa.array(np.arange(rows, dtype=np.int64)),
        }
    )
    found = spans.join(keys, keys=["_pos", "statement_id"], join_type="inner", use_threads=False)
    mask = np.zeros(rows, bool)
    mask[found.column("_row").to_numpy()] = True
    return pa.array(mask)


def page_columns(pkg: DataPackage, view: TimelineView, root: Path) -> PageColumns:
    """The columns the page's events are written from (``view``: the package's view, of
    which only the sources are read; ``root``: the folder of the archived texts)."""
    f = features(pkg)
    ev = f.evidence.table
    _check(all(k in ev.column_names for k in _SPAN_FIELDS))
    _check("link_evidence" in table_names(pkg))
    _known(pkg, "evidence", "aspect", _col(ev, "aspect"))
    names = _actor_names(pkg)
    labels = _labels(view.sources)
    places = _places(records(pkg, "places"))
    place_texts = [
        _dumps({"id": p.place_id, "label": p.label, "note": p.coordinate_note})
        for p in places.values()
    ]
    return PageColumns(
        f=f,
        labels=labels,
        places=pa.array([*place_texts, "null"], _L),
        participants=_participant_lists(pkg, f),
        quotes=_quote_lists(pkg, f, names, labels),
        claims=_claim_items(f, names),
        links=_link_lists(pkg, f, labels),
        derives=_derives(f),
        sources=sources(f, view, root),
    )


def _statement_lists(c: PageColumns, a: int, b: int) -> pa.Array:
    """``[[property, label, rank, reason, [sources], [contradicted by]], ...]`` per event."""
    st = statement_rows(c.f.statements, c.f.labels, a, b)
    if st is None:
        return pc.fill_null(pa.nulls(b - a, _L), _s("[]"))
    rows, offsets, prop, label = st.rows, st.offsets, st.prop, st.label
    back, back_at, against, against_at = st.back, st.back_at, st.against, st.against_at
    items = cat(
        "[", json_strings(prop), ",", json_strings(label), ",", json_strings(_col(rows, "rank")),
        ",", _opt(_col(rows, "rank_reason")),
        ",", _list(json_strings(_mapped(_col(back, "source_id"), c.labels)), back_at),
        ",", _list(json_strings(_mapped(_col(against, "source_id"), c.labels)), against_at),
        "]",
    )  # fmt: skip
    return _list(items, offsets)


def _evidence_lists(c: PageColumns, a: int, b: int) -> tuple[pa.Array, pa.Array]:
    """Per event its ``derivations`` (the spans of its preferred date) and ``evidence``."""
    f = c.f
    rows, offsets = _slice(f.evidence, a, b)
    lo = int(f.evidence.offsets[a])
    label = json_strings(_mapped(_col(rows, "source_id"), c.labels))
    evidence = cat(
        "[", json_strings(_col(rows, "evidence_id")), ",", json_strings(_col(rows, "aspect")),
        ",", json_strings(_col(rows, "excerpt")), ",", json_strings(_col(rows, "stance")),
        ",", label, "]",
    )  # fmt: skip
    derive = c.derives.slice(lo, rows.num_rows)
    mask = derive.to_numpy(zero_copy_only=False)
    fields = [_opt(_col(rows, k)) for k in _SPAN_FIELDS]
    items = cat("[", label, ",", fields[0], ",", fields[1], ",", fields[2], "]")
    pos = _col(rows, "_pos").to_numpy() - a
    return _list_at(pc.filter(items, derive), pos[mask], b - a), _list(evidence, offsets)


def _event_batch(c: PageColumns, a: int, b: int) -> pa.Array:
    """The data of events ``a:b``, each as ``json.dumps(page._event_data(...))`` writes it."""
    f, m = c.f, b - a
    ev = f.events.slice(a, b - a)
    kind = pc.cast(_col(ev, "event_type"), _L)
    edtf = pc.cast(_col(ev, "edtf"), _L)
    distinct = pc.unique(edtf)
    shown = pa.array([display_edtf(v) for v in distinct.to_pylist()], _L)
    date, place = disputes(f, c.labels, a, b)
    disputed = skip_join(
        [cat('"date":', json_strings(date)), cat('"place":', json_strings(place))], ","
    )
    back, back_at = _slice(f.backing, a, b)
    derivations, evidence = _evidence_lists(c, a, b)
    values = [
        json_strings(_col(ev, "event_id")),
        json_strings(_col(ev, "title")),
        json_strings(pc.fill_null(pc.cast(_col(ev, "summary"), _L), _s(""))),
        json_strings(kind),
        json_strings(pc.replace_substring(kind, "_", " ")),
        json_strings(_col(ev, "status")),
        json_strings(pc.cast(_col(ev, "start_date"), _L)),
        pc.fill_null(json_strings(pc.cast(_col(ev, "end_date"), _L)), _s("null")),
        json_strings(pc.take(shown, pc.index_in(edtf, value_set=distinct))),
        json_strings(_col(ev, "date_precision")),
        json_strings(edtf),
        _opt(_col(ev, "timezone")),
        pc.take(c.places, f.place_at.slice(a, m)),
        _statement_lists(c, a, b),
        cat("{", disputed, "}"),
        _list(json_strings(_mapped(_col(back, "source_id"), c.labels)), back_at),
        derivations,
        c.participants.slice(a, m),
        c.quotes.slice(a, m),
        _list(c.claims, f.claims.offsets[a : b + 1]),
        c.links.slice(a, m),
        evidence,
        passage_lists(f, c.sources, a, b),
    ]
    return cat(*_pairs(_EVENT, values), "}")


def column_page_chunks(
    pkg: DataPackage,
    view: TimelineView,
    root: Path,
    dataset: dict[str, Any] | None,
    batch: int = 20_000,
) -> Iterator[bytes] | None:
    """``page.page_chunks(view, root, dataset)`` of the package ``pkg`` (``view``: its view,
    of which only the metadata and sources are read) in chunks of bytes, the same bytes;
    ``None`` when the data has what only the view writes its way."""
    try:
        c = page_columns(pkg, view, root)
    except Fallback:
        return None
    return _page(c, view, dataset, batch)


def _page(
    c: PageColumns, view: TimelineView, dataset: dict[str, Any] | None, batch: int
) -> Iterator[bytes]:
    used = set(c.sources.ids.to_pylist())
    n = c.f.events.num_rows
    parts = page_parts(view, dataset)
    yield parts[0].encode("utf-8")
    for part in parts[1:]:
        yield (data_head(view, used) + "[").encode("utf-8")
        for a in range(0, n, batch):
            b = min(n, a + batch)
            lead = pa.array([""] + [","] * (b - a - 1), _L) if a == 0 else _s(",")
            yield script_safe(_data(cat(lead, _event_batch(c, a, b))))
        yield ("]}" + part).encode("utf-8")


def light_view(root: Path) -> TimelineView | None:
    """The view of the package at ``root`` without its events: its metadata, sources and
    event types; None where the columns fall back."""
    pkg = DataPackage(root)
    try:
        ev = features(pkg).events
    except Fallback:
        return None
    view = _timeline(pkg, [], _sources(records(pkg, "sources")))
    vocab = _vocabulary(pkg, "events", "event_type")
    used = set(pc.unique(pc.cast(_col(ev, "event_type"), _L)).to_pylist()) - set(vocab)
    view = dataclasses.replace(view, event_types=(*vocab, *sorted(used)))
    kept_on(view, "_package", lambda: pkg)
    return view


def spread(pkg: DataPackage) -> Spread:
    """The events as the chart of many events reads them: each one's place label (numbered
    in order of first event: Arrow's dictionary encoding) and first and last days."""
    f = features(pkg)
    labels = [p.label for p in _places(records(pkg, "places")).values()]
    coded = pc.dictionary_encode(pc.take(pa.array([*labels, NO_PLACE], _L), f.place_at))
    start = _col(f.events, "start_date")
    through = pc.coalesce(_col(f.events, "end_date"), start)

    def days(col: pa.Array) -> np.ndarray:
        epoch: np.ndarray = pc.cast(col, pa.int32()).to_numpy(zero_copy_only=False)
        return epoch.astype(np.int64) + _EPOCH

    return Spread(
        labels=coded.dictionary.to_pylist(),
        label=coded.indices.to_numpy(zero_copy_only=False).astype(np.int64),
        start=days(start),
        through=days(through),
    )
