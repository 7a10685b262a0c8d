"""Who says what: statements, their ranks and references, link evidence and utterances.

An event's date and place are *statements* in the manner of Wikidata's: each value a source
asserts is one row of ``statements`` with a rank (preferred, normal, deprecated); the spans
that bear on it are ``evidence`` rows naming the statement, with their stance (supports,
contradicts, qualifies) and, for a date, how this source gives it. The events table shows the
preferred values. Event links get their spans from ``link_evidence``, from any number of
sources. Quotes that render one utterance share an ``utterance_id``.

These checks run over whole columns like the rest of the semantic layer; only the date
expressions (a few per event at most) are compared with their excerpts one row at a time.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from belarus_timeline.edtf import parse as parse_edtf
from belarus_timeline.validate.codes import Code, emits
from belarus_timeline.validate.columns import Table, mask, need
from belarus_timeline.validate.keys import Coder, Ref, combine, encode, first_rows, index_in, is_in
from belarus_timeline.validate.report import Collector, cell

#: Separator of the fragments of a date expression quoted from two places of one excerpt.
FRAGMENTS = " … "
_SUPPORTING = ["supports", "qualifies"]
_LINK = ["from_event_id", "relation", "to_event_id"]
# Columns whose values the checks compare with one another: each set coded once, together.
DOMAINS: list[list[Ref]] = [
    [("events", "event_id"), ("statements", "event_id"), ("evidence", "event_id")],
    [("statements", "property"), ("evidence", "aspect")],
    [("events", "edtf"), ("statements", "edtf")],
    [("events", "place_id"), ("statements", "place_id")],
    [("statements", "statement_id"), ("evidence", "statement_id")],
    *([("event_links", f), ("link_evidence", f)] for f in _LINK),
]

# The columns of evidence only its date derivations read (with the table's own checks when
# tables are read one by one).
DERIVATION_READS = ("date_basis", "date_expression", "date_anchor", "excerpt")
# The columns the checks below read, by table: the rest can be dropped.
READS: dict[str, set[str]] = {
    "statements": {
        *("statement_id", "event_id", "property", "edtf", "place_id", "rank", "rank_reason")
    },
    "events": {"event_id", "edtf", "place_id"},
    "evidence": {"event_id", "aspect", "statement_id", "stance", *DERIVATION_READS},
    "event_links": set(_LINK),
    "link_evidence": {*_LINK, "stance"},
    "quotes": {"utterance_id", "event_id", "speaker_id", "said_on"},
}


def _join(*cols: pa.Array | pa.ChunkedArray) -> pa.Array:
    return pc.binary_join_element_wise(*cols, "\x1f")


def _values(st: Table) -> pa.Array:
    """A statement's value as text: the EDTF of a date, the place_id of a place."""
    return pc.if_else(pc.equal(st.col("property"), "date"), st.col("edtf"), st.col("place_id"))


@emits()
def check_statements(
    tables: dict[str, Table], out: Collector, *, part: str = "all", coder: Coder | None = None
) -> None:
    """Statements, their ranks and references; link evidence; renderings of utterances.
    ``part``: "all"; "head", what comes before the date derivations of evidence spans (which
    :func:`check_derivations` then checks on their own), or "tail", what comes after them.
    ``coder``: the package's codes, shared with the other checks (None: this layer's own)."""
    codes = coder or Coder(tables, DOMAINS)
    if part != "tail":
        st = need(
            tables, "statements", ["statement_id", "event_id", "property", "edtf", "place_id"]
        )
        if st is not None and "rank" in st.typed and "rank_reason" in st.typed:
            _statement_values(st, codes, out)
            _ranks(st, codes, out)
            ev = need(tables, "events", ["event_id", "edtf", "place_id"])
            if ev is not None:
                _preferred_values(ev, st, codes, out)
        evid = need(tables, "evidence", ["event_id", "aspect", "statement_id", "stance"])
        if evid is not None and st is not None:
            _references(evid, st, codes, out)
    if part == "all":
        check_derivations(tables, out)
    if part != "head":
        _link_evidence(tables, codes, out)
        q = need(tables, "quotes", ["utterance_id", "event_id", "speaker_id", "said_on"])
        if q is not None:
            _utterances(q, out)


@emits()
def check_derivations(tables: dict[str, Table], out: Collector) -> None:
    """How each date span says its source gives the date (evidence alone)."""
    evid = need(tables, "evidence", ["event_id", "aspect", "statement_id", "stance"])
    if evid is not None and all(f in evid.typed for f in DERIVATION_READS[:3]):
        _derivations(evid, out)


@emits(Code.STATEMENT_VALUE, Code.DUPLICATE_STATEMENT)
def _statement_values(st: Table, codes: Coder, out: Collector) -> None:
    is_date, is_place = st.equal("property", "date"), st.equal("property", "place")
    has_edtf, has_place = st.differs("edtf", ""), st.differs("place_id", "")
    invalid: dict[int, str] = {}
    # The preferred date is the events row's, whose EDTF the event checks parse; the others
    # (alternatives: a few) are parsed here.
    for i in np.flatnonzero(is_date & has_edtf & ~st.equal("rank", "preferred")):
        try:
            parse_edtf(st.cell("edtf", int(i)))
        except ValueError as exc:
            invalid[int(i)] = str(exc)
    bad = (is_date & (~has_edtf | has_place)) | (is_place & (~has_place | has_edtf))
    bad[list(invalid)] = True
    out.rows(
        bad,
        layer="semantic",
        code=Code.STATEMENT_VALUE,
        file=st.file,
        fld="edtf",
        values=_values(st) if bad.any() else None,
        message=lambda i: (
            invalid.get(i)
            or (
                "A date statement needs edtf and no place_id; a place statement needs place_id "
                "and no edtf."
            )
        ),
        fix=lambda i: "Fill in the one value field of the statement's property.",
    )
    first = first_rows(_value_codes(st, codes, is_date))
    out.rows(
        first != np.arange(len(first)),
        layer="semantic",
        code=Code.DUPLICATE_STATEMENT,
        file=st.file,
        fld="statement_id",
        values=st.shown("statement_id"),
        message=lambda i: f"The same value as statement row {int(first[i]) + 2}.",
        fix=lambda i: (
            "Keep one statement per value and cite every source that gives it as an evidence "
            "row naming that statement (corroboration), then delete this row."
        ),
    )


def _value_codes(st: Table, codes: Coder, is_date: np.ndarray) -> np.ndarray:
    """Codes of the statements' (event_id, property, value): equal iff the joined strings are."""
    refs = [(st.name, f) for f in ("event_id", "property", "edtf", "place_id")]
    if any(codes.holds_sep(r) for r in refs):
        return encode(_join(st.col("event_id"), st.col("property"), _values(st)))[0]
    # Rows of one property take their value from the same column, so its codes compare them.
    value = np.where(is_date, codes.codes(refs[2]), codes.codes(refs[3]))
    return combine(codes.keys(refs[:2])[0], value)


@emits(Code.PREFERRED_NOT_UNIQUE, Code.RANK_WITHOUT_REASON)
def _ranks(st: Table, codes: Coder, out: Collector) -> None:
    group = codes.keys([(st.name, "event_id"), (st.name, "property")])[0]
    preferred = st.equal("rank", "preferred")
    # Among the preferred rows, a second one of the same event and property.
    pref = np.flatnonzero(preferred)
    first = np.arange(len(preferred))
    # (first_rows takes the group codes as they are: coding them again in order of first
    # appearance took 4 GB of Arrow's hash table for the 19.5M statements of 10M events.)
    first[pref] = pref[first_rows(group[pref])]
    out.rows(
        first != np.arange(len(first)),
        layer="semantic",
        code=Code.PREFERRED_NOT_UNIQUE,
        file=st.file,
        fld="rank",
        values=st.shown("rank"),
        message=lambda i: (
            f"Statement row {int(first[i]) + 2} is already the preferred "
            f"{st.cell('property', i)} of event {st.cell('event_id', i)!r}."
        ),
        fix=lambda i: "Keep one preferred value; rank the others 'normal' or 'deprecated'.",
    )
    alternatives = np.bincount(group)[group] > 1
    no_reason = st.equal("rank_reason", "")
    deprecated = st.equal("rank", "deprecated")
    out.rows(
        no_reason & (deprecated | (preferred & alternatives)),
        layer="semantic",
        code=Code.RANK_WITHOUT_REASON,
        file=st.file,
        fld="rank_reason",
        values=st.shown("rank_reason"),
        message=lambda i: (
            "A deprecated value must say why it is wrong."
            if st.cell("rank", i) == "deprecated"
            else "The value is preferred over alternatives but rank_reason does not say why."
        ),
        fix=lambda i: (
            "Say why in the sources' terms (e.g. 'The report written on the spot names the "
            "city; the other one is a wire summary')."
        ),
    )


@emits(Code.PREFERRED_MISMATCH)
def _preferred_values(ev: Table, st: Table, codes: Coder, out: Collector) -> None:
    """The events row shows the preferred values: its edtf and place_id are theirs."""
    preferred = st.equal("rank", "preferred")
    is_date = st.equal("property", "date")
    # Event ids, EDTFs and places of both tables, coded together.
    e_ev, e_st, d_ev, d_st, p_ev, p_st = (
        codes.codes((t.name, f)) for f in ("event_id", "edtf", "place_id") for t in (ev, st)
    )
    date_ok, place_ok = _preferred_found(ev, st, preferred, codes)
    for fld, bad, what in (
        ("edtf", ~date_ok & ev.differs("event_id", ""), "date"),
        ("place_id", ~place_ok & ev.differs("place_id", ""), "place"),
    ):
        out.rows(
            bad,
            layer="semantic",
            code=Code.PREFERRED_MISMATCH,
            file=ev.file,
            fld=fld,
            values=ev.shown(fld),
            message=f"No preferred {what} statement of this event has this value.",
            fix=f"Add a statement (property '{what}', rank 'preferred') with this value to "
            f"{st.file}, with evidence, or make the event show the preferred value.",
        )
    # A preferred value the event does not show (e.g. a preferred place of an event without one):
    # the value of the event's (first) row in the statement's field.
    at = index_in(e_st, e_ev)
    known = at >= 0
    row = np.where(known, at, 0)
    differs = np.where(is_date, d_ev[row] != d_st, p_ev[row] != p_st) if len(e_ev) else known
    bad = preferred & known & differs
    out.rows(
        bad,
        layer="semantic",
        code=Code.PREFERRED_MISMATCH,
        file=st.file,
        fld="rank",
        values=_values(st) if bad.any() else None,
        message=lambda i: (
            f"This preferred value is not the one event {st.cell('event_id', i)!r} shows."
        ),
        fix=lambda i: f"Make {ev.file} show the preferred value, or rank this one 'normal'.",
    )


def _preferred_found(
    ev: Table, st: Table, preferred: np.ndarray, codes: Coder
) -> tuple[np.ndarray, np.ndarray]:
    """Per event, whether a preferred statement has its (event_id, "date", edtf), and whether
    one has its (event_id, "place", place_id), compared as the cells joined by the separator."""
    fields = ("event_id", "edtf", "place_id")
    e_ev, e_st, d_ev, d_st, p_ev, p_st = (
        codes.codes((t.name, f)) for f in fields for t in (ev, st)
    )
    if any(
        codes.holds_sep(r)
        for r in [(t.name, f) for t in (ev, st) for f in fields] + [(st.name, "property")]
    ):
        # The joined strings themselves.
        ids, edtf_a, place = ev.col("event_id"), ev.col("edtf"), ev.col("place_id")
        stated = pc.filter(
            _join(st.col("event_id"), st.col("property"), _values(st)), pa.array(preferred)
        )
        date_ok = mask(pc.is_in(_join(ids, pa.scalar("date"), edtf_a), value_set=stated))
        return date_ok, mask(pc.is_in(_join(ids, pa.scalar("place"), place), value_set=stated))
    found = []
    for what, v_ev, v_st in (("date", d_ev, d_st), ("place", p_ev, p_st)):
        chosen = preferred & st.equal("property", what)
        width = int(max(v_ev.max(initial=0), v_st.max(initial=0))) + 1
        # Codes are below their dictionary's size (< 2**31): the pair's code fits in int64 (widened
        # first: the codes are int32).
        pairs = pa.array((e_st.astype(np.int64) * width + v_st)[chosen], pa.int64())
        mine = pa.array(e_ev.astype(np.int64) * width + v_ev, pa.int64())
        found.append(mask(pc.is_in(mine, value_set=pairs)))
    return found[0], found[1]


@emits(Code.STATEMENT_MISMATCH, Code.UNSUPPORTED_STATEMENT)
def _references(evid: Table, st: Table, codes: Coder, out: Collector) -> None:
    """Date and place spans name a statement of their event and property; every statement has
    a span that supports it."""
    about_value = evid.among("aspect", ["date", "place"])
    named = evid.differs("statement_id", "")
    s_st, s_ev, e_st, e_ev, a_st, a_ev = (
        codes.codes(r)
        for pair in (
            ("statement_id", "statement_id"),
            ("event_id", "event_id"),
            ("property", "aspect"),
        )
        for r in ((st.name, pair[0]), (evid.name, pair[1]))
    )
    # The statement each span names (its first row), and whether it has another event or
    # property than the span.
    at = index_in(s_ev, s_st)
    row = np.where(at >= 0, at, 0)
    elsewhere = (at >= 0) & ((e_st[row] != e_ev) | (a_st[row] != a_ev)) if len(s_st) else at >= 0

    def their(fld: str, i: int) -> object:
        return st.cell(fld, int(at[i]))

    problem: dict[int, str] = {}
    for i in np.flatnonzero(about_value & ~named).tolist():
        problem[i] = f"A {evid.cell('aspect', i)} span must name the statement it bears on."
    for i in np.flatnonzero(~about_value & named).tolist():
        problem[i] = "Only date and place spans name a statement."
    for i in np.flatnonzero(about_value & named & elsewhere).tolist():
        problem[i] = (
            f"Statement {evid.cell('statement_id', i)!r} is the {their('property', i)} of event "
            f"{their('event_id', i)!r}, not the {evid.cell('aspect', i)} of this span's event."
        )
    bad = np.zeros(evid.raw.num_rows, dtype=bool)
    bad[list(problem)] = True
    out.rows(
        bad,
        layer="semantic",
        code=Code.STATEMENT_MISMATCH,
        file=evid.file,
        fld="statement_id",
        values=evid.shown("statement_id"),
        message=lambda i: problem[i],
        fix=lambda i: (
            f"Name the statement (in {st.file}) of this event whose value the span gives, or "
            "correct the aspect."
        ),
    )
    backing = s_ev[evid.among("stance", _SUPPORTING)]
    unsupported = ~is_in(s_st, backing)
    out.rows(
        unsupported & st.differs("statement_id", ""),
        layer="semantic",
        code=Code.UNSUPPORTED_STATEMENT,
        file=st.file,
        fld="statement_id",
        values=st.shown("statement_id"),
        message=lambda i: "No evidence span supports this value.",
        fix=lambda i: (
            f"Add a row to {evid.file} naming the statement, with the span that gives the "
            "value and stance 'supports' (or 'qualifies')."
        ),
    )


@emits(
    Code.DERIVATION_MISMATCH,
    Code.RESOLVED_WITHOUT_EXPRESSION,
    Code.EXPRESSION_NOT_IN_EXCERPT,
)
def _derivations(evid: Table, out: Collector) -> None:
    """A date span says how its source gives the date; a resolved one quotes the words."""
    aspect, basis = evid.col("aspect"), evid.col("date_basis")
    expr = evid.col("date_expression")
    is_date = mask(pc.equal(aspect, "date"))
    anchor = evid.col("date_anchor")
    derived = mask(
        pc.or_(pc.or_(pc.not_equal(basis, ""), pc.not_equal(expr, "")), pc.not_equal(anchor, ""))
    )
    out.rows(
        (is_date & mask(pc.equal(basis, ""))) | (~is_date & derived),
        layer="semantic",
        code=Code.DERIVATION_MISMATCH,
        file=evid.file,
        fld="date_basis",
        values=basis,
        message=lambda i: (
            "A date span must say whether its source states the date or it was resolved."
            if is_date[i]
            else f"A {cell(aspect, i)} span carries a date derivation."
        ),
        fix=lambda i: (
            "Set date_basis to 'stated' or 'resolved'."
            if is_date[i]
            else "Move date_basis, date_expression and date_anchor to a date span."
        ),
    )
    out.rows(
        mask(pc.and_(pc.equal(basis, "resolved"), pc.equal(expr, ""))),
        layer="semantic",
        code=Code.RESOLVED_WITHOUT_EXPRESSION,
        file=evid.file,
        fld="date_expression",
        values=expr,
        message=lambda i: (
            "The date is 'resolved' but the source's words it was resolved from are not given."
        ),
        fix=lambda i: "Quote the relative expression (e.g. 'on Thursday') and fill date_anchor.",
    )
    if "excerpt" not in evid.typed:
        return
    missing = _absent_expressions(expr, evid.col("excerpt"))
    bad = np.zeros(evid.raw.num_rows, dtype=bool)
    bad[list(missing)] = True
    out.rows(
        bad,
        layer="semantic",
        code=Code.EXPRESSION_NOT_IN_EXCERPT,
        file=evid.file,
        fld="date_expression",
        values=expr,
        message=lambda i: f"{missing[i]!r} is not in the span's excerpt.",
        fix=lambda i: (
            "Quote the words exactly as the excerpt has them (several fragments joined by "
            f"{FRAGMENTS!r}), or point the span at the passage that holds them."
        ),
    )


_BLOCK = 1 << 16  # rows whose cells are Python strings at a time


def _absent_expressions(expr: pa.ChunkedArray, excerpt: pa.ChunkedArray) -> dict[int, str]:
    """Rows whose date expression (or one of its fragments) is not in the excerpt: the first
    fragment absent. One Python string per expression and excerpt, a block of rows at a time
    (a substring test between two columns has no Arrow kernel; whole columns of Python strings
    would not fit in memory at scale)."""
    rows = np.flatnonzero(mask(pc.not_equal(expr, "")))
    missing: dict[int, str] = {}
    for lo in range(0, len(rows), _BLOCK):
        block = rows[lo : lo + _BLOCK]
        picked = pa.array(block, pa.int64())
        words = pc.take(expr, picked).to_pylist()
        texts = pc.take(excerpt, picked).to_pylist()
        for i, phrase, text in zip(block.tolist(), words, texts, strict=True):
            if phrase in text:  # then so is each of its fragments
                continue
            absent = [f for f in phrase.split(FRAGMENTS) if f not in text]
            if absent:
                missing[i] = absent[0]
    return missing


@emits(Code.NO_EVIDENCE)
def _link_evidence(tables: dict[str, Table], codes: Coder, out: Collector) -> None:
    """Every link rests on at least one span that supports it."""
    links = need(tables, "event_links", ["from_event_id", "relation", "to_event_id"])
    le = need(tables, "link_evidence", ["from_event_id", "relation", "to_event_id", "stance"])
    if links is None or le is None:
        return
    fields = _LINK
    k_links, k_le = codes.keys([(links.name, f) for f in fields], [(le.name, f) for f in fields])
    backing = k_le[le.among("stance", _SUPPORTING)]
    # The joined key is "\x1f\x1f" exactly when the three cells are empty.
    empty = np.ones(links.raw.num_rows, dtype=bool)
    for f in fields:
        empty &= links.equal(f, "")
    bad = ~is_in(k_links, backing) & ~empty
    out.rows(
        bad,
        layer="semantic",
        code=Code.NO_EVIDENCE,
        file=links.file,
        fld="relation",
        values=pc.replace_substring(_join(*(links.col(f) for f in fields)), "\x1f", ", ")
        if bad.any()
        else None,
        message=lambda i: "No span of link_evidence supports this link.",
        fix=lambda i: f"Add a row to {le.file} with the span the link rests on.",
    )


@emits(Code.UTTERANCE_MISMATCH)
def _utterances(q: Table, out: Collector) -> None:
    """Renderings of one utterance agree on its event, speaker and day."""
    first = first_rows(_cell_codes(q, "utterance_id"))
    disagree = np.zeros(q.raw.num_rows, dtype=bool)
    for fld in ("event_id", "speaker_id", "said_on"):
        codes = _cell_codes(q, fld)
        disagree |= codes[first] != codes
    out.rows(
        disagree,
        layer="semantic",
        code=Code.UTTERANCE_MISMATCH,
        file=q.file,
        fld="utterance_id",
        values=q.shown("utterance_id"),
        message=lambda i: (
            f"The utterance's first rendering (row {int(first[i]) + 2}) has another "
            "event, speaker or day."
        ),
        fix=lambda i: (
            "Renderings of one utterance share event_id, speaker_id and said_on; if the "
            "words were said on another occasion, give the quote its own utterance_id."
        ),
    )


def _cell_codes(t: Table, fld: str) -> np.ndarray:
    """Codes of a column's cells, equal iff the cells are (those the table holds, if coded)."""
    found = t.codes(fld)
    return found[1] if found is not None else encode(t.col(fld))[0]
