"""Synthetic, valid belarus-timeline packages of any size, with errors injected on request.

    python benchmarks/generate.py --events 1000000 --seed 1 --out benchmarks/work/n1m
    python benchmarks/generate.py --events 300 --out /tmp/p --inject dangling-foreign-key:5

The package uses the repository's own ``datapackage.json`` and ``schema/`` (copied unchanged)
with generated ``data/*.csv`` and ``sources/*.txt``. It passes ``belarus-timeline validate``
*and* ``frictionless validate`` clean: every rule of the validator is respected (speakers and
claimants are participants, quote and claim dates fall within their event, EDTF agrees with the
dates and precision, every event has evidence and every date and place a preferred statement
with a supporting span, no text cell starts with = + - @, no span touches page furniture) and
every span is real: the archived texts are generated from the same pieces as the excerpts,
offsets are code-point cumulative sums of those pieces (the texts contain curly quotes, dashes
and Cyrillic, so bytes and code points differ), and ``sources.sha256`` is the hash of the
written file. The same ``--events`` and ``--seed`` give byte-identical files.

Proportions, for N events (the curated data has about 3 participants, 3 evidence spans, 2
statements and 1 link per event; quotes are rarer here so that the texts stay a few hundred MB
at 1M events):

===================  =========================  ==================================
table                rows                       notes
===================  =========================  ==================================
events               N                          90% day, 7% month, 3% year precision
statements           1.95 N                     preferred date; preferred place (95%)
participants         3 N                        speaker, addressee/host, subject
evidence             2.95 N                     occurrence, date and place spans
quotes               N / 2                      every 2nd event; speaker participates
claims               N / 5                      every 5th event
event_links          N / 2                      every 2nd event (not the first)
link_evidence        N / 2                      one span per link
actors               max(20, N / 20)
actor_aliases        2 per actor                native (Cyrillic) and short form
places               10 countries + max(10, N / 100) cities
sources              ceil(N / 100)              one archived text per 100 events
source_furniture     3 per source               breadcrumb, comment count, site tag
===================  =========================  ==================================

At N = 1M that is 10.8M rows in 13 CSV files plus 10k archived texts (~200 MB). Events are
generated and written in parts of 200k (each part drawn from a random stream of its own), so
memory stays under about 1 GB at any N: 10M events take a few minutes and ~15 GB of disk.

``--inject KIND[:ROW]`` breaks the package in one of the ways of the bad-input corpus
(``tests/test_validate.py``), at data row ROW as frictionless numbers rows (header = 1, first data
row = 2; default 2). ``injected.json`` in the output lists, per injection, what a validator
should report: ``code`` (ours), ``file``, ``row``, ``field``, ``value``. Run with
``--list-kinds`` for the kinds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

REPO = Path(__file__).resolve().parent.parent
EVENTS_PER_SOURCE = 100
# Events generated (and held in memory) at a time; a multiple of EVENTS_PER_SOURCE.
EVENTS_PER_PART = 200_000
CHUNK = 200_000  # rows joined into one CSV string at a time (keeps each string < 2 GiB)

# Column order of every table, as in schema/*.json (checked against the schemas at run time).
Columns = dict[str, pa.Array]

COUNTRIES = [
    # place_id, name, ISO alpha-3, IANA zone, Wikidata QID
    ("belarus", "Belarus", "BLR", "Europe/Minsk", "Q184"),
    ("russia", "Russia", "RUS", "Europe/Moscow", "Q159"),
    ("ukraine", "Ukraine", "UKR", "Europe/Kyiv", "Q212"),
    ("germany", "Germany", "DEU", "Europe/Berlin", "Q183"),
    ("poland", "Poland", "POL", "Europe/Warsaw", "Q36"),
    ("lithuania", "Lithuania", "LTU", "Europe/Vilnius", "Q37"),
    ("latvia", "Latvia", "LVA", "Europe/Riga", "Q211"),
    ("france", "France", "FRA", "Europe/Paris", "Q142"),
    ("united-states", "United States", "USA", "America/New_York", "Q30"),
    ("china", "China", "CHN", "Asia/Shanghai", "Q148"),
]
FIRST = ["Alexander", "Svetlana", "Vladimir", "Olga", "Pavel", "Maria", "Viktor", "Anna"]
FIRST_CYR = ["Александр", "Светлана", "Владимир", "Ольга", "Павел", "Мария", "Виктор", "Анна"]
LAST = ["Lukashenko", "Tikhanovskaya", "Putin", "Kovalenko", "Zelensky", "Babariko", "Latushko"]
LAST_CYR = ["Лукашенко", "Тихановская", "Путин", "Коваленко", "Зеленский", "Бабарико", "Латушко"]
CITY_A = ["Novo", "Stara", "Vysh", "Niz", "Bela", "Kras", "Zel", "Chor"]
CITY_B = ["grad", "polye", "dvor", "sk", "mir", "lyn", "ovka", "ichi"]
VERBS = [
    "met officials",
    "held a news conference",
    "announced new measures",
    "appealed for support",
    "marked an anniversary",
    "signed an agreement",
    "visited troops",
]
EVENT_TYPES = [
    "news_conference",
    "bilateral_meeting",
    "announcement",
    "public_appeal",
    "anniversary",
    "armed_conflict",
]
PLOVER = ["consult", "agree", "support", "cooperate", "demand", "protest", "threaten", ""]
CAMEO = ["010", "042", "036", "190", "051", "112", "0841", ""]
PHRASES = [
    "We will not be drawn into this war",
    "Trade between our countries is growing",
    "Belarus shouldn\u2019t be overlooked",
    "It would be better if you didn\u2019t watch it",
    "We are ready to produce these aircraft",
    "Thank you for agreeing to come",
]
SUBJECTS = ["Bilateral trade", "Share of agreements fulfilled", "Grain exports", "Gas prices"]
RELATIONS = ["refers_to", "prelude_to", "part_of", "same_day_as", "precedes", "anniversary_of"]
PUBLISHERS = ["The Daily Chronicle", "Minsk Observer", "Eastern Europe Wire", "Kyiv Ledger"]
EXPRESSIONS = ["on Thursday", "a week before the anniversary", "the day before", "last month"]


def _s(values: Any) -> pa.Array:
    """A string array from a numpy array or list."""
    return pa.array(values, type=pa.string())


def cat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation; plain ``str`` parts are broadcast."""
    return pc.binary_join_element_wise(*parts, "")


def pick(rng: np.random.Generator, vocab: list[str], n: int) -> pa.Array:
    return pc.take(_s(vocab), pa.array(rng.integers(0, len(vocab), n)))


def num(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def when(mask: np.ndarray, values: pa.Array | str, other: str = "") -> pa.Array:
    if isinstance(values, str):
        values = _s([values] * len(mask))
    return pc.if_else(pa.array(mask), values, other)


def ulen(a: pa.Array) -> np.ndarray:
    """Length of each string in code points (Python ``str`` indices)."""
    return np.asarray(pc.utf8_length(a).to_numpy(zero_copy_only=False), dtype=np.int64)


def iso(days: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(days.astype("datetime64[D]")), pa.string())


@dataclass
class Package:
    tables: dict[str, Columns]
    texts: list[bytes]  # archived text of source s, UTF-8
    text_names: list[str]


def generate_part(n: int, seed: int, lo: int, hi: int) -> Package:
    """Events ``lo`` to ``hi - 1`` of a valid package of ``n`` events, with every row that hangs
    on them (and the places, actors and aliases when ``lo`` is 0): see :func:`parts`."""
    if n < 2:
        raise ValueError("need at least 2 events (event links point to another event)")
    rng = np.random.default_rng(seed)
    tables: dict[str, Columns] = {}

    # Places: the fixed countries, then cities inside them.
    n_city = max(10, n // 100)
    city_country = rng.integers(0, len(COUNTRIES), n_city)
    c_ids = [c[0] for c in COUNTRIES]
    n_place = len(COUNTRIES) + n_city
    city_ids = cat("city-", num(np.arange(n_city)))
    city_names = cat(
        pick(rng, CITY_A, n_city), pick(rng, CITY_B, n_city), " ", num(np.arange(n_city))
    )
    lat = np.round(rng.uniform(-89.9, 89.9, n_city), 5)
    lon = np.round(rng.uniform(-179.9, 179.9, n_city), 5)
    has_qid = rng.random(n_city) < 0.5
    tables["places"] = {
        "place_id": pa.concat_arrays([_s(c_ids), city_ids]),
        "name": pa.concat_arrays([_s([c[1] for c in COUNTRIES]), city_names]),
        "kind": _s(["country"] * len(COUNTRIES) + ["city"] * n_city),
        "country": pa.concat_arrays(
            [_s([c[2] for c in COUNTRIES]), pc.take(_s([c[2] for c in COUNTRIES]), city_country)]
        ),
        "latitude": pa.concat_arrays([_s([""] * len(COUNTRIES)), num(lat)]),
        "longitude": pa.concat_arrays([_s([""] * len(COUNTRIES)), num(lon)]),
        "coordinate_precision": _s(["none"] * len(COUNTRIES) + ["city"] * n_city),
        "coordinate_source": pa.concat_arrays(
            [_s([""] * len(COUNTRIES)), _s(["Synthetic city point"] * n_city)]
        ),
        "geonames_id": pa.concat_arrays([_s([""] * len(COUNTRIES)), num(np.arange(n_city) + 1000)]),
        "wikidata_qid": pa.concat_arrays(
            [_s([c[4] for c in COUNTRIES]), when(has_qid, cat("Q", num(np.arange(n_city) + 10**6)))]
        ),
        "within_place_id": pa.concat_arrays(
            [_s([""] * len(COUNTRIES)), pc.take(_s(c_ids), city_country)]
        ),
    }
    place_tz = np.array([c[3] for c in COUNTRIES] + [COUNTRIES[i][3] for i in city_country])
    place_names = tables["places"]["name"]

    # Actors and aliases.
    n_act = max(20, n // 20)
    fi, la = rng.integers(0, len(FIRST), n_act), rng.integers(0, len(LAST), n_act)
    actor_ids = cat("actor-", num(np.arange(n_act)))
    anum = num(np.arange(n_act))
    actor_names = cat(pc.take(_s(FIRST), fi), " ", pc.take(_s(LAST), la), " ", anum)
    tables["actors"] = {
        "actor_id": actor_ids,
        "name": actor_names,
        "kind": pick(rng, ["person", "person", "state", "organization"], n_act),
        "country": pick(rng, [c[2] for c in COUNTRIES], n_act),
        "role": pick(rng, ["leader", "opposition leader", "minister", ""], n_act),
        "wikidata_qid": when(rng.random(n_act) < 0.3, cat("Q", num(np.arange(n_act) + 2 * 10**6))),
    }
    native = cat(pc.take(_s(FIRST_CYR), fi), " ", pc.take(_s(LAST_CYR), la), " ", anum)
    short = cat(pc.take(_s(LAST), la), " ", anum)
    tables["actor_aliases"] = {
        "actor_id": _interleave(actor_ids, actor_ids),
        "alias": _interleave(native, short),
        "language": _interleave(_s(["ru"] * n_act), _s(["en"] * n_act)),
        "script": _interleave(_s(["Cyrl"] * n_act), _s(["Latn"] * n_act)),
        "alias_kind": _interleave(_s(["native"] * n_act), _s(["short_form"] * n_act)),
    }

    # Events, drawn from a stream of their own part: a part is the same whether the package is
    # made whole or streamed part by part. From here on ``n`` counts the part's events.
    total, n = n, hi - lo
    rng = np.random.default_rng([seed, lo])
    gidx = np.arange(lo, hi)  # the events' numbers in the whole package
    ev_ids = cat("event-", num(gidx))
    prec_draw = rng.random(n)
    precision = np.where(prec_draw < 0.90, "day", np.where(prec_draw < 0.97, "month", "year"))
    day0 = np.datetime64("2000-01-01", "D")
    start = day0 + rng.integers(0, 26 * 365, n).astype("timedelta64[D]")
    end = start + rng.choice([0, 0, 0, 1, 2], n).astype("timedelta64[D]")
    month_start = start.astype("datetime64[M]")
    is_m, is_y = precision == "month", precision == "year"
    start = np.where(is_m, month_start.astype("datetime64[D]"), start)
    end = np.where(is_m, (month_start + 1).astype("datetime64[D]") - 1, end)
    year_start = start.astype("datetime64[Y]")
    start = np.where(is_y, year_start.astype("datetime64[D]"), start)
    end = np.where(is_y, (year_start + 1).astype("datetime64[D]") - 1, end)
    s_iso, e_iso = iso(start), iso(end)
    width = np.where(is_y, 4, np.where(is_m, 7, 10))
    s_part = _s([s[:w] for s, w in zip(s_iso.to_pylist(), width.tolist(), strict=True)])
    e_part = _s([s[:w] for s, w in zip(e_iso.to_pylist(), width.tolist(), strict=True)])
    edtf = pc.if_else(pc.equal(s_part, e_part), s_part, cat(s_part, "/", e_part))
    has_place = rng.random(n) < 0.95
    ev_place = rng.integers(0, n_place, n)
    resolved = rng.random(n) < 0.3
    expression = when(resolved, pick(rng, EXPRESSIONS, n))
    actor_a = rng.integers(0, n_act, n)
    # 1 <= d1 < n_act/2 <= d2 < n_act: the three actors of an event are distinct.
    actor_b = (actor_a + rng.integers(1, n_act // 2, n)) % n_act
    actor_c = (actor_a + rng.integers(n_act // 2, n_act, n)) % n_act
    a_name = pc.take(actor_names, pa.array(actor_a))
    verb = pick(rng, VERBS, n)
    where = when(has_place, cat(" in ", pc.take(place_names, pa.array(ev_place))))
    title = cat(a_name, " ", verb, where)
    plover = pick(rng, PLOVER, n)
    date_words = pc.strftime(pa.array(start.astype("datetime64[s]")), format="%d %B %Y", locale="C")
    tables["events"] = {
        "event_id": ev_ids,
        "title": title,
        "summary": cat(title, " — as the source reports it, event ", num(gidx), "."),
        "event_type": pick(rng, EVENT_TYPES, n),
        "plover_category": plover,
        "plover_mode": pc.if_else(pc.equal(plover, "consult"), "visit", ""),
        "cameo_code": pick(rng, CAMEO, n),
        "start_date": s_iso,
        "end_date": e_iso,
        "date_precision": _s(precision),
        "edtf": edtf,
        "timezone": when(has_place, _s(place_tz[ev_place])),
        "place_id": when(has_place, pc.take(tables["places"]["place_id"], pa.array(ev_place))),
        "status": pick(rng, ["occurred"] * 8 + ["planned", "anticipated"], n),
    }

    # Statements: the preferred date of every event and the preferred place of those with one.
    with_place = pa.array(np.stack([np.ones(n, bool), has_place], 1).ravel())
    tables["statements"] = {
        k: pc.filter(v, with_place)
        for k, v in {
            "statement_id": _interleave(cat(ev_ids, "-date"), cat(ev_ids, "-place")),
            "event_id": _interleave(ev_ids, ev_ids),
            "property": _interleave(_s(["date"] * n), _s(["place"] * n)),
            "edtf": _interleave(edtf, _s([""] * n)),
            "place_id": _interleave(_s([""] * n), tables["events"]["place_id"]),
            "rank": _interleave(_s(["preferred"] * n), _s(["preferred"] * n)),
            "rank_reason": _interleave(_s([""] * n), _s([""] * n)),
        }.items()
    }

    # Participants: three per event, all distinct actors.
    role_b = pick(rng, ["addressee", "host", "visitor", "target"], n)
    tables["participants"] = {
        "event_id": _interleave(ev_ids, ev_ids, ev_ids),
        "actor_id": _interleave(
            *(pc.take(actor_ids, pa.array(x)) for x in (actor_a, actor_b, actor_c))
        ),
        "role": _interleave(_s(["speaker"] * n), role_b, _s(["subject"] * n)),
    }

    # The archived texts: per event a paragraph of pieces; each span is one piece.
    idx = gidx
    has_quote, has_claim = idx % 2 == 0, idx % 5 == 0
    occ = cat(a_name, " ", verb, where, " (", ev_ids, ").")
    date_s = cat(
        "It took place ",
        pc.if_else(pa.array(resolved), expression, cat("on ", date_words)),
        ", the correspondent\u2019s notes say.",
    )
    quote = when(has_quote, cat("“", pick(rng, PHRASES, n), ", ", num(idx), ",”"))
    quote_tail = when(has_quote, cat(" said ", a_name, "."))
    value = rng.integers(1, 100_000, n)
    unit = pick(rng, ["USD", "percent"], n)
    comparator = pick(rng, ["equal", "more_than", "less_than", "approximately"], n)
    comp_words = pc.replace_substring(comparator, "_", " ")
    subject = pick(rng, SUBJECTS, n)
    claim = when(
        has_claim,
        cat(
            " ",
            a_name,
            " said that ",
            subject,
            " was ",
            comp_words,
            " ",
            num(value),
            " ",
            unit,
            ".",
        ),
    )
    slots = [occ, _s([" "] * n), date_s, _s([" "] * n), quote, quote_tail, claim, _s(["\n\n"] * n)]
    lens = np.stack([ulen(s) for s in slots], axis=1)
    slot_start = np.cumsum(lens, axis=1) - lens  # offset of each piece inside its paragraph
    para_len = lens.sum(axis=1)

    n_src = -(-n // EVENTS_PER_SOURCE)
    src_of = (idx - lo) // EVENTS_PER_SOURCE  # lo is a multiple of EVENTS_PER_SOURCE
    src_ids = cat("source-", num(np.arange(n_src) + lo // EVENTS_PER_SOURCE))
    comments = num(rng.integers(0, 500, n_src))
    header = cat(
        "Home News\n",
        pc.take(_s(PUBLISHERS), pa.array(np.arange(n_src) % 4)),
        "\n",
        comments,
        " comments\n\n",
    )
    header_len = ulen(header)
    para_cum = np.cumsum(para_len) - para_len
    first_of_src = np.arange(n_src) * EVENTS_PER_SOURCE
    para_start = header_len[src_of] + para_cum - para_cum[first_of_src][src_of]
    piece_start = para_start[:, None] + slot_start  # code-point offset of every piece
    paragraphs = pc.binary_join_element_wise(*slots, "")
    bounds = np.append(first_of_src, n).astype(np.int32)
    bodies = pc.binary_join(pa.ListArray.from_arrays(pa.array(bounds), paragraphs), "")
    texts_a = cat(header, bodies, "site tag: eurowire")
    body_len = ulen(bodies)
    tag_start = header_len + body_len + len("site tag: ")

    texts = [t.as_py().encode("utf-8") for t in texts_a]  # one per source, not per row
    text_names = [f"{s}.txt" for s in src_ids.to_pylist()]
    published = iso(day0 + rng.integers(0, 26 * 365, n_src).astype("timedelta64[D]"))
    tables["sources"] = {
        "source_id": src_ids,
        "title": cat("Report ", num(np.arange(n_src)), ": leaders meet, trade and disagree"),
        "publisher": pc.take(_s(PUBLISHERS), pa.array(np.arange(n_src) % 4)),
        "published": published,
        "url": cat("https://news.example.org/", src_ids),
        "language": _s(["en"] * n_src),
        "contributors": when(np.arange(n_src) % 3 == 0, "Staff correspondent, in Minsk"),
        "archive_path": cat("sources/", src_ids, ".txt"),
        "sha256": _s([hashlib.sha256(t).hexdigest() for t in texts]),
        "rights": _s(["Synthetic text generated for benchmarks; no rights reserved."] * n_src),
        "notes": _s([""] * n_src),
    }
    comment_start = 9 + 1 + ulen(pc.take(_s(PUBLISHERS), pa.array(np.arange(n_src) % 4))) + 1
    tables["source_furniture"] = {
        "source_id": _interleave(src_ids, src_ids, src_ids),
        "char_start": _interleave(
            num(np.zeros(n_src, np.int64)), num(comment_start), num(tag_start)
        ),
        "char_end": _interleave(
            num(np.full(n_src, 9)),
            num(comment_start + ulen(comments)),
            num(tag_start + len("eurowire")),
        ),
        "excerpt": _interleave(_s(["Home News"] * n_src), comments, _s(["eurowire"] * n_src)),
        "kind": _interleave(
            _s(["breadcrumb"] * n_src), _s(["comment_count"] * n_src), _s(["site_tag"] * n_src)
        ),
    }

    ev_src = pc.take(src_ids, pa.array(src_of))
    occ_s, date_s0 = piece_start[:, 0], piece_start[:, 2]
    empty = _s([""] * n)
    # Per event: an occurrence span, a date span (how the source gives the date) and, for an
    # event with a place, a place span (the occurrence sentence names the place).
    with_place3 = pa.array(np.stack([np.ones(n, bool), np.ones(n, bool), has_place], 1).ravel())
    tables["evidence"] = {
        k: pc.filter(v, with_place3)
        for k, v in {
            "evidence_id": _interleave(
                cat(ev_ids, "-occurrence"), cat(ev_ids, "-date"), cat(ev_ids, "-place")
            ),
            "event_id": _interleave(ev_ids, ev_ids, ev_ids),
            "aspect": _interleave(_s(["occurrence"] * n), _s(["date"] * n), _s(["place"] * n)),
            "statement_id": _interleave(empty, cat(ev_ids, "-date"), cat(ev_ids, "-place")),
            "stance": _interleave(*[_s(["supports"] * n)] * 3),
            "date_basis": _interleave(empty, _s(np.where(resolved, "resolved", "stated")), empty),
            "date_expression": _interleave(empty, expression, empty),
            "date_anchor": _interleave(
                empty, when(resolved, cat("Resolved against the publication date, ", s_iso)), empty
            ),
            "excerpt": _interleave(occ, date_s, occ),
            "source_id": _interleave(ev_src, ev_src, ev_src),
            "char_start": _interleave(num(occ_s), num(date_s0), num(occ_s)),
            "char_end": _interleave(
                num(occ_s + lens[:, 0]), num(date_s0 + lens[:, 2]), num(occ_s + lens[:, 0])
            ),
        }.items()
    }

    q = np.flatnonzero(has_quote)
    qa = pa.array(q)
    said = start[q] + (rng.random(len(q)) * ((end[q] - start[q]).astype(np.int64) + 1)).astype(
        "timedelta64[D]"
    )
    tables["quotes"] = {
        "quote_id": cat("quote-", num(q + lo)),
        "utterance_id": cat("quote-", num(q + lo)),
        "event_id": pc.take(ev_ids, qa),
        "speaker_id": pc.take(actor_ids, pa.array(actor_a[q])),
        "addressee_id": when(
            role_b.to_numpy(zero_copy_only=False)[q] == "addressee",
            pc.take(actor_ids, pa.array(actor_b[q])),
        ),
        "said_on": iso(said),
        "quote_kind": pick(rng, ["full", "fragment"], len(q)),
        "text": pc.take(quote, qa),
        "source_id": pc.take(ev_src, qa),
        "char_start": num(piece_start[q, 4]),
        "char_end": num(piece_start[q, 4] + lens[q, 4]),
    }

    c = np.flatnonzero(has_claim)
    ca = pa.array(c)
    has_period = rng.random(len(c)) < 0.5
    # The claim's excerpt skips the piece's leading space: spans start on a word.
    tables["claims"] = {
        "claim_id": cat("claim-", num(c + lo)),
        "event_id": pc.take(ev_ids, ca),
        "claimant_id": pc.take(actor_ids, pa.array(actor_a[c])),
        "stated_on": iso(start[c]),
        "subject": pc.take(subject, ca),
        "value": num(value[c]),
        "unit": pc.take(unit, ca),
        "comparator": pc.take(comparator, ca),
        "qualifier": pick(rng, ["record", "rising", "record; rising", ""], len(c)),
        "period": when(has_period, _s(start[c].astype("datetime64[Y]").astype(str))),
        "period_expression": when(has_period, "last year"),
        "excerpt": pc.utf8_slice_codeunits(pc.take(claim, ca), 1),
        "source_id": pc.take(ev_src, ca),
        "char_start": num(piece_start[c, 6] + 1),
        "char_end": num(piece_start[c, 6] + lens[c, 6]),
    }

    lk = np.flatnonzero(idx % 2 == 1)
    la_ = pa.array(lk)
    target = (lk + lo - 1 - rng.integers(0, 50, len(lk))) % total
    target = np.where(target == lk + lo, (lk + lo + 1) % total, target)
    relation = pick(rng, RELATIONS, len(lk))
    # An order the dates contradict (the first event begins after the second ended) is invalid:
    # such a link becomes a plain reference. A target in another part (its dates are drawn
    # there) is treated the same way, so every part stands on its own.
    ordered = pc.is_in(relation, value_set=_s(["precedes", "prelude_to"])).to_numpy(
        zero_copy_only=False
    )
    local = (target >= lo) & (target < hi)
    later = np.ones(len(lk), dtype=bool)
    later[local] = start[lk[local]] > end[target[local] - lo]
    relation = pc.if_else(pa.array(ordered & later), "refers_to", relation)
    tables["event_links"] = {
        "from_event_id": pc.take(ev_ids, la_),
        "relation": relation,
        "to_event_id": cat("event-", num(target)),
    }
    tables["link_evidence"] = {
        "evidence_id": cat("link-", num(lk + lo)),
        **tables["event_links"],
        "stance": _s(["supports"] * len(lk)),
        "excerpt": pc.take(occ, la_),
        "source_id": pc.take(ev_src, la_),
        "char_start": num(occ_s[lk]),
        "char_end": num(occ_s[lk] + lens[lk, 0]),
    }
    if lo:  # places, actors and aliases belong to the first part
        for name in ("places", "actors", "actor_aliases"):
            del tables[name]
    return Package(tables, texts, text_names)


def parts(n: int, seed: int) -> Iterator[Package]:
    """The package of ``n`` events in parts of at most ``EVENTS_PER_PART`` events: streamed to
    disk one by one, 10M events need no more memory than 200k."""
    for lo in range(0, n, EVENTS_PER_PART):
        yield generate_part(n, seed, lo, min(n, lo + EVENTS_PER_PART))


def generate(n: int, seed: int) -> Package:
    """All tables and archived texts of a valid package of ``n`` events, in memory (the same
    rows as :func:`parts`, joined)."""
    got = list(parts(n, seed))
    tables = {
        name: {
            col: pa.concat_arrays([p.tables[name][col] for p in got if name in p.tables])
            for col in cols
        }
        for name, cols in got[0].tables.items()
    }
    texts = [t for p in got for t in p.texts]
    return Package(tables, texts, [name for p in got for name in p.text_names])


def _interleave(*arrays: pa.Array) -> pa.Array:
    """Row i of the result is arrays[i % k][i // k]: keeps an event's rows together."""
    k = len(arrays)
    n = len(arrays[0])
    order = np.arange(n * k).reshape(k, n).T.ravel()  # position in concat -> interleaved
    return pc.take(pa.concat_arrays([a.cast(pa.string()) for a in arrays]), pa.array(order))


# -- writing ---------------------------------------------------------------------------------


def _quoted(a: pa.Array) -> pa.Array:
    needs = pc.match_substring_regex(a, '[",\n\r]')
    return pc.if_else(needs, cat('"', pc.replace_substring(a, '"', '""'), '"'), a)


def csv_bytes(columns: Columns, header: bool = True) -> list[pa.Buffer | bytes]:
    """The table as CSV (RFC 4180 quoting where needed, LF line ends), built column-wise."""
    out: list[pa.Buffer | bytes] = [(",".join(columns) + "\n").encode()] if header else []
    n = len(next(iter(columns.values())))
    for lo in range(0, n, CHUNK):
        cols = [_quoted(c.slice(lo, CHUNK)) for c in columns.values()]
        lines = pc.binary_join_element_wise(*cols, ",") if len(cols) > 1 else cols[0]
        m = len(lines)
        joined = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, m], pa.int32()), lines), "\n")
        out.append(joined[0].as_buffer())
        out.append(b"\n")
    return out


def _schema_columns(name: str) -> list[str]:
    d = json.loads((REPO / "schema" / f"{name}.json").read_text(encoding="utf-8"))
    return [f["name"] for f in d["fields"]]


def write(pkg: Package, out: Path) -> None:
    """Write the package (descriptor and schemas copied from the repository)."""
    write_parts([pkg], out, len(pkg.tables["events"]["event_id"]))


def write_parts(packages: Iterable[Package], out: Path, n: int) -> None:
    """Write the parts of a package of ``n`` events one after the other: each table's rows are
    appended part by part (the same bytes as the whole package written at once)."""
    if out.exists():
        shutil.rmtree(out)
    (out / "data").mkdir(parents=True)
    (out / "sources").mkdir()
    shutil.copy2(REPO / "datapackage.json", out / "datapackage.json")
    for name in ("LICENSE", "LICENSE-DATA"):  # every release carries them
        shutil.copy2(REPO / name, out / name)
    shutil.copytree(REPO / "schema", out / "schema")
    # `belarus-timeline build` takes the release notes from the changelog's version section.
    version = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))["version"]
    (out / "CHANGELOG.md").write_text(
        f"# Changelog\n\n## [{version}]\n\nSynthetic benchmark data ({n} events).\n",
        encoding="utf-8",
    )
    started: set[str] = set()
    for pkg in packages:
        for name, columns in pkg.tables.items():
            # Columns in the schema's order, whatever order they were generated in; a column
            # dropped by an injection is left out, one added by an injection comes last.
            schema = _schema_columns(name)
            order = [c for c in schema if c in columns] + [c for c in columns if c not in schema]
            with (out / "data" / f"{name}.csv").open("ab" if name in started else "wb") as fh:
                for chunk in csv_bytes({k: columns[k] for k in order}, name not in started):
                    fh.write(chunk)
            started.add(name)
        for fname, data in zip(pkg.text_names, pkg.texts, strict=True):
            (out / "sources" / fname).write_bytes(data)


# -- injected errors -------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """What a validator must report for an injection (our code; frictionless numbering)."""

    code: str
    file: str
    row: int | None
    field: str | None
    value: str | None


def _set(pkg: Package, table: str, row: int, fld: str, value: str) -> None:
    col = pkg.tables[table][fld]
    i = row - 2
    if not 0 <= i < len(col):
        raise SystemExit(f"--inject: {table} has no data row {row} (rows 2..{len(col) + 1})")
    vals = col.to_numpy(zero_copy_only=False).copy()
    vals[i] = value
    pkg.tables[table][fld] = _s(vals)


def _get(pkg: Package, table: str, row: int, fld: str) -> str:
    return str(pkg.tables[table][fld][row - 2].as_py())


def _cell(table: str, fld: str, value: str | Callable[[Package, int], str], code: str) -> Any:
    def inject(pkg: Package, row: int) -> Expected:
        v = value if isinstance(value, str) else value(pkg, row)
        _set(pkg, table, row, fld, v)
        return Expected(code, f"data/{table}.csv", row, fld, v)

    return inject


def _dup_pk(pkg: Package, row: int) -> Expected:
    # Copy row 2 over ``row``: its key repeats row 2's.
    t = pkg.tables["actors"]
    for fld in t:
        _set(pkg, "actors", row, fld, _get(pkg, "actors", 2, fld))
    return Expected(
        "primary-key", "data/actors.csv", row, "actor_id", _get(pkg, "actors", 2, "actor_id")
    )


def _one_char(pkg: Package, row: int) -> Expected:
    text = _get(pkg, "quotes", row, "text")
    changed = text[:-3] + ("x" if text[-3] != "x" else "y") + text[-2:]
    _set(pkg, "quotes", row, "text", changed)
    return Expected("excerpt-mismatch", "data/quotes.csv", row, "text", None)


def _shift(pkg: Package, row: int) -> Expected:
    for fld in ("char_start", "char_end"):
        _set(pkg, "quotes", row, fld, str(int(_get(pkg, "quotes", row, fld)) + 1))
    return Expected("excerpt-mismatch", "data/quotes.csv", row, "text", None)


def _tamper(pkg: Package, row: int) -> Expected:
    s = row - 2
    pkg.texts[s] = pkg.texts[s].replace(b"Home News", b"Home Newz", 1)
    return Expected("hash-mismatch", "data/sources.csv", row, "sha256", None)


def _drop_column(table: str, fld: str) -> Any:
    def inject(pkg: Package, row: int) -> Expected:
        del pkg.tables[table][fld]
        return Expected("missing-label", f"data/{table}.csv", 1, fld, None)

    return inject


def _add_column(pkg: Package, row: int) -> Expected:
    n = len(pkg.tables["actors"]["actor_id"])
    pkg.tables["actors"]["comment"] = _s(["x"] * n)
    return Expected("extra-label", "data/actors.csv", 1, "comment", "comment")


def _empty(pkg: Package, row: int) -> Expected:
    t = pkg.tables["source_furniture"]
    for k in t:
        t[k] = t[k].slice(0, 0)
    return Expected("empty-table", "data/source_furniture.csv", None, None, None)


def _on_furniture(pkg: Package, row: int) -> Expected:
    for fld, v in (("char_start", "0"), ("char_end", "9"), ("excerpt", "Home News")):
        _set(pkg, "evidence", row, fld, v)
    return Expected("span-on-furniture", "data/evidence.csv", row, "char_start", "0")


def _not_participant(pkg: Package, row: int) -> Expected:
    # An actor of another event, who takes no part in this one.
    event = _get(pkg, "quotes", row, "event_id")
    parts = pkg.tables["participants"]
    mine = set(pc.filter(parts["actor_id"], pc.equal(parts["event_id"], event)).to_pylist())
    actors = pkg.tables["actors"]["actor_id"].to_pylist()
    other = next(a for a in actors if a not in mine)
    _set(pkg, "quotes", row, "speaker_id", other)
    return Expected("not-a-participant", "data/quotes.csv", row, "speaker_id", other)


def _outside(pkg: Package, row: int) -> Expected:
    event = _get(pkg, "quotes", row, "event_id")
    i = int(event.rsplit("-", 1)[1])
    end = np.datetime64(pkg.tables["events"]["end_date"][i].as_py(), "D")
    v = str(end + 1)
    _set(pkg, "quotes", row, "said_on", v)
    return Expected("outside-event", "data/quotes.csv", row, "said_on", v)


def _end_before(pkg: Package, row: int) -> Expected:
    start = np.datetime64(_get(pkg, "events", row, "start_date"), "D")
    v = str(start - 1)
    _set(pkg, "events", row, "end_date", v)
    return Expected("end-before-start", "data/events.csv", row, "end_date", v)


def _edtf(pkg: Package, row: int) -> Expected:
    old = _get(pkg, "events", row, "edtf")
    v = "1999" if not old.startswith("1999") else "1998"
    _set(pkg, "events", row, "edtf", v)
    return Expected("edtf-mismatch", "data/events.csv", row, "edtf", v)


def _month_with_day(pkg: Package, row: int) -> Expected:
    # A one-day event claimed at month precision: its dates do not span the month.
    s = _get(pkg, "events", row, "start_date")
    day = s[:8] + ("15" if s[8:] != "15" else "14")
    for fld in ("start_date", "end_date"):
        _set(pkg, "events", row, fld, day)
    _set(pkg, "events", row, "edtf", day[:7])
    _set(pkg, "events", row, "date_precision", "month")
    return Expected("precision-mismatch", "data/events.csv", row, "date_precision", "month")


def _escape(pkg: Package, row: int) -> Expected:
    pkg.tables["__descriptor__"] = {"escape": _s(["../outside/events.csv"])}
    return Expected("unsafe-path", "datapackage.json", None, "path", "../outside/events.csv")


def _semver(pkg: Package, row: int) -> Expected:
    pkg.tables["__descriptor__"] = {"version": _s(["1.0"])}
    return Expected("metadata-error", "datapackage.json", None, "version", "1.0")


def _latin1(pkg: Package, row: int) -> Expected:
    pkg.tables["__latin1__"] = {"actors": _s([str(row)])}
    return Expected("encoding-error", "data/actors.csv", None, None, None)


def _width(extra: bool) -> Any:
    def inject(pkg: Package, row: int) -> Expected:
        pkg.tables[f"__width__{row}"] = {"participants": _s([f"{row}:{int(extra)}"])}
        # A missing cell is the row's last one (role); a surplus cell has no field.
        code, fld = ("extra-cell", None) if extra else ("missing-cell", "role")
        return Expected(code, "data/participants.csv", row, fld, None)

    return inject


# kind -> function(package, row) -> Expected. Names follow tests/test_validate.py's CORPUS.
INJECTIONS: dict[str, Callable[[Package, int], Expected]] = {
    "malformed-date": _cell("events", "start_date", "16/02/2023", "type-error"),
    "impossible-date": _cell("events", "end_date", "2023-02-30", "type-error"),
    "unpadded-date": _cell("quotes", "said_on", "2023-2-5", "type-error"),
    "end-before-start": _end_before,
    "dangling-foreign-key": _cell("participants", "actor_id", "nobody", "foreign-key"),
    "dangling-self-reference": _cell("places", "within_place_id", "atlantis", "foreign-key"),
    "duplicate-primary-key": _dup_pk,
    "duplicate-unique": _cell("places", "place_id", "belarus", "primary-key"),
    "unknown-vocabulary": _cell("events", "event_type", "riot", "constraint-error"),
    "quote-changed-by-one-character": _one_char,
    "offsets-shifted-by-one": _shift,
    "tampered-archived-text": _tamper,
    "formula-like-cell": _cell("events", "summary", '=HYPERLINK("http://x")', "formula-injection"),
    "non-utf8-file": _latin1,
    "missing-required-column": _drop_column("events", "status"),
    "unexpected-column": _add_column,
    "empty-required-table": _empty,
    "resource-path-escapes": _escape,
    "speaker-not-a-participant": _not_participant,
    "quote-outside-its-event": _outside,
    "edtf-disagrees": _edtf,
    "month-precision-with-a-day": _month_with_day,
    "unknown-time-zone": _cell("events", "timezone", "Europe/Atlantis", "unknown-timezone"),
    "latitude-out-of-range": _cell("places", "latitude", "93.9", "constraint-error"),
    "below-minimum": _cell("evidence", "char_start", "-1", "constraint-error"),
    "not-an-integer": _cell("claims", "char_end", "12.5", "type-error"),
    "not-a-number": _cell("claims", "value", "many", "type-error"),
    "not-a-uri": _cell("sources", "url", "not a uri", "type-error"),
    "bad-pattern": _cell("actors", "country", "RU", "constraint-error"),
    "required-cell-empty": _cell("events", "title", "", "constraint-error"),
    "span-on-furniture": _on_furniture,
    "version-not-semver": _semver,
    "extra-cell": _width(True),
    "missing-cell": _width(False),
}


def _finish_special(pkg: Package, out: Path) -> None:
    """Apply the injections that act on written files rather than on cells."""
    special = {k: pkg.tables.pop(k) for k in list(pkg.tables) if k.startswith("__")}
    if "__descriptor__" in special:
        d = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
        for key, arr in special["__descriptor__"].items():
            if key == "escape":
                events = next(r for r in d["resources"] if r["name"] == "events")
                events["path"] = arr[0].as_py()
            else:
                d[key] = arr[0].as_py()
        (out / "datapackage.json").write_text(json.dumps(d, indent=2), encoding="utf-8")


def _raw_edits(special: dict[str, Columns], out: Path) -> None:
    if "__latin1__" in special:
        row = int(special["__latin1__"]["actors"][0].as_py())
        p = out / "data" / "actors.csv"
        lines = p.read_bytes().split(b"\n")
        lines[row - 1] = lines[row - 1].replace(b"a", "\xe4".encode("latin-1"), 1)
        p.write_bytes(b"\n".join(lines))
    for key in sorted(k for k in special if k.startswith("__width__")):
        row_s, extra = special[key]["participants"][0].as_py().split(":")
        p = out / "data" / "participants.csv"
        lines = p.read_bytes().split(b"\n")
        r = int(row_s) - 1
        lines[r] = lines[r] + b",surplus" if extra == "1" else lines[r].rsplit(b",", 1)[0]
        p.write_bytes(b"\n".join(lines))


def parse_injection(spec: str) -> tuple[str, int]:
    kind, _, row = spec.partition(":")
    if kind not in INJECTIONS:
        raise SystemExit(f"--inject: unknown kind {kind!r}; see --list-kinds")
    return kind, int(row) if row else 2


def build(
    n: int, seed: int, out: Path, injections: list[tuple[str, int]] | None = None
) -> list[dict[str, Any]]:
    """Generate, inject and write a package; returns the injected errors (also written to
    ``injected.json``). Without injections the package is streamed part by part (bounded
    memory); injections need it whole."""
    if not injections:
        write_parts(parts(n, seed), out, n)
        return []
    pkg = generate(n, seed)
    manifest = []
    for kind, row in injections or []:
        exp = INJECTIONS[kind](pkg, row)
        manifest.append({"kind": kind, **exp.__dict__})
    special = {k: pkg.tables[k] for k in pkg.tables if k.startswith("__")}
    write_pkg = Package(
        {k: v for k, v in pkg.tables.items() if not k.startswith("__")}, pkg.texts, pkg.text_names
    )
    write(write_pkg, out)
    _finish_special(pkg, out)
    _raw_edits(special, out)
    if manifest:
        (out / "injected.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=10_000, help="number of events (N)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, default=None, help="output folder (replaced)")
    p.add_argument("--inject", action="append", default=[], metavar="KIND[:ROW]")
    p.add_argument("--list-kinds", action="store_true")
    args = p.parse_args(argv)
    if args.list_kinds:
        print("\n".join(INJECTIONS))
        return 0
    if args.out is None:
        p.error("--out is required")
    t0 = time.perf_counter()
    manifest = build(args.events, args.seed, args.out, [parse_injection(s) for s in args.inject])
    rows = {
        f.stem: sum(1 for _ in f.open("rb")) - 1 for f in sorted((args.out / "data").glob("*.csv"))
    }
    print(
        f"wrote {args.out}: {sum(rows.values())} rows in {len(rows)} tables, "
        f"{len(manifest)} injected error(s), {time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
