"""The curated content: what the seed report supports, traced span by span.

These checks re-read the archived texts themselves (not through the validator), so a validator
bug cannot hide a bad span. They assert the facts of the seed source (The Washington Post, 17
February 2023) and invariants of every record, never totals, versions or row positions: a
maintainer who adds a source adds rows, and these tests must still pass.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from belarus_timeline.package import DataPackage

ROOT = Path(__file__).resolve().parent.parent
SEED = "wapo-2023-02-17-putin-lukashenko-moscow"


def rows(table: str) -> list[dict[str, str]]:
    with (ROOT / "data" / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def source_texts() -> dict[str, str]:
    out = {}
    for s in rows("sources"):
        data = (ROOT / s["archive_path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == s["sha256"], s["archive_path"]
        out[s["source_id"]] = data.decode("utf-8")
    return out


SPAN_COLUMNS = {
    "quotes": "text",
    "claims": "excerpt",
    "link_evidence": "excerpt",
    "evidence": "excerpt",
    "source_furniture": "excerpt",
}

# The seed's events: (date, status, place) as the report gives them.
SEED_EVENTS = {
    "russian-full-scale-invasion-of-ukraine": ("2022-02-24", "occurred", "ukraine"),
    "lukashenko-minsk-news-conference": ("2023-02-16", "occurred", "minsk"),
    "putin-lukashenko-moscow-meeting": ("2023-02-17", "occurred", "moscow"),
    "lukashenko-su-25-production-offer": ("2023-02-17", "occurred", "moscow"),
    "tikhanovskaya-munich-security-conference-appeal": ("2023-02-17", "occurred", "munich"),
    "invasion-first-anniversary": ("2023-02-24", "anticipated", ""),
}


def test_every_table_with_spans_is_checked() -> None:
    for r in DataPackage(ROOT).resources:
        fields = json.loads((ROOT / r.descriptor["schema"]).read_text(encoding="utf-8"))["fields"]
        if any(f["name"] == "char_start" for f in fields):
            assert r.name in SPAN_COLUMNS, r.name


@pytest.mark.parametrize("table", sorted(SPAN_COLUMNS))
def test_every_span_matches_the_archived_text_character_for_character(table: str) -> None:
    texts = source_texts()
    for r in rows(table):
        text = texts[r["source_id"]]
        start, end = int(r["char_start"]), int(r["char_end"])
        assert text[start:end] == r[SPAN_COLUMNS[table]], (table, r)


def test_no_record_rests_on_page_furniture() -> None:
    furniture = {
        (r["source_id"], int(r["char_start"]), int(r["char_end"])) for r in rows("source_furniture")
    }
    kinds = sorted(r["kind"] for r in rows("source_furniture") if r["source_id"] == SEED)
    assert kinds == [
        "breadcrumb",
        "comment_count",
        "related_headline",
        "related_headline",
        "site_tag",
    ]
    for table in ("quotes", "claims", "link_evidence", "evidence"):
        for r in rows(table):
            s, e = int(r["char_start"]), int(r["char_end"])
            for sid, fs, fe in furniture:
                assert not (r["source_id"] == sid and s < fe and e > fs), (table, r)
    # The furniture's words appear in no text field of any record either.
    everything = " ".join(
        " ".join(r.values()) for t in ("events", "quotes", "claims") for r in rows(t)
    )
    for phrase in ("Home News", "historic exodus", "washingtonpost"):
        assert phrase not in everything


def test_the_seed_events_are_there_with_their_dates_and_places() -> None:
    """The seed report gives each of its events a date and (but one) a place: values it
    supports, whichever value later sources make preferred."""
    events = {e["event_id"]: e for e in rows("events")}
    assert set(SEED_EVENTS) <= set(events)
    statements = {s["statement_id"]: s for s in rows("statements")}
    given: dict[tuple[str, str], set[str]] = {}
    for r in rows("evidence"):
        if r["source_id"] == SEED and r["statement_id"] and r["stance"] == "supports":
            st = statements[r["statement_id"]]
            value = st["edtf"] if st["property"] == "date" else st["place_id"]
            given.setdefault((st["event_id"], st["property"]), set()).add(value)
    for eid, (date, status, place) in SEED_EVENTS.items():
        assert events[eid]["status"] == status, eid
        assert given[(eid, "date")] == {date}, eid
        assert given.get((eid, "place"), {""}) == {place}, eid


def test_every_preferred_value_rests_on_a_span_of_a_source_that_gives_it() -> None:
    """An event's date and place are its preferred statements' values, and each has a span
    that supports it; the seed's dates are resolved from the report's own words."""
    texts = source_texts()
    statements = {s["statement_id"]: s for s in rows("statements")}
    evidence = rows("evidence")
    for e in rows("events"):
        preferred = {
            s["property"]: s
            for s in statements.values()
            if s["event_id"] == e["event_id"] and s["rank"] == "preferred"
        }
        assert preferred["date"]["edtf"] == e["edtf"], e["event_id"]
        assert preferred.get("place", {}).get("place_id", "") == e["place_id"], e["event_id"]
        for prop, st in preferred.items():
            spans = [
                r
                for r in evidence
                if r["statement_id"] == st["statement_id"] and r["stance"] != "contradicts"
            ]
            assert spans, (e["event_id"], prop)
            for r in spans:
                assert r["event_id"] == e["event_id"] and r["aspect"] == prop
                text = texts[r["source_id"]]
                assert text[int(r["char_start"]) : int(r["char_end"])] == r["excerpt"]
    for eid in SEED_EVENTS:
        dated = [
            r
            for r in evidence
            if r["event_id"] == eid and r["aspect"] == "date" and r["source_id"] == SEED
        ]
        assert dated, eid
        for r in dated:
            # Every date in this source is resolved from a relative expression, and says from
            # what and against what, in words found in the span itself.
            assert r["date_basis"] == "resolved" and r["date_expression"] and r["date_anchor"]
            for fragment in r["date_expression"].split(" … "):
                assert fragment in r["excerpt"], (eid, fragment)


def test_visit_names_both_visitor_and_host() -> None:
    roles = {
        (p["actor_id"], p["role"])
        for p in rows("participants")
        if p["event_id"] == "putin-lukashenko-moscow-meeting"
    }
    assert ("vladimir-putin", "host") in roles
    assert ("alexander-lukashenko", "visitor") in roles


SEED_QUOTES = {
    "putin-watched-news-conference": "vladimir-putin",
    "lukashenko-better-if-you-didnt-watch": "alexander-lukashenko",
    "lukashenko-as-if-i-could-not-agree": "alexander-lukashenko",
    "lukashenko-ready-to-fight-only-if": "alexander-lukashenko",
    "tikhanovskaya-belarus-shouldnt-be-overlooked": "svetlana-tikhanovskaya",
    "tikhanovskaya-war-not-over-until-free": "svetlana-tikhanovskaya",
}


def test_quotes_keep_the_sources_typography() -> None:
    quotes = {q["quote_id"]: q for q in rows("quotes")}
    for qid, speaker in SEED_QUOTES.items():
        assert quotes[qid]["speaker_id"] == speaker and quotes[qid]["source_id"] == SEED
    seed = [q for q in quotes.values() if q["source_id"] == SEED]
    for q in seed:
        assert q["text"].startswith("“") and q["text"].endswith("”"), q["quote_id"]
        assert "'" not in q["text"] and '"' not in q["text"]
    assert any("\u2019" in q["text"] for q in seed)  # the right single quotation mark


def test_renderings_of_one_utterance_agree_on_who_said_it_when() -> None:
    groups: dict[str, list[dict[str, str]]] = {}
    for q in rows("quotes"):
        groups.setdefault(q["utterance_id"], []).append(q)
    for uid, group in groups.items():
        said = {(q["event_id"], q["speaker_id"], q["said_on"]) for q in group}
        assert len(said) == 1, uid
    # The seed renders each utterance once.
    assert all(groups[q][0]["quote_id"] == q for q in SEED_QUOTES)


def test_the_named_claims() -> None:
    claims = {c["claim_id"]: c for c in rows("claims")}
    trade = claims["putin-bilateral-trade-record-2022"]
    assert (trade["value"], trade["unit"], trade["comparator"], trade["period"]) == (
        "43000000000",
        "USD",
        "more_than",
        "2022",
    )
    assert "record" in trade["qualifier"]
    fulfilled = claims["lukashenko-defense-agreements-fulfilled"]
    assert (fulfilled["value"], fulfilled["unit"], fulfilled["claimant_id"]) == (
        "100",
        "percent",
        "alexander-lukashenko",
    )


def test_links_the_anniversary_to_the_invasion_and_the_exchange_to_the_news_conference() -> None:
    links = {(r["from_event_id"], r["relation"], r["to_event_id"]) for r in rows("event_links")}
    assert (
        "invasion-first-anniversary",
        "anniversary_of",
        "russian-full-scale-invasion-of-ukraine",
    ) in links
    assert (
        "putin-lukashenko-moscow-meeting",
        "refers_to",
        "lukashenko-minsk-news-conference",
    ) in links
    backed = {
        (r["from_event_id"], r["relation"], r["to_event_id"])
        for r in rows("link_evidence")
        if r["stance"] != "contradicts"
    }
    assert links <= backed  # every link rests on at least one span that supports it


def test_the_seed_url_is_not_invented() -> None:
    src = {s["source_id"]: s for s in rows("sources")}[SEED]
    assert src["url"] == ""
    assert src["published"] == "2023-02-17"


def test_every_table_is_a_resource_with_a_schema_and_a_key() -> None:
    pkg = DataPackage(ROOT)
    on_disk = sorted(p.stem for p in (ROOT / "data").glob("*.csv"))
    assert sorted(pkg.table_names) == on_disk
    assert sorted(p.stem for p in (ROOT / "schema").glob("*.json")) == on_disk
    for name in pkg.table_names:
        assert pkg.schema(name).primary_key, name
