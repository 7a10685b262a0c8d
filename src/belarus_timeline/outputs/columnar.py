"""The GeoJSON export written from the package's Arrow columns, a batch of events at a time.

A feature's text is the same for every event but for its values: here each piece (a field's
escaped value, a list of ids, the statements) is a column of text over the events, built with
``pyarrow.compute`` (child rows sorted and grouped by offsets into list arrays, joined), and the
features are those columns joined element-wise. No Python object per event, no loop per event.

The bytes are those of :func:`belarus_timeline.outputs.featuretext.feature_text` over the shared
view (``tests/test_export_columnar.py`` compares the two on tricky data). Where the data has
what the view reads in its own way (an empty key, a duplicate event id, a value outside its
vocabulary), :func:`geojson_chunks` returns ``None`` and the caller writes the view's way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from json.encoder import encode_basestring as _enc
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from belarus_timeline.outputs.attribution import BACKING, RANKS
from belarus_timeline.outputs.dates import display_edtf
from belarus_timeline.outputs.featuretext import (
    _FEATURE,
    _PROPERTIES,
    _STATEMENT_KEYS,
    FEATURE_LEVEL,
    _close,
    _prefixes,
    _strings,
    place_pieces,
)
from belarus_timeline.outputs.jsontext import TextStream, indented_json_chunks
from belarus_timeline.outputs.rows import records
from belarus_timeline.outputs.views import TimelineView, _places, _vocabulary
from belarus_timeline.package import DataPackage
from belarus_timeline.tables import cell_bytes, mark_rows, read_arrow, table_names

_L = pa.large_string()
_IND = "  "
#: Events written per batch: bounded memory, and text columns far below their offsets' limit.
BATCH = 20_000


class Fallback(Exception):
    """The data holds something the columns do not write as the view does."""


def _s(text: str) -> pa.Scalar:
    return pa.scalar(text, _L)


def cat(*parts: Any) -> pa.Array:
    """Element-wise concatenation of text columns and constant strings (a null stays null)."""
    args = [_s(p) if isinstance(p, str) else p if p.type == _L else pc.cast(p, _L) for p in parts]
    columns = [k for k, p in enumerate(parts) if not isinstance(p, str)]
    if len(columns) == 1:
        # Constants around one column (quotes, indents...): inserted before and after each
        # value, in half the time of Arrow's join of as many columns.
        (k,) = columns
        col, before, after = args[k], "".join(parts[:k]), "".join(parts[k + 1 :])
        if before:
            col = pc.binary_replace_slice(col, 0, 0, before)
        if after:
            col = pc.binary_replace_slice(col, _END, _END, after)
        return col
    return pc.binary_join_element_wise(*args, _s(""))


_END = 1 << 62  # (a slice starting past a value's end is its end)


def json_strings(values: pa.Array) -> pa.Array:
    """Each value as :func:`json.encoder.encode_basestring` writes it (nulls stay null): quoted,
    and the few values with a character to escape escaped by that very function."""
    values = pc.cast(values, _L)
    quoted = cat('"', values, '"')
    needs = _escaped(values)
    if not needs.any():
        return quoted
    escaped = [_enc(v) for v in values.filter(pa.array(needs)).to_pylist()]
    return pc.replace_with_mask(quoted, pa.array(needs), pa.array(escaped, _L))


def _escaped(values: pa.Array) -> np.ndarray:
    """Per value (``large_string``; False where null), whether it holds a character the JSON
    encoder escapes: a control character, '"' or '\\'. Found in the bytes of every value at
    once (in UTF-8 these characters are single bytes, and no other character holds such a
    byte): a third of the time of Arrow's regex on long texts, a tenth on ids."""
    b, offsets = cell_bytes(values)
    out = np.zeros(len(values), bool)
    mark_rows(out, offsets, np.flatnonzero((b < 0x20) | (b == 0x22) | (b == 0x5C)))
    if values.null_count:  # (a null's bytes, if it has any, are not a value's)
        out &= np.asarray(values.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    return out


def text_lists(items: pa.Array, offsets: np.ndarray, level: int) -> pa.Array:
    """Per group of ``items`` (JSON texts; group i is ``items[offsets[i]:offsets[i+1]]``) the
    list as the generic writer indents it at ``level``; ``[]`` for an empty group."""
    inner = "\n" + _IND * (level + 1)
    base = int(offsets[0])
    lists = pa.LargeListArray.from_arrays(
        pa.array(offsets - base, pa.int64()), cat(inner, items.slice(base, offsets[-1] - base))
    )
    joined = cat("[", pc.binary_join(lists, _s(",")), _close(level) + "]")
    return pc.if_else(pa.array(np.diff(offsets) == 0), _s("[]"), joined)


def _col(table: pa.Table, name: str) -> pa.Array:
    col = table.column(name).combine_chunks()
    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    return col


def _check(ok: Any) -> None:
    if not ok:
        raise Fallback


def _full(col: pa.Array) -> pa.Array:
    """A column the view reads with ``str()``: an empty cell would read as ``None``."""
    _check(col.null_count == 0)
    return col


def _known(pkg: DataPackage, table: str, field: str, col: pa.Array) -> pa.Array:
    """A vocabulary column the view reads with ``str()``: every value must be of it."""
    _full(col)
    vocab = _vocabulary(pkg, table, field)
    if vocab:
        known = pc.is_in(col, value_set=pa.array(list(vocab), col.type))
        _check(pc.all(known, min_count=0).as_py())
    return col


def _empty_none(col: pa.Array) -> pa.Array:
    """``text_or_none``: an empty text is ``None``."""
    col = pc.cast(col, _L)
    return pc.if_else(pc.equal(col, _s("")), pa.scalar(None, _L), col)


@dataclass
class _Group:
    """Child rows sorted by event (in feature order) and then their own order."""

    table: pa.Table
    offsets: np.ndarray  # group i: rows offsets[i]:offsets[i+1]

    def texts(self, column: pa.Array, a: int, b: int, level: int) -> pa.Array:
        """The JSON lists of ``column`` (JSON texts of the rows) for events ``a:b``."""
        return text_lists(column, self.offsets[a : b + 1], level)


def _grouped(table: pa.Table, pos: pa.Array, keys: list[str], n: int) -> _Group:
    """Rows of ``table`` whose event is one of the features (``pos``: its position, null when
    none), sorted by that position and then ``keys``; sort_indices is stable."""
    table = table.append_column("_pos", pos).filter(pc.is_valid(pos))
    order = pc.sort_indices(
        table, sort_keys=[("_pos", "ascending")] + [(k, "ascending") for k in keys]
    )
    table = table.take(order)
    counts = np.bincount(table.column("_pos").to_numpy(), minlength=n)
    return _Group(table, np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))


def _distinct(table: pa.Table, keys: list[str], n: int) -> _Group:
    """The distinct ``(_pos, *keys)`` of ``table``, sorted."""
    table = table.group_by(["_pos", *keys], use_threads=False).aggregate([])
    return _grouped(table.drop_columns(["_pos"]), table.column("_pos"), keys, n)


def _slice(group: _Group, a: int, b: int) -> tuple[pa.Table, np.ndarray]:
    """The rows of events ``a:b`` and their offsets from 0."""
    lo, hi = int(group.offsets[a]), int(group.offsets[b])
    return group.table.slice(lo, hi - lo), group.offsets[a : b + 1] - lo


def _id_lists(group: _Group, column: str, a: int, b: int, level: int) -> pa.Array:
    """The JSON lists of the text ``column`` of events ``a:b``."""
    rows, offsets = _slice(group, a, b)
    return text_lists(json_strings(_col(rows, column)), offsets, level)


def _read(pkg: DataPackage, table: str) -> pa.Table:
    return read_arrow(pkg, table_names(pkg)[table])


def _events(pkg: DataPackage) -> pa.Table:
    """The events in the view's order: (start date, last day, event id)."""
    t = _read(pkg, "events")
    ids = _full(_col(t, "event_id"))
    _check(pc.count_distinct(ids).as_py() == len(ids))
    title = _full(_col(t, "title"))
    _check(not pc.any(pc.equal(title, "")).as_py())  # the view refuses it: say so its way
    for field in ("event_type", "status", "date_precision"):
        _known(pkg, "events", field, _col(t, field))
    _full(_col(t, "edtf"))
    start = _full(_col(t, "start_date"))
    keys = pa.table({"s": start, "t": pc.coalesce(_col(t, "end_date"), start), "i": ids})
    order = pc.sort_indices(
        keys, sort_keys=[("s", "ascending"), ("t", "ascending"), ("i", "ascending")]
    )
    return t.take(order)


def _positions(table: pa.Table, ids: pa.Array) -> pa.Array:
    """Each row's event as its position among the features (null: no such event)."""
    return pc.index_in(_full(_col(table, "event_id")), value_set=ids)


def _spans(pkg: DataPackage, table: str, ident: str, ids: pa.Array, n: int) -> _Group:
    """Rows of a span table in the view's order: source, start, end, id."""
    t = _read(pkg, table)
    keys = [ident, "source_id", "char_start", "char_end"]
    for k in keys:
        _full(_col(t, k))
    return _grouped(t, _positions(t, ids), ["source_id", "char_start", "char_end", ident], n)


def _actors(pkg: DataPackage, ids: pa.Array, n: int) -> _Group:
    """Each event's distinct actors in the order of their first participation (roles in
    schema order, then role, then actor id)."""
    t = _read(pkg, "participants")
    roles = pc.cast(_known(pkg, "participants", "role", _col(t, "role")), _L)
    actor = _full(pc.cast(_col(t, "actor_id"), _L))
    order = {r: i for i, r in enumerate(_vocabulary(pkg, "participants", "role"))}
    distinct = pc.unique(roles).to_pylist()
    ranked = sorted(distinct, key=lambda r: (order.get(r, len(order)), r))
    rank = pc.index_in(roles, value_set=pa.array(ranked, _L))
    pos = _positions(t, ids)
    held = pc.is_valid(pos)
    # Each (event, actor) once, with its least rank (null if it has none): grouped on integer
    # codes in numpy, where Arrow's group_by on the actor's string took 6 s at 1M events.
    at = np.asarray(pos.filter(held).to_numpy(zero_copy_only=False), np.int64)
    who = pc.dictionary_encode(actor.filter(held))
    code = np.asarray(who.indices.to_numpy(zero_copy_only=False), np.int64)
    least = np.asarray(pc.fill_null(rank.filter(held), _NO_RANK).to_numpy(), np.int64)
    key = at * max(len(who.dictionary), 1) + code
    by = np.lexsort((least, key))  # within each (event, actor), the least rank first
    first = by[np.flatnonzero(np.diff(key[by], prepend=-1) != 0)]
    firsts = pa.table(
        {
            "rank_min": pa.array(least[first], pa.int32(), mask=least[first] == _NO_RANK),
            "actor_id": who.dictionary.take(pa.array(code[first])),
        }
    )
    return _grouped(firsts, pa.array(at[first], pa.int32()), ["rank_min", "actor_id"], n)


_NO_RANK = np.iinfo(np.int32).max  # (a role outside the ranked ones: none)


@dataclass
class _Statements:
    """Statements in the view's order with their backing and contradicting sources."""

    group: _Group
    backing: _Group  # by statement row
    contradicting: _Group
    disputed: np.ndarray  # per event: 0 none, 1 date, 2 place, 3 both


def _statement_rows(evidence: pa.Table, rows: pa.Table) -> np.ndarray:
    """Per span of ``evidence``, the statement row it names if that row is of the span's
    event, else -1. A statement id is the key of one row (each checked): looked up, where
    Arrow's join on (event, id) took 4 s at 1M events."""
    ids = _col(rows, "statement_id")
    _check(pc.count_distinct(ids, mode="all").as_py() == len(ids))
    at = pc.index_in(_col(evidence, "statement_id"), value_set=ids)
    found = np.asarray(pc.fill_null(at, -1).to_numpy(zero_copy_only=False), np.int64)
    pos = _col(rows, "_pos").to_numpy(zero_copy_only=False)
    theirs = np.asarray(pc.fill_null(_col(evidence, "_pos"), -1).to_numpy(zero_copy_only=False))
    named = np.flatnonzero(found >= 0)
    found[named[pos[found[named]] != theirs[named]]] = -1
    return found


def _by_statement(
    evidence: pa.Table, named: np.ndarray, rows: pa.Table, stances: list[str]
) -> _Group:
    """The distinct sources of each statement row's spans of ``stances`` (``named``: the row
    each span names, see ``_statement_rows``), in source order: the event's spans are in
    source order, so ascending."""
    stance = pc.is_in(_col(evidence, "stance"), value_set=pa.array(stances))
    spans = np.flatnonzero(np.asarray(stance.to_numpy(zero_copy_only=False)) & (named >= 0))
    # Each (statement row, source) once.
    source = pc.dictionary_encode(_col(evidence, "source_id").take(pa.array(spans)), "encode")
    width = max(len(source.dictionary), 1)
    code = np.asarray(source.indices.to_numpy(zero_copy_only=False), np.int64)
    key = np.sort(named[spans] * width + code)
    key = key[np.diff(key, prepend=-1) != 0]
    pairs = pa.table({"source_id": source.dictionary.take(pa.array(key % width))})
    return _grouped(pairs, pa.array(key // width), ["source_id"], rows.num_rows)


def _statements(pkg: DataPackage, ev: _Group, ids: pa.Array, n: int) -> _Statements:
    t = _read(pkg, "statements")
    _full(_col(t, "statement_id"))
    _known(pkg, "statements", "property", _col(t, "property"))
    rank = _known(pkg, "statements", "rank", _col(t, "rank"))
    rank_order = pc.fill_null(pc.index_in(rank, value_set=pa.array(list(RANKS))), 9)
    t = t.append_column("_rank", rank_order)
    group = _grouped(t, _positions(t, ids), ["property", "_rank", "statement_id"], n)
    rows = group.table.append_column("_row", pa.array(np.arange(group.table.num_rows)))
    rows = rows.set_column(
        rows.schema.get_field_index("statement_id"),
        "statement_id",
        pc.cast(_col(rows, "statement_id"), _L),
    )
    # The view keys spans by their statement id read with text_or_none: "" names none.
    evidence = ev.table.set_column(
        ev.table.schema.get_field_index("statement_id"),
        "statement_id",
        _empty_none(_col(ev.table, "statement_id")),
    )
    evidence = evidence.filter(pc.is_valid(_col(evidence, "statement_id")))
    named = _statement_rows(evidence, rows)
    backing = _by_statement(evidence, named, rows, list(BACKING))
    contradicting = _by_statement(evidence, named, rows, ["contradicts"])
    pos = _col(rows, "_pos").to_numpy()
    props = _col(rows, "property")
    contradicted = np.diff(contradicting.offsets) > 0
    disputed = np.zeros(n, np.int64)
    for bit, p in ((1, "date"), (2, "place")):
        mine = pc.equal(props, p).to_numpy(zero_copy_only=False)
        many = np.bincount(pos[mine], minlength=n) > 1
        against = np.bincount(pos[mine & contradicted], minlength=n) > 0
        disputed += bit * (many | against)
    return _Statements(group, backing, contradicting, disputed)


def statement_values(rows: pa.Table, places: dict[str, str]) -> tuple[pa.Array, ...]:
    """Statements' property, value (a date's EDTF, a place's id, else "") and its label."""
    prop = pc.cast(_col(rows, "property"), _L)
    date = pc.equal(prop, "date")
    value = pc.fill_null(
        _empty_none(
            pc.if_else(date, pc.cast(_col(rows, "edtf"), _L), pc.cast(_col(rows, "place_id"), _L))
        ),
        _s(""),
    )
    # Labels of the few distinct values, in words: a date as a reader says it, a place by label.
    distinct = pc.unique(value).to_pylist()
    as_date = pa.array([display_edtf(v) for v in distinct], _L)
    as_place = pa.array([places.get(v, v) for v in distinct], _L)
    at = pc.index_in(value, value_set=pa.array(distinct, _L))
    label = pc.if_else(date, pc.take(as_date, at), pc.take(as_place, at))
    return prop, value, label


@dataclass(frozen=True)
class StatementRows:
    """The statements of events ``a:b`` (``offsets`` from 0 per event) with their property,
    value and label, and the sources backing and contradicting each (offsets per statement)."""

    rows: pa.Table
    offsets: np.ndarray
    prop: pa.Array
    value: pa.Array
    label: pa.Array
    back: pa.Table
    back_at: np.ndarray
    against: pa.Table
    against_at: np.ndarray


def statement_rows(st: _Statements, places: dict[str, str], a: int, b: int) -> StatementRows | None:
    """:class:`StatementRows` of events ``a:b`` (None: they have none)."""
    rows, offsets = _slice(st.group, a, b)
    if rows.num_rows == 0:
        return None
    lo, hi = int(st.group.offsets[a]), int(st.group.offsets[b])
    back, back_at = _slice(st.backing, lo, hi)
    against, against_at = _slice(st.contradicting, lo, hi)
    prop, value, label = statement_values(rows, places)
    return StatementRows(rows, offsets, prop, value, label, back, back_at, against, against_at)


def _statement_texts(
    st: _Statements, events: pa.Table, places: dict[str, str], a: int, b: int
) -> pa.Array:
    """The ``statements`` property of events ``a:b``."""
    rows, offsets = _slice(st.group, a, b)
    if rows.num_rows == 0:
        return pa.array(["[]"] * (b - a), _L)
    lo = int(st.group.offsets[a])
    prop, value, label = statement_values(rows, places)
    reason = pc.fill_null(json_strings(_empty_none(_col(rows, "rank_reason"))), _s("null"))
    keys = _prefixes(_STATEMENT_KEYS, 5)
    hi = lo + rows.num_rows
    sources = _id_lists(st.backing, "source_id", lo, hi, 6)
    against = _id_lists(st.contradicting, "source_id", lo, hi, 6)
    items = cat(
        keys[0], json_strings(_col(rows, "statement_id")),
        keys[1], json_strings(prop),
        keys[2], json_strings(value),
        keys[3], json_strings(label),
        keys[4], json_strings(_col(rows, "rank")),
        keys[5], reason,
        keys[6], sources,
        keys[7], against,
        _close(5) + "}",
    )  # fmt: skip
    return text_lists(items, offsets, 4)


@dataclass
class Features:
    """Everything the features are written from, in feature order."""

    events: pa.Table
    place_at: pa.Array  # each event's place, as a row of ``place_texts`` (null: none)
    place_texts: list[pa.Array]  # geometry and the eight place properties, by place
    actors: _Group
    quotes: _Group
    claims: _Group
    evidence: _Group
    sources: _Group
    backing: _Group
    statements: _Statements
    labels: dict[str, str]


T = TypeVar("T")


#: Taken only to give each kept value its own lock (see :func:`kept_on`).
_LOCKS = threading.Lock()


def kept_on(obj: object, key: str, make: Callable[[], T]) -> T:
    """``make()``, made once per ``obj`` and kept in its ``__dict__`` under ``key``; made once
    too when several threads ask at once (the exports run side by side and share them)."""
    made: T | None = obj.__dict__.get(key)
    if made is None:
        with _LOCKS:
            lock = obj.__dict__.setdefault(f"{key}:lock", threading.Lock())
        with lock:  # one lock per value: the others are made meanwhile
            made = obj.__dict__.get(key)
            if made is None:
                made = obj.__dict__[key] = make()
    return made


def shared_package(view: TimelineView) -> DataPackage:
    """The package of ``view``, one object per view: the exports of a view then read and
    join its columns once (:func:`features` keeps them on the package)."""
    return kept_on(view, "_package", lambda: DataPackage(view.root))


def features(pkg: DataPackage) -> Features:
    """The columns the features are written from, made once per package object."""
    return kept_on(pkg, "_features", lambda: _features(pkg))


def _features(pkg: DataPackage) -> Features:
    events = _events(pkg)
    ids = _col(events, "event_id")
    n = len(ids)
    places = _places(records(pkg, "places"))
    pieces = [place_pieces(p) for p in places.values()] + [place_pieces(None)]
    texts = [pa.array(column, _L) for column in zip(*pieces, strict=True)]
    none = len(places)  # the last row: no place
    at = pc.index_in(_empty_none(_col(events, "place_id")), value_set=pa.array(list(places), _L))
    evidence = _spans(pkg, "evidence", "evidence_id", ids, n)
    _known(pkg, "evidence", "stance", _col(evidence.table, "stance"))
    backing = evidence.table.filter(
        pc.is_in(_col(evidence.table, "stance"), value_set=pa.array(list(BACKING)))
    )
    return Features(
        events=events,
        place_at=pc.fill_null(at, none),
        place_texts=texts,
        actors=_actors(pkg, ids, n),
        quotes=_spans(pkg, "quotes", "quote_id", ids, n),
        claims=_spans(pkg, "claims", "claim_id", ids, n),
        evidence=evidence,
        sources=_distinct(evidence.table, ["source_id"], n),
        backing=_distinct(backing, ["source_id"], n),
        statements=_statements(pkg, evidence, ids, n),
        labels={k: p.label for k, p in places.items()},
    )


_DISPUTED = pa.array([_strings(d, 4) for d in ([], ["date"], ["place"], ["date", "place"])], _L)


def _feature_batch(f: Features, a: int, b: int) -> pa.Array:
    """The features of events ``a:b`` as JSON text, as ``feature_text`` writes them."""
    ev = f.events.slice(a, b - a)
    place = [pc.take(t, f.place_at.slice(a, b - a)) for t in f.place_texts]
    end = _col(ev, "end_date")
    ident = json_strings(_col(ev, "event_id"))
    props = [
        ident,
        json_strings(_col(ev, "title")),
        json_strings(_col(ev, "event_type")),
        json_strings(_col(ev, "status")),
        json_strings(pc.cast(_col(ev, "start_date"), _L)),
        pc.fill_null(json_strings(pc.cast(end, _L)), _s("null")),
        json_strings(_col(ev, "date_precision")),
        json_strings(_col(ev, "edtf")),
        pc.fill_null(json_strings(_empty_none(_col(ev, "timezone"))), _s("null")),
        *place[1:],
        _id_lists(f.actors, "actor_id", a, b, 4),
        _id_lists(f.quotes, "quote_id", a, b, 4),
        _id_lists(f.claims, "claim_id", a, b, 4),
        _id_lists(f.evidence, "evidence_id", a, b, 4),
        _id_lists(f.sources, "source_id", a, b, 4),
        pa.array(np.diff(f.backing.offsets[a : b + 1]).astype(str), _L),
        pc.take(_DISPUTED, pa.array(f.statements.disputed[a:b])),
        _statement_texts(f.statements, f.events, f.labels, a, b),
    ]
    body = cat(
        *[x for k, v in zip(_PROPERTIES, props, strict=True) for x in (k, v)], _close(3) + "}"
    )
    return cat(
        _FEATURE[0], '"Feature"', _FEATURE[1], ident, _FEATURE[2], place[0], _FEATURE[3], body,
        _close(FEATURE_LEVEL) + "}",
    )  # fmt: skip


def _data(texts: pa.Array) -> bytes:
    """The texts one after the other, straight from the array's buffer."""
    offsets = np.frombuffer(texts.buffers()[1], np.int64)[
        texts.offset : texts.offset + len(texts) + 1
    ]
    data: bytes = texts.buffers()[2][int(offsets[0]) : int(offsets[-1])].to_pybytes()
    return data


def written(
    n: int, doc: Callable[[TextStream], dict[str, Any]], batch: Callable[[int, int], pa.Array]
) -> Iterator[bytes]:
    """``indented_json_chunks(doc(stream))`` where the stream is the ``n`` items that
    ``batch(a, b)`` gives as JSON text (items ``a:b``), a batch at a time."""
    head, _, tail = b"".join(indented_json_chunks(doc(TextStream(["\0"] if n else [])))).partition(
        b"\0"
    )
    if not n:
        yield head
        return
    inner = "\n" + _IND * FEATURE_LEVEL
    for a in range(0, n, BATCH):
        b = min(n, a + BATCH)
        lead = pa.array([""] + ["," + inner] * (b - a - 1), _L) if a == 0 else _s("," + inner)
        yield (head if a == 0 else b"") + _data(cat(lead, batch(a, b)))
    yield tail


def _collection(features: TextStream) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def geojson_chunks(pkg: DataPackage) -> Iterator[bytes] | None:
    """The GeoJSON export of ``pkg`` in chunks of bytes, the same bytes as the view's writer;
    ``None`` when the data has what only the view writes its way."""
    try:
        f = features(pkg)
    except Fallback:
        return None
    return written(f.events.num_rows, _collection, lambda a, b: _feature_batch(f, a, b))
