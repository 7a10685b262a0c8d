"""Growing by data alone: a second source added to a copy of the repository with the curation
commands, as the README's "Adding a source" says, then validate, an offline build of the next
MINOR version, diff, the exports, the page and ``load()``.

The second source is tests/fixtures/second-source.txt: a text written for these tests and
labelled so in the text itself (only the seed article is archived in the repository). It
corroborates the Moscow meeting and its date, contradicts its place ("a residence near
Moscow"), renders one of Lukashenko's words differently ("How could I not agree?"), supports an
existing event link, and announces an event with no known day (a planned visit to Poland
"later this month": 2023-02-XX).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import belarus_timeline as bt
from belarus_timeline import cli
from belarus_timeline.outputs.docs import render_descriptor
from belarus_timeline.package import DataPackage
from belarus_timeline.semver import Version
from helpers import ROOT, copy_package

FIXTURE = ROOT / "tests" / "fixtures" / "second-source.txt"
SID = "fixture-wire-2023-02-17"
MEETING = "putin-lukashenko-moscow-meeting"
VISIT = "fixture-biden-poland-visit"  # ids of the fixture's own rows start with "fixture-"
NEAR = "fixture-residence-near-moscow"
VERSION = DataPackage(ROOT).version
NEXT = str(Version.parse(VERSION).bump_minor())


def run(*args: str) -> tuple[int, str]:
    """The command line, as a maintainer runs it: (exit code, stdout)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main(list(args))
    return code, out.getvalue()


def span(pkg: Path, words: str) -> dict[str, str]:
    """The span of ``words`` in the second source, found with ``belarus-timeline locate``."""
    code, out = run("locate", SID, words, "--root", str(pkg), "--json")
    assert code == 0, out
    (match,) = json.loads(out)["matches"]
    return {
        "source_id": SID,
        "char_start": str(match["char_start"]),
        "char_end": str(match["char_end"]),
        "excerpt": match["text"],
    }


def append(pkg: Path, table: str, **cells: str) -> None:
    """Append a row as a maintainer would, cells by column name (the others empty)."""
    path = pkg / "data" / f"{table}.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    assert set(cells) <= set(header), set(cells) - set(header)
    with path.open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow([cells.get(h, "") for h in header])


def ensure(pkg: Path, table: str, **cells: str) -> None:
    """Append a row unless the table has one with its key (the data may have grown)."""
    key = next(iter(cells))
    with (pkg / "data" / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        if any(r[key] == cells[key] for r in csv.DictReader(fh)):
            return
    append(pkg, table, **cells)


def edit(pkg: Path, table: str, key: tuple[str, str], **cells: str) -> None:
    path = pkg / "data" / f"{table}.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    (row,) = [r for r in rows if r[key[0]] == key[1]]
    row.update(cells)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def add_the_second_source(pkg: Path) -> None:
    code, out = run(
        "add-source",
        str(FIXTURE),
        "--id",
        SID,
        "--title",
        "Lukashenko visits Putin outside Moscow",
        "--publisher",
        "Fixture Wire",
        "--published",
        "2023-02-17",
        "--root",
        str(pkg),
    )
    assert code == 0 and "belarus-timeline locate" in out, out
    met = span(pkg, "Vladimir Putin received Alexander Lukashenko on Friday")
    near = span(pkg, "at a residence near Moscow")
    # Corroboration: the meeting happened, on Friday (resolved against the dateline).
    append(
        pkg,
        "evidence",
        evidence_id="wire-meeting",
        event_id=MEETING,
        aspect="occurrence",
        stance="supports",
        **met,
    )
    append(
        pkg,
        "evidence",
        evidence_id="wire-meeting-date",
        event_id=MEETING,
        aspect="date",
        statement_id=f"{MEETING}-date",
        stance="supports",
        date_basis="resolved",
        date_expression="on Friday",
        date_anchor="The Friday of the dateline, Feb. 17: 2023-02-17",
        **met,
    )
    # Contradiction: not in Moscow but near it, an alternative value of the meeting's place.
    append(
        pkg,
        "places",
        place_id=NEAR,
        name="a residence near Moscow",
        kind="venue",
        country="RUS",
        coordinate_precision="none",
        within_place_id="russia",
    )
    append(
        pkg,
        "statements",
        statement_id=f"{MEETING}-place-near-moscow",
        event_id=MEETING,
        property="place",
        place_id=NEAR,
        rank="normal",
    )
    edit(
        pkg,
        "statements",
        ("statement_id", f"{MEETING}-place"),
        rank_reason="The Washington "
        "Post names Moscow; the Fixture Wire's residence near Moscow is kept as an alternative.",
    )
    append(
        pkg,
        "evidence",
        evidence_id="wire-near-moscow",
        event_id=MEETING,
        aspect="place",
        statement_id=f"{MEETING}-place-near-moscow",
        stance="supports",
        **near,
    )
    append(
        pkg,
        "evidence",
        evidence_id="wire-not-in-moscow",
        event_id=MEETING,
        aspect="place",
        statement_id=f"{MEETING}-place",
        stance="contradicts",
        **near,
    )
    # A second rendering of one utterance, in another translation.
    words = span(pkg, '"How could I not agree?"')
    append(
        pkg,
        "quotes",
        quote_id="lukashenko-how-could-i-not-agree",
        utterance_id="lukashenko-as-if-i-could-not-agree",
        event_id=MEETING,
        speaker_id="alexander-lukashenko",
        said_on="2023-02-17",
        quote_kind="full",
        text=words.pop("excerpt"),
        **words,
    )
    # A second source for an existing link.
    append(
        pkg,
        "link_evidence",
        evidence_id="wire-news-conference-before-the-trip",
        from_event_id="lukashenko-minsk-news-conference",
        relation="prelude_to",
        to_event_id=MEETING,
        stance="supports",
        **span(pkg, "Earlier, on Thursday, Lukashenko had told reporters in Minsk"),
    )
    add_a_planned_event_without_a_day(pkg)


def add_a_planned_event_without_a_day(pkg: Path) -> None:
    due = span(pkg, "U.S. President Joe Biden is due to visit Poland later this month.")
    ensure(
        pkg,
        "places",
        place_id="poland",
        name="Poland",
        kind="country",
        country="POL",
        coordinate_precision="none",
    )
    ensure(
        pkg,
        "actors",
        actor_id="joe-biden",
        name="Joe Biden",
        kind="person",
        country="USA",
        role="U.S. President",
    )
    append(
        pkg,
        "events",
        event_id=VISIT,
        title="Biden to visit Poland",
        summary="U.S. President Joe Biden is due to visit Poland later in the month.",
        event_type="bilateral_meeting",
        start_date="2023-02-01",
        end_date="2023-02-28",
        date_precision="month",
        edtf="2023-02-XX",
        timezone="Europe/Warsaw",
        place_id="poland",
        status="planned",
    )
    append(pkg, "participants", event_id=VISIT, actor_id="joe-biden", role="visitor")
    append(
        pkg,
        "statements",
        statement_id=f"{VISIT}-date",
        event_id=VISIT,
        property="date",
        edtf="2023-02-XX",
        rank="preferred",
    )
    append(
        pkg,
        "statements",
        statement_id=f"{VISIT}-place",
        event_id=VISIT,
        property="place",
        place_id="poland",
        rank="preferred",
    )
    append(
        pkg,
        "evidence",
        evidence_id="wire-biden-due",
        event_id=VISIT,
        aspect="occurrence",
        stance="supports",
        **due,
    )
    append(
        pkg,
        "evidence",
        evidence_id="wire-biden-when",
        event_id=VISIT,
        aspect="date",
        statement_id=f"{VISIT}-date",
        stance="supports",
        date_basis="resolved",
        date_expression="later this month",
        date_anchor="The month of the dateline, February 2023; the day is not given",
        **due,
    )
    # Entered with wrong offsets on purpose: `validate --fix-offsets` puts them right.
    wrong = {**due, "char_start": "0", "char_end": str(len(due["excerpt"]))}
    append(
        pkg,
        "evidence",
        evidence_id="wire-biden-where",
        event_id=VISIT,
        aspect="place",
        statement_id=f"{VISIT}-place",
        stance="supports",
        **wrong,
    )


def release_the_next_minor(pkg: Path) -> None:
    d = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    d["version"] = NEXT
    (pkg / "datapackage.json").write_text(json.dumps(d, indent=2, ensure_ascii=False) + "\n")
    log = pkg / "CHANGELOG.md"
    section = f"## [{NEXT}] - 2026-12-01\n\nA second source (a test fixture).\n\n"
    log.write_text(log.read_text(encoding="utf-8").replace("## [", section + "## [", 1))
    (pkg / "datapackage.json").write_bytes(render_descriptor(pkg))  # `make docs`


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A copy of the repository grown by the second source, validated and released offline."""
    base = tmp_path_factory.mktemp("grown")
    pkg = copy_package(base / "pkg")
    shutil.copytree(ROOT / "releases", pkg / "releases")  # a fresh clone has them; no dist/
    add_the_second_source(pkg)
    fixed = run("validate", str(pkg), "--fix-offsets")
    release_the_next_minor(pkg)
    with pytest.MonkeyPatch.context() as mp:

        def no_network(*args: object, **kw: object) -> None:
            raise AssertionError("the offline build tried to download")

        mp.setattr(cli, "download", no_network)
        mp.setattr(bt.downloader, "download", no_network)
        validated = run("validate", str(pkg))
        built = run("build", "--root", str(pkg), "--dist", str(base / "dist"), "--json")
        diffed = run(
            "diff",
            VERSION,
            NEXT,
            "--dist",
            str(base / "dist"),
            "--registry",
            str(pkg / "releases"),
            "--json",
        )
    yield {"pkg": pkg, "fixed": fixed, "validated": validated, "built": built, "diffed": diffed}


def test_fix_offsets_repairs_the_span_entered_wrongly(grown: dict[str, Any]) -> None:
    code, out = grown["fixed"]
    assert re.search(r"^fixed data/evidence\.csv:\d+ \(wire-biden-where\)", out, re.M), out
    assert code == 0, out  # nothing else was wrong


def test_the_grown_package_validates(grown: dict[str, Any]) -> None:
    code, out = grown["validated"]
    assert code == 0 and out.startswith("VALID"), out


def test_the_next_minor_builds_offline_and_its_diff_says_minor(grown: dict[str, Any]) -> None:
    code, out = grown["built"]
    assert code == 0, out
    built = json.loads(out)
    assert built["version"] == NEXT and built["required_bump"] == "minor"
    code, out = grown["diffed"]
    assert code == 0, out
    diff = json.loads(out)
    assert (diff["from"], diff["to"], diff["required_bump"]) == (VERSION, NEXT, "minor")
    added = {name: t["added"] for name, t in diff["tables"].items() if t["added"]}
    for table in ("sources", "evidence", "statements", "quotes", "link_evidence", "events"):
        assert added.get(table), table
    changed = [c["key"] for c in diff["tables"]["statements"]["rows_changed"]]
    assert changed == [{"statement_id": f"{MEETING}-place"}]  # its reason, now it has a rival


def _release(grown: dict[str, Any]) -> Path:
    return Path(json.loads(grown["built"][1])["path"])


def test_the_page_shows_disagreement_corroboration_and_renderings(grown: dict[str, Any]) -> None:
    html = (_release(grown) / "timeline.html").read_text(encoding="utf-8")
    m = re.search(r'<script type="application/json" id="timeline-data">(.*?)</script>', html, re.S)
    assert m
    events = {e["id"]: e for e in json.loads(m.group(1))["events"]}
    meeting = events[MEETING]
    disputed = meeting["disputed"]["place"]  # preferred first, each with who gives it
    assert disputed.startswith("Moscow, Russia (The Washington Post")
    assert "contradicted by Fixture Wire" in disputed.split(" · ")[0]
    assert " · a residence near Moscow, Russia (Fixture Wire)" in disputed
    assert {"Fixture Wire", "The Washington Post"} <= set(meeting["sources"])
    (group,) = [g for g in meeting["quotes"] if g[0]["id"] == "lukashenko-as-if-i-could-not-agree"]
    assert "lukashenko-how-could-i-not-agree" in [q["id"] for q in group[1:]]
    assert {"Fixture Wire", "The Washington Post"} <= {r[0] for r in meeting["derivations"]}
    visit = events[VISIT]
    assert (visit["date"], visit["status"], visit["edtf"]) == (
        "a day in February 2023",
        "planned",
        "2023-02-XX",
    )


def test_the_exports_show_them_too(grown: dict[str, Any]) -> None:
    release = _release(grown)
    records = {
        r["id"]: r
        for r in map(json.loads, (release / "exports/events.jsonl").read_text().splitlines())
    }
    meeting = records[MEETING]
    assert meeting["source_count"] >= 2 and SID in {s["source_id"] for s in meeting["sources"]}
    places = {s["value"]: s for s in meeting["statements"] if s["property"] == "place"}
    assert places["moscow"]["rank"] == "preferred"
    assert SID in places["moscow"]["contradicted_by"]
    assert places[NEAR]["sources"] == [SID]
    (group,) = [g for g in meeting["utterances"] if g[0] == "lukashenko-as-if-i-could-not-agree"]
    assert "lukashenko-how-could-i-not-agree" in group
    assert "future" in records[VISIT]["context"] and records[VISIT]["date_precision"] == "month"
    slides = {
        s["unique_id"]: s
        for s in json.loads((release / "exports/timeline.json").read_text())["events"]
    }
    assert re.search(r"Reported by \d+ sources: [^<]*Fixture Wire", slides[MEETING]["text"]["text"])
    assert "a residence near Moscow" in slides[MEETING]["text"]["text"]
    assert slides[VISIT]["start_date"] == {"year": 2023, "month": 2}  # no invented day
    ics = (release / "exports/events.ics").read_text()
    visit = ics[ics.index(f"UID:{VISIT}@") :].split("END:VEVENT")[0]
    assert "DTSTART;VALUE=DATE:20230201" in visit and "DTEND;VALUE=DATE:20230301" in visit
    assert "STATUS:TENTATIVE" in visit
    feature = next(
        f
        for f in json.loads((release / "exports/events.geojson").read_text())["features"]
        if f["id"] == MEETING
    )
    assert feature["properties"]["disputed"] == ["place"]


def test_load_reads_the_grown_release(grown: dict[str, Any]) -> None:
    tl = bt.load(root=_release(grown))
    assert tl.version == NEXT
    visit = tl.events.set_index("event_id").loc[VISIT]
    assert visit["status"] == "planned" and visit["edtf"] == "2023-02-XX"
    renderings = tl.quotes[tl.quotes["utterance_id"] == "lukashenko-as-if-i-could-not-agree"]
    assert {"wapo-2023-02-17-putin-lukashenko-moscow", SID} <= set(renderings["source_id"])
    assert (_release(grown) / "chart.png").stat().st_size > 0


def test_the_descriptor_names_both_sources(grown: dict[str, Any]) -> None:
    d = json.loads((grown["pkg"] / "datapackage.json").read_text(encoding="utf-8"))
    assert {"Fixture Wire", "The Washington Post"} <= {s["publisher"] for s in d["sources"]}
    n = len(d["sources"])
    assert f"draws on {n} sources (" in d["description"]
    assert "Fixture Wire, 17 February 2023" in d["description"]
    assert "Poland" in d["description"] and "POL" in d["spatialCoverage"]
