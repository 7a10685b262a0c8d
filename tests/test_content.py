"""The curated content: what the report supports, traced span by span.

These checks re-read the archived text themselves (not through the validator), so a validator
bug cannot hide a bad span.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from belarus_timeline.package import DataPackage

ROOT = Path(__file__).resolve().parent.parent


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
    "event_links": "excerpt",
    "evidence": "excerpt",
    "source_furniture": "excerpt",
}


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
    kinds = sorted(r["kind"] for r in rows("source_furniture"))
    assert kinds == [
        "breadcrumb",
        "comment_count",
        "related_headline",
        "related_headline",
        "site_tag",
    ]
    for table in ("quotes", "claims", "event_links", "evidence"):
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


def test_the_required_events_are_there_with_their_dates() -> None:
    events = {e["event_id"]: e for e in rows("events")}
    expected = {
        "russian-full-scale-invasion-of-ukraine": ("2022-02-24", "occurred", "ukraine"),
        "lukashenko-minsk-news-conference": ("2023-02-16", "occurred", "minsk"),
        "putin-lukashenko-moscow-meeting": ("2023-02-17", "occurred", "moscow"),
        "lukashenko-su-25-production-offer": ("2023-02-17", "occurred", "moscow"),
        "tikhanovskaya-munich-security-conference-appeal": ("2023-02-17", "occurred", "munich"),
        "invasion-first-anniversary": ("2023-02-24", "anticipated", ""),
    }
    assert set(events) == set(expected)
    for eid, (date, status, place) in expected.items():
        e = events[eid]
        assert (e["start_date"], e["end_date"], e["status"], e["place_id"]) == (
            date,
            date,
            status,
            place,
        )
        # Every date in this source is resolved from a relative expression, and says from what.
        assert e["date_basis"] == "resolved" and e["date_expression"] and e["date_anchor"]
        text = source_texts()["wapo-2023-02-17-putin-lukashenko-moscow"]
        for fragment in e["date_expression"].split(" … "):
            assert fragment in text, (eid, fragment)


def test_visit_names_both_visitor_and_host() -> None:
    roles = {
        (p["actor_id"], p["role"])
        for p in rows("participants")
        if p["event_id"] == "putin-lukashenko-moscow-meeting"
    }
    assert ("vladimir-putin", "host") in roles
    assert ("alexander-lukashenko", "visitor") in roles


def test_quotes_keep_the_sources_typography() -> None:
    quotes = rows("quotes")
    assert len(quotes) == 17
    for q in quotes:
        assert q["text"].startswith("“") and q["text"].endswith("”"), q["quote_id"]
        assert "'" not in q["text"] and '"' not in q["text"]
    assert any("\u2019" in q["text"] for q in quotes)  # the right single quotation mark
    speakers = {q["speaker_id"] for q in quotes}
    assert speakers == {"vladimir-putin", "alexander-lukashenko", "svetlana-tikhanovskaya"}


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


def test_the_source_url_is_not_invented() -> None:
    (src,) = rows("sources")
    assert src["url"] == ""
    assert src["published"] == "2023-02-17"


def test_every_table_is_a_resource_with_a_schema_and_a_key() -> None:
    pkg = DataPackage(ROOT)
    on_disk = sorted(p.stem for p in (ROOT / "data").glob("*.csv"))
    assert sorted(pkg.table_names) == on_disk
    assert sorted(p.stem for p in (ROOT / "schema").glob("*.json")) == on_disk
    for name in pkg.table_names:
        assert pkg.schema(name).primary_key, name
