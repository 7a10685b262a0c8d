"""The PLOVER-like JSON lines export written from the package's Arrow columns, as
:mod:`belarus_timeline.outputs.columnar` writes the GeoJSON one.

Each record is compact JSON (``json.dumps(..., ensure_ascii=False, separators=(",", ":"))``):
its values are columns of text over the events, its lists the events' child rows (actors in
their PLOVER slots, spans, sources, statements, utterances) joined through list arrays. The
bytes are those of ``formats._jsonl_lines`` over the shared view
(``tests/test_export_columnar.py``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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
    _read,
    _s,
    _slice,
    cat,
    features,
    json_strings,
    statement_rows,
)
from belarus_timeline.outputs.columnslides import _mapped, by_offsets, by_pos
from belarus_timeline.outputs.rows import records
from belarus_timeline.outputs.views import _participant, _places, _sources, _vocabulary
from belarus_timeline.package import DataPackage

_COMPACT: dict[str, Any] = {"ensure_ascii": False, "separators": (",", ":")}
#: PLOVER slots by role, tier by tier (``formats._SOURCE_ROLES``, ``_RECIPIENT_ROLES``).
SOURCE_TIERS = (("visitor",), ("initiator", "armed_force"), ("speaker",))
RECIPIENT_TIERS = (("host",), ("target",), ("addressee",))
_NONE = 99
_NULL = pa.scalar(None, _L)


def _dumps(value: Any) -> str:
    return json.dumps(value, **_COMPACT)


def _head(record: dict[str, Any]) -> str:
    """A dict's compact JSON without its last value (None) and the closing brace."""
    return _dumps(record)[: -len("null}")]


def _list(items: pa.Array, offsets: np.ndarray) -> pa.Array:
    """``[a,b]`` of each group of ``items`` (JSON texts); ``[]`` when empty."""
    return cat("[", pc.fill_null(by_offsets(items, offsets, ","), _s("")), "]")


def _list_at(items: pa.Array, pos: np.ndarray, m: int) -> pa.Array:
    return cat("[", pc.fill_null(by_pos(items, pos, m, ","), _s("")), "]")


def _ints(values: pa.Array) -> pa.Array:
    return pc.cast(_full(values), _L)


def _opt(values: pa.Array) -> pa.Array:
    """A text cell read with ``text_or_none``: null when empty."""
    return pc.fill_null(json_strings(_empty_none(values)), _s("null"))


def _tier(roles: pa.Array, tiers: tuple[tuple[str, ...], ...]) -> np.ndarray:
    tier = {r: i for i, t in enumerate(tiers) for r in t}
    distinct = pc.unique(roles).to_pylist()
    at = pc.index_in(roles, value_set=pa.array(distinct, roles.type)).to_numpy()
    ranks: np.ndarray = np.array([tier.get(r, _NONE) for r in distinct] or [_NONE], np.int64)
    out: np.ndarray = ranks[at]
    return out


def _participants(pkg: DataPackage, f: Features, n: int) -> pa.Table:
    """Participants in the view's order: by event, role (schema order, then name), actor."""
    t = _read(pkg, "participants")
    role = pc.cast(_known(pkg, "participants", "role", _col(t, "role")), _L)
    order = {r: i for i, r in enumerate(_vocabulary(pkg, "participants", "role"))}
    ranked = sorted(pc.unique(role).to_pylist(), key=lambda r: (order.get(r, len(order)), r))
    t = t.append_column("_rank", pc.index_in(role, value_set=pa.array(ranked, _L)))
    _full(_col(t, "actor_id"))
    pos = pc.index_in(_full(_col(t, "event_id")), value_set=_col(f.events, "event_id"))
    return _grouped(t, pos, ["_rank", "actor_id"], n).table


@dataclass
class _Actors:
    """Each event's actors (distinct, in order of first participation) with their slot and
    their JSON object."""

    pos: np.ndarray
    slot: np.ndarray  # 0 source, 1 recipient, 2 other
    text: pa.Array


def _min_by(pos: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, _NONE, np.int64)
    np.minimum.at(out, pos, values)
    return out


def _actors(pkg: DataPackage, f: Features) -> _Actors:
    """PLOVER slots: the source is whoever has a role of the first source tier any actor has
    (visitor; initiator or armed force; speaker), the recipient likewise among the rest."""
    n = f.events.num_rows
    p = _participants(pkg, f, n)
    rows = len(p)
    r = np.arange(rows, dtype=np.int64)
    actor = pc.cast(_col(p, "actor_id"), _L)
    role = pc.cast(_col(p, "role"), _L)
    by_actor = pc.sort_indices(
        pa.table({"p": _col(p, "_pos"), "a": actor, "r": r}),
        sort_keys=[("p", "ascending"), ("a", "ascending"), ("r", "ascending")],
    ).to_numpy()
    pos, act = _col(p, "_pos").to_numpy()[by_actor], pc.take(actor, pa.array(by_actor))
    new = np.ones(rows, bool)
    new[1:] = (pos[1:] != pos[:-1]) | pc.not_equal(
        act.slice(1), act.slice(0, max(rows - 1, 0))
    ).to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(new)
    offsets = np.append(starts, rows)
    s_tier = np.minimum.reduceat(_tier(role, SOURCE_TIERS)[by_actor], starts) if rows else starts
    r_tier = np.minimum.reduceat(_tier(role, RECIPIENT_TIERS)[by_actor], starts) if rows else starts
    a_pos, first = pos[starts], by_actor[starts]  # rows are in participant order: min r first
    source = (s_tier == _min_by(a_pos, s_tier, n)[a_pos]) & (s_tier < _NONE)
    rest = np.where(source, _NONE, r_tier)
    recipient = ~source & (rest == _min_by(a_pos, rest, n)[a_pos]) & (rest < _NONE)
    slot = np.where(source, 0, np.where(recipient, 1, 2))
    roles = _list(json_strings(pc.take(role, pa.array(by_actor))), offsets)
    ids = pc.take(act, pa.array(starts))
    names = {str(a["actor_id"]): a for a in records(pkg, "actors")}
    distinct = pc.unique(ids).to_pylist()
    heads = [_actor_head(names, a) for a in distinct]
    head = pc.take(pa.array(heads, _L), pc.index_in(ids, value_set=pa.array(distinct, _L)))
    order = np.lexsort((first, slot, a_pos))
    take = pa.array(order)
    return _Actors(a_pos[order], slot[order], pc.take(cat(head, roles, "}"), take))


def _actor_head(actors: dict[str, Any], actor_id: str) -> str:
    p = _participant(actors, actor_id, "")
    return _head(
        {
            "actor_id": p.actor_id,
            "name": p.name,
            "kind": p.kind,
            "country": p.country,
            "wikidata_qid": p.wikidata_qid,
            "roles": None,
        }
    )


def _utterances(f: Features, items: pa.Array | None = None) -> pa.Array:
    """Per event ``[[quote ids of an utterance], ...]`` (or of ``items``, the quotes' JSON
    texts): the rendering named by the utterance (else the first) leads its group, and groups
    come in the order of their leaders."""
    q = f.quotes.table
    rows = len(q)
    ids = _full(_col(q, "quote_id"))
    _check(pc.count_distinct(ids).as_py() == rows)
    utterance = _full(_col(q, "utterance_id"))
    r = np.arange(rows, dtype=np.int64)
    follows = ~pc.equal(ids, utterance).to_numpy(zero_copy_only=False)
    keyed = pa.table({"_pos": _col(q, "_pos"), "u": utterance, "k": follows * rows + r, "r": r})
    leaders = keyed.group_by(["_pos", "u"], use_threads=False).aggregate([("k", "min")])
    joined = keyed.join(leaders, keys=["_pos", "u"], use_threads=False)
    lead = joined.column("k_min").to_numpy() % max(rows, 1)
    jr = joined.column("r").to_numpy()
    jpos = joined.column("_pos").to_numpy()
    order = np.lexsort((jr, follows[jr], lead, jpos))
    jr, jpos, lead = jr[order], jpos[order], lead[order]
    new = np.ones(rows, bool)
    new[1:] = (jpos[1:] != jpos[:-1]) | (lead[1:] != lead[:-1])
    starts = np.flatnonzero(new)
    texts = json_strings(ids) if items is None else items
    groups = _list(pc.take(texts, pa.array(jr)), np.append(starts, rows))
    return _list_at(groups, jpos[starts], f.events.num_rows)


@dataclass
class Lines:
    """What the JSON lines are written from besides the features' columns."""

    f: Features
    actors: _Actors
    utterances: pa.Array  # per event
    sources: dict[str, str]  # source id -> its record
    published: dict[str, int]  # source id -> publication day (days since 1970)
    locations: list[str]  # by place, as ``f.place_texts``; "null" last


def lines(pkg: DataPackage) -> Lines:
    f = features(pkg)
    sources = _sources(records(pkg, "sources"))
    places = _places(records(pkg, "places"))
    epoch = dt.date(1970, 1, 1)
    return Lines(
        f=f,
        actors=_actors(pkg, f),
        utterances=_utterances(f),
        sources={
            k: _dumps(
                {
                    "source_id": s.source_id,
                    "title": s.title,
                    "publisher": s.publisher,
                    "published": s.published.isoformat(),
                    "url": s.url,
                }
            )
            for k, s in sources.items()
        },
        published={k: (s.published - epoch).days for k, s in sources.items()},
        locations=[
            _dumps(
                {
                    "place_id": p.place_id,
                    "name": p.name,
                    "kind": p.kind,
                    "country": p.country,
                    "latitude": p.latitude,
                    "longitude": p.longitude,
                    "coordinate_precision": p.coordinate_precision,
                    "geonames_id": p.geonames_id,
                    "wikidata_qid": p.wikidata_qid,
                }
            )
            for p in places.values()
        ]
        + ["null"],
    )


def _keys(*keys: str) -> list[str]:
    """What goes before each value of a compact JSON object."""
    return [("{" if i == 0 else ",") + _dumps(k) + ":" for i, k in enumerate(keys)]


_RECORD = _keys(
    *("id", "event_date", "end_date", "date_precision", "edtf", "timezone", "category"),
    *("mode", "context", "cameo_code", "event_type", "status", "title", "summary"),
    *("source_actors", "recipient_actors", "other_actors", "location", "text_spans"),
    *("sources", "source_count", "statements", "utterances"),
)
_SPAN = _keys(
    *("evidence_id", "aspect", "stance", "statement_id", "source_id", "char_start"),
    *("char_end", "text"),
)
_STATEMENT = _keys(
    *("statement_id", "property", "value", "label", "rank", "rank_reason", "sources"),
    "contradicted_by",
)
_CONTEXT = pa.array(["[]", '["future"]', '["historical"]', '["future","historical"]'], _L)


def _pairs(keys: list[str], values: list[Any]) -> list[Any]:
    return [x for k, v in zip(keys, values, strict=True) for x in (k, v)]


def _slots(s: Lines, a: int, b: int) -> list[pa.Array]:
    lo, hi = np.searchsorted(s.actors.pos, [a, b])
    pos, slot = s.actors.pos[lo:hi] - a, s.actors.slot[lo:hi]
    text = s.actors.text.slice(lo, hi - lo)
    out = []
    for k in (0, 1, 2):
        mine = slot == k
        out.append(_list_at(pc.filter(text, pa.array(mine)), pos[mine], b - a))
    return out


def _spans(s: Lines, a: int, b: int) -> pa.Array:
    rows, offsets = _slice(s.f.evidence, a, b)
    items = cat(
        *_pairs(
            _SPAN,
            [
                json_strings(_col(rows, "evidence_id")),
                json_strings(_col(rows, "aspect")),
                json_strings(_col(rows, "stance")),
                _opt(_col(rows, "statement_id")),
                json_strings(_col(rows, "source_id")),
                _ints(_col(rows, "char_start")),
                _ints(_col(rows, "char_end")),
                json_strings(_col(rows, "excerpt")),
            ],
        ),
        "}",
    )
    return _list(items, offsets)


def _statements(s: Lines, a: int, b: int) -> pa.Array:
    st = statement_rows(s.f.statements, s.f.labels, a, b)
    if st is None:
        return pc.fill_null(pa.nulls(b - a, _L), _s("[]"))
    rows, offsets, prop, value, label = st.rows, st.offsets, st.prop, st.value, st.label
    back, back_at, against, against_at = st.back, st.back_at, st.against, st.against_at
    items = cat(
        *_pairs(
            _STATEMENT,
            [
                json_strings(_col(rows, "statement_id")),
                json_strings(prop),
                json_strings(value),
                json_strings(label),
                json_strings(_col(rows, "rank")),
                _opt(_col(rows, "rank_reason")),
                _list(json_strings(_col(back, "source_id")), back_at),
                _list(json_strings(_col(against, "source_id")), against_at),
            ],
        ),
        "}",
    )
    return _list(items, offsets)


def _sourced(s: Lines, a: int, b: int) -> tuple[pa.Array, np.ndarray]:
    """The events' source records, and the day of the earliest publication (else huge)."""
    used, _ = _slice(s.f.sources, a, b)
    ids = pc.cast(_col(used, "source_id"), _L)
    pos = _col(used, "_pos").to_numpy() - a
    known = pc.is_in(ids, value_set=pa.array(list(s.sources), _L))
    mask = known.to_numpy(zero_copy_only=False)
    kept = pc.filter(ids, known)
    records_ = _list_at(_mapped(kept, s.sources), pos[mask], b - a)
    days = pc.take(
        pa.array(list(s.published.values()), pa.int64()),
        pc.index_in(kept, value_set=pa.array(list(s.published), _L)),
    )
    first = np.full(b - a, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(first, pos[mask], days.to_numpy(zero_copy_only=False).astype(np.int64))
    return records_, first


def _context(s: Lines, ev: pa.Table, first: np.ndarray, pending: dict[str, str]) -> pa.Array:
    future = pc.is_in(_col(ev, "status"), value_set=pa.array(list(pending))).to_numpy(
        zero_copy_only=False
    )
    through = pc.coalesce(_col(ev, "end_date"), _col(ev, "start_date"))
    days = pc.cast(through, pa.int32()).to_numpy(zero_copy_only=False).astype(np.int64)
    historical = (first != np.iinfo(np.int64).max) & (days < first - 30)
    return pc.take(_CONTEXT, pa.array(future * 1 + historical * 2))


def _record_batch(s: Lines, a: int, b: int, pending: dict[str, str]) -> pa.Array:
    """The records of events ``a:b``, each a line of compact JSON."""
    f = s.f
    ev = f.events.slice(a, b - a)
    records_, first = _sourced(s, a, b)
    values = [
        json_strings(_col(ev, "event_id")),
        json_strings(pc.cast(_col(ev, "start_date"), _L)),
        pc.fill_null(json_strings(pc.cast(_col(ev, "end_date"), _L)), _s("null")),
        json_strings(_col(ev, "date_precision")),
        json_strings(_col(ev, "edtf")),
        _opt(_col(ev, "timezone")),
        _opt(_col(ev, "plover_category")),
        _opt(_col(ev, "plover_mode")),
        _context(s, ev, first, pending),
        _opt(_col(ev, "cameo_code")),
        json_strings(_col(ev, "event_type")),
        json_strings(_col(ev, "status")),
        json_strings(_col(ev, "title")),
        json_strings(pc.fill_null(pc.cast(_col(ev, "summary"), _L), _s(""))),
        *_slots(s, a, b),
        pc.take(pa.array(s.locations, _L), f.place_at.slice(a, b - a)),
        _spans(s, a, b),
        records_,
        pa.array(np.diff(f.backing.offsets[a : b + 1]).astype(str), _L),
        _statements(s, a, b),
        s.utterances.slice(a, b - a),
    ]
    return cat(*_pairs(_RECORD, values), "}\n")


def _vocabularies(pkg: DataPackage, f: Features) -> None:
    """Cells the view reads with ``text_or_none`` from a vocabulary column: a value outside
    it would read as empty."""
    for field in ("plover_category", "plover_mode"):
        values = _empty_none(_col(f.events, field))
        vocab = _vocabulary(pkg, "events", field)
        if vocab:
            known = pc.is_in(values, value_set=pa.array(list(vocab), _L))
            _check(pc.all(pc.or_(known, pc.is_null(values)), min_count=0).as_py())
    _known(pkg, "evidence", "aspect", _col(f.evidence.table, "aspect"))
    _full(_col(f.evidence.table, "excerpt"))


def jsonl_chunks(
    pkg: DataPackage, pending: dict[str, str], batch: int = 20_000
) -> Iterator[bytes] | None:
    """The JSON lines export of ``pkg`` (``pending``: the statuses not yet occurred) in chunks
    of bytes, the same bytes as the view's writer; ``None`` when the data has what only the
    view writes its way."""
    try:
        s = lines(pkg)
        _vocabularies(pkg, s.f)
    except Fallback:
        return None
    n = s.f.events.num_rows
    return (_data(_record_batch(s, a, min(n, a + batch), pending)) for a in range(0, n, batch))
