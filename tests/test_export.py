"""Exports (TimelineJS, GeoJSON, iCalendar, JSONL), the chart, the page's content, the CLI.

Expected values are read from the CSV tables with the csv module, never from the exporter's own
data structures, so that a wrong join or a wrong date shows up as a failure.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import json
import os
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import icalendar
import pytest

from belarus_timeline import cli
from belarus_timeline.errors import DownloadError, PackageError
from belarus_timeline.outputs.formats import FORMATS, export, run_export
from belarus_timeline.outputs.writeall import write_all
from belarus_timeline.package import DataPackage
from helpers import ROOT, copy_package

EditCsv = Callable[[Path, str, Callable[[list[list[str]]], None]], None]


def rows(table: str, root: Path = ROOT) -> list[dict[str, str]]:
    with (root / "data" / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def by_id(table: str, key: str, root: Path = ROOT) -> dict[str, dict[str, str]]:
    return {r[key]: r for r in rows(table, root)}


def date_order(root: Path = ROOT) -> list[str]:
    evs = rows("events", root)
    return [
        e["event_id"]
        for e in sorted(
            evs, key=lambda e: (e["start_date"], e["end_date"] or e["start_date"], e["event_id"])
        )
    ]


def event_sources(root: Path = ROOT) -> dict[str, list[dict[str, str]]]:
    """The source rows of each event's evidence."""
    sources = by_id("sources", "source_id", root)
    out: dict[str, list[dict[str, str]]] = {}
    for r in rows("evidence", root):
        mine = out.setdefault(r["event_id"], [])
        if sources[r["source_id"]] not in mine:
            mine.append(sources[r["source_id"]])
    return out


def texts(root: Path = ROOT) -> dict[str, str]:
    """Every source's archived text by source id."""
    return {
        s["source_id"]: (root / s["archive_path"]).read_text(encoding="utf-8")
        for s in rows("sources", root)
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("site")
    return {p.relative_to(out).as_posix(): p for p in write_all(ROOT, out)}


def _month_precise(edit_csv: EditCsv, pkg: Path) -> None:
    """Make the Minsk news conference known only to the month: February 2023."""

    def change(table: list[list[str]]) -> None:
        h = table[0]
        for r in table[1:]:
            if r[h.index("event_id")] == "lukashenko-minsk-news-conference":
                r[h.index("start_date")] = "2023-02-01"
                r[h.index("end_date")] = "2023-02-28"
                r[h.index("date_precision")] = "month"
                r[h.index("edtf")] = "2023-02"

    edit_csv(pkg, "events", change)


# --- write_all and determinism -------------------------------------------------------------


def test_write_all_writes_every_file(site: dict[str, Path]) -> None:
    assert sorted(site) == sorted(
        [
            "exports/timeline.json",
            "exports/events.geojson",
            "exports/events.ics",
            "exports/events.jsonl",
            "chart.png",
            "chart.svg",
            "timeline.html",
        ]
    )
    for path in site.values():
        assert path.stat().st_size > 0
    leftovers = [p for p in site["chart.png"].parent.rglob(".*") if p.is_file()]
    assert leftovers == []  # no temporary files left behind


def test_write_all_is_byte_identical_across_processes(
    site: dict[str, Path], tmp_path: Path
) -> None:
    """A fresh interpreter (another hash seed, another process) gives the same bytes."""
    code = (
        "import sys; from pathlib import Path; "
        "from belarus_timeline.outputs.writeall import write_all; "
        "write_all(Path(sys.argv[1]), Path(sys.argv[2]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, str(ROOT), str(tmp_path)], check=True, env=env)
    for rel, path in site.items():
        assert (tmp_path / rel).read_bytes() == path.read_bytes(), rel


def test_outputs_do_not_depend_on_row_order(
    site: dict[str, Path], edit_csv: EditCsv, pkg: Path, tmp_path: Path
) -> None:
    """A release sorts its rows by primary key; the outputs must come out the same."""
    for table in (p.stem for p in (pkg / "data").glob("*.csv")):
        edit_csv(pkg, table, lambda t: t.__setitem__(slice(1, None), t[:0:-1]))
    assert rows("participants", pkg) == rows("participants")[::-1]
    for path in write_all(pkg, tmp_path):
        rel = path.relative_to(tmp_path).as_posix()
        assert path.read_bytes() == site[rel].read_bytes(), rel


def test_release_folder_needs_sources_root(tmp_path: Path) -> None:
    pkg = copy_package(tmp_path / "release")
    archived = pkg / "sources"
    for f in archived.iterdir():
        f.unlink()
    archived.rmdir()
    with pytest.raises(PackageError, match="sources_root"):
        write_all(pkg, tmp_path / "out")
    written = write_all(pkg, tmp_path / "out", sources_root=ROOT)
    assert (tmp_path / "out" / "timeline.html") in written


def test_export_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "events.ics"
    out.write_text("old", encoding="utf-8")

    def fail(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        export("ics", ROOT, out)
    assert out.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.ics"]
    monkeypatch.undo()
    export("ics", ROOT, out)
    assert out.read_text(encoding="utf-8").startswith("BEGIN:VCALENDAR")


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="timelinejs"):
        export("kml", ROOT, tmp_path / "x.kml")


# --- TimelineJS ----------------------------------------------------------------------------


def _parts(day: str, precision: str) -> dict[str, int]:
    """TimelineJS date parts of an ISO day, down to the precision only."""
    d = dt.date.fromisoformat(day)
    parts = {"year": d.year, "month": d.month, "day": d.day}
    keep = {"year": 1, "month": 2, "day": 3}[precision]
    return dict(list(parts.items())[:keep])


def test_timelinejs_structure(site: dict[str, Path]) -> None:
    doc = json.loads(site["exports/timeline.json"].read_text(encoding="utf-8"))
    assert set(doc) >= {"title", "events"}
    assert doc["title"]["text"]["headline"]
    events = by_id("events", "event_id")
    slides = doc["events"]
    assert [s["unique_id"] for s in slides] == date_order()
    quotes: dict[str, list[str]] = {}
    for q in rows("quotes"):
        quotes.setdefault(q["event_id"], []).append(q["text"])
    sources = event_sources()
    for s in slides:
        e = events[s["unique_id"]]
        start = _parts(e["start_date"], e["date_precision"])
        assert s["start_date"] == start
        assert all(isinstance(v, int) for v in s["start_date"].values())
        # An end only when it falls in another period; an open end has none: nothing invented.
        end = _parts(e["end_date"], e["date_precision"]) if e["end_date"] else start
        assert s.get("end_date", start) == end
        assert s["text"]["headline"] == e["title"]
        assert s["group"] == e["event_type"].replace("_", " ")
        if e["event_id"] in quotes:
            assert any(html.escape(q) in s["text"]["text"] for q in quotes[e["event_id"]])
        else:
            assert "<blockquote>" not in s["text"]["text"]
        for source in sources[e["event_id"]]:
            assert source["publisher"] in s["media"]["credit"]
            assert source["title"] in s["media"]["credit"]
    groups = {s["group"] for s in slides}
    assert len(groups) == len({e["event_type"] for e in events.values()})


def test_timelinejs_keeps_month_precision(edit_csv: EditCsv, pkg: Path, tmp_path: Path) -> None:
    _month_precise(edit_csv, pkg)
    doc = json.loads(export("timelinejs", pkg, tmp_path / "t.json").read_text(encoding="utf-8"))
    slide = next(s for s in doc["events"] if s["unique_id"] == "lukashenko-minsk-news-conference")
    assert slide["start_date"] == {"year": 2023, "month": 2}  # no invented day
    assert "end_date" not in slide  # the same month
    assert slide["display_date"] == "February 2023"


# --- GeoJSON -------------------------------------------------------------------------------


def test_geojson_structure_and_lon_lat_order(site: dict[str, Path]) -> None:
    doc = json.loads(site["exports/events.geojson"].read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection"
    assert "crs" not in doc  # RFC 7946: WGS 84 only, no crs member
    events = by_id("events", "event_id")
    places = by_id("places", "place_id")
    feats = doc["features"]
    assert [f["properties"]["event_id"] for f in feats] == date_order()
    nulls = 0
    for f in feats:
        assert f["type"] == "Feature"
        assert set(f) >= {"type", "geometry", "properties"}
        e = events[f["properties"]["event_id"]]
        p = f["properties"]
        assert (p["start_date"], p["end_date"]) == (e["start_date"], e["end_date"] or None)
        assert p["date_precision"] == e["date_precision"]
        assert p["coordinate_note"]
        place = places.get(e["place_id"])
        if place is None or not place["latitude"]:
            assert f["geometry"] is None
            nulls += 1
            continue
        assert f["geometry"]["type"] == "Point"
        lon, lat = f["geometry"]["coordinates"]
        assert (lon, lat) == (float(place["longitude"]), float(place["latitude"]))
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        assert p["coordinate_precision"] == place["coordinate_precision"]
    no_point = {f["id"] for f in feats if f["geometry"] is None}
    # The invasion (Ukraine, a country) and the anniversary (no place) have no point.
    assert {"russian-full-scale-invasion-of-ukraine", "invasion-first-anniversary"} <= no_point
    assert nulls == len(no_point)
    moscow = next(f for f in feats if f["properties"]["place_id"] == "moscow")
    lon, lat = moscow["geometry"]["coordinates"]
    assert 30 < lon < 40 and 50 < lat < 60  # Moscow is at about 37.6 E, 55.8 N: [lon, lat]


# --- iCalendar -----------------------------------------------------------------------------


def test_ics_parses_back_with_right_dates(site: dict[str, Path]) -> None:
    raw = site["exports/events.ics"].read_bytes()
    cal = icalendar.Calendar.from_ical(raw)
    vevents = [c for c in cal.walk() if c.name == "VEVENT"]
    events = by_id("events", "event_id")
    places = by_id("places", "place_id")
    created = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))["created"]
    stamp = dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
    assert [str(v["UID"]) for v in vevents] == [f"{i}@belarus-timeline" for i in date_order()]
    sources = event_sources()
    for v in vevents:
        e = events[str(v["UID"]).removesuffix("@belarus-timeline")]
        start, end = v.decoded("DTSTART"), v.decoded("DTEND")
        assert type(start) is dt.date and type(end) is dt.date  # all-day: dates, not times
        assert start == dt.date.fromisoformat(e["start_date"])
        last = dt.date.fromisoformat(e["end_date"] or e["start_date"])  # an open end: day one
        assert end == last + dt.timedelta(days=1)  # exclusive
        assert v.decoded("DTSTAMP") == stamp
        assert str(v["SUMMARY"]) == e["title"]
        for source in sources[e["event_id"]]:
            assert source["publisher"] in str(v["DESCRIPTION"])
        if e["place_id"]:
            assert places[e["place_id"]]["name"] in str(v["LOCATION"])
        else:
            assert "LOCATION" not in v
    lines = raw.split(b"\r\n")
    assert lines[-1] == b"" and all(b"\n" not in ln for ln in lines)  # CRLF only
    assert max(len(ln) for ln in lines) <= 75  # folded (RFC 5545 3.1)


def test_ics_month_precise_event_spans_the_month(
    edit_csv: EditCsv, pkg: Path, tmp_path: Path
) -> None:
    _month_precise(edit_csv, pkg)
    cal = icalendar.Calendar.from_ical(export("ics", pkg, tmp_path / "e.ics").read_bytes())
    v = next(c for c in cal.walk("VEVENT") if str(c["UID"]).startswith("lukashenko-minsk"))
    assert (v.decoded("DTSTART"), v.decoded("DTEND")) == (dt.date(2023, 2, 1), dt.date(2023, 3, 1))


def test_ics_stamp_comes_from_created_not_the_clock(pkg: Path, tmp_path: Path) -> None:
    descriptor = pkg / "datapackage.json"
    d = json.loads(descriptor.read_text(encoding="utf-8"))
    d["created"] = "2031-05-06T07:08:09Z"
    descriptor.write_text(json.dumps(d), encoding="utf-8")
    text = export("ics", pkg, tmp_path / "a.ics").read_text(encoding="utf-8")
    assert "DTSTAMP:20310506T070809Z" in text
    del d["created"]
    descriptor.write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(PackageError, match="created"):
        export("ics", pkg, tmp_path / "b.ics")


# --- JSONL ---------------------------------------------------------------------------------


def test_jsonl_plover_records(site: dict[str, Path]) -> None:
    lines = site["exports/events.jsonl"].read_text(encoding="utf-8").splitlines()
    recs = [json.loads(line) for line in lines]
    assert [r["id"] for r in recs] == date_order()
    events = by_id("events", "event_id")
    text_of = texts()
    roles: dict[str, dict[str, set[str]]] = {}
    for p in rows("participants"):
        roles.setdefault(p["event_id"], {}).setdefault(p["role"], set()).add(p["actor_id"])
    evidence: dict[str, set[str]] = {}
    for ev in rows("evidence"):
        evidence.setdefault(ev["event_id"], set()).add(ev["evidence_id"])
    for r in recs:
        e = events[r["id"]]
        assert r["category"] == (e["plover_category"] or None)
        assert r["mode"] == (e["plover_mode"] or None)
        assert r["cameo_code"] == (e["cameo_code"] or None)  # a string: "042" keeps its zero
        assert ("future" in r["context"]) == (e["status"] in ("planned", "anticipated"))
        assert {s["evidence_id"] for s in r["text_spans"]} == evidence[r["id"]]
        for s in r["text_spans"]:
            assert text_of[s["source_id"]][s["char_start"] : s["char_end"]] == s["text"]
        src = {a["actor_id"] for a in r["source_actors"]}
        rcp = {a["actor_id"] for a in r["recipient_actors"]}
        assert not src & rcp
        mine = roles.get(r["id"], {})
        if "visitor" in mine:  # PLOVER: in a visit the visitor is source, the host recipient
            assert src == mine["visitor"]
            if "host" in mine:
                assert rcp == mine["host"]
        if "initiator" in mine:
            assert mine["initiator"] <= src and rcp == mine.get("target", set())
        everyone = src | rcp | {a["actor_id"] for a in r["other_actors"]}
        assert everyone == set().union(*mine.values()) if mine else not everyone
    meeting = next(r for r in recs if r["id"] == "putin-lukashenko-moscow-meeting")
    assert meeting["cameo_code"] == "042"
    assert [a["actor_id"] for a in meeting["source_actors"]] == ["alexander-lukashenko"]
    assert [a["actor_id"] for a in meeting["recipient_actors"]] == ["vladimir-putin"]
    invasion = next(r for r in recs if r["id"] == "russian-full-scale-invasion-of-ukraine")
    assert "historical" in invasion["context"]  # a year before the report


# --- chart ---------------------------------------------------------------------------------


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    out, i = [], 8
    while i < len(data):
        (n,) = struct.unpack(">I", data[i : i + 4])
        out.append((data[i + 4 : i + 8], data[i + 8 : i + 8 + n]))
        i += 12 + n
    return out


def test_chart_png_has_no_time_or_version(site: dict[str, Path]) -> None:
    chunks = _png_chunks(site["chart.png"].read_bytes())
    kinds = [k for k, _ in chunks]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND"
    assert b"tIME" not in kinds
    text = b" ".join(body for k, body in chunks if k in (b"tEXt", b"iTXt", b"zTXt"))
    assert b"Software" not in text and b"atplotlib" not in text


def test_chart_svg_content(site: dict[str, Path]) -> None:
    svg = site["chart.svg"].read_text(encoding="utf-8")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg
    texts = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    for e in rows("events"):
        assert e["title"][:30] in texts  # every event labelled
    for p in {e["place_id"] for e in rows("events") if e["place_id"]}:
        assert by_id("places", "place_id")[p]["name"] in texts  # grouped by place
    link = next(r for r in rows("event_links") if r["relation"] == "anniversary_of")
    assert link["relation"].replace("_", " ") in texts  # the anniversary arrow's label


def test_chart_of_many_events_is_built_and_reproducible() -> None:
    import dataclasses

    from belarus_timeline.outputs.chart import MAX_LABELLED_EVENTS, chart_bytes
    from belarus_timeline.outputs.views import build_view

    view = build_view(ROOT)
    many = tuple(
        dataclasses.replace(
            view.events[i % len(view.events)],
            event_id=f"e{i}",
            start=dt.date(2020, 1, 1) + dt.timedelta(days=3 * i),
            end=dt.date(2020, 1, 1) + dt.timedelta(days=3 * i),
            links=(),
        )
        for i in range(MAX_LABELLED_EVENTS * 3)
    )
    big = dataclasses.replace(view, events=many)
    png, svg = chart_bytes(big)
    assert chart_bytes(big) == (png, svg)
    assert hashlib.sha256(png).digest() != hashlib.sha256(chart_bytes(view)[0]).digest()


# --- the page's content (the browser tests are in test_page_browser.py) ---------------------


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.scripts = 0
        self.csp = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.scripts += tag == "script"
        for name in ("src", "href", "action", "data", "poster"):
            if a.get(name):
                self.refs.append(str(a[name]))
        if a.get("http-equiv") == "Content-Security-Policy":
            self.csp = a.get("content") or ""


def _page_json(html: str) -> dict[str, Any]:
    m = re.search(r'<script type="application/json" id="timeline-data">(.*?)</script>', html, re.S)
    assert m
    data: dict[str, Any] = json.loads(m.group(1))
    return data


def test_page_is_self_contained(site: dict[str, Path]) -> None:
    html = site["timeline.html"].read_text(encoding="utf-8")
    refs = _Refs()
    refs.feed(html)
    assert all(r.startswith(("data:", "#")) for r in refs.refs), refs.refs
    assert refs.scripts == 3  # the data block, the JSON-LD metadata and the code, all inline
    assert "default-src 'none'" in refs.csp
    assert not re.search(r"\b(https?:)?//[a-z]", html.split("<script")[0])  # no URL in markup


def test_page_embeds_passages_not_the_source(site: dict[str, Path]) -> None:
    data = _page_json(site["timeline.html"].read_text(encoding="utf-8"))
    text_of = texts()
    evidence = by_id("evidence", "evidence_id")
    embedded = ""
    for ev in data["events"]:
        highlighted: dict[str, str] = {}
        for p in ev["passages"]:
            joined = "".join(seg for seg, _ in p["segments"])
            assert joined == text_of[p["source"]][p["start"] : p["end"]]
            embedded += joined
            for seg, ids in p["segments"]:
                for i in ids:
                    highlighted[i] = highlighted.get(i, "") + seg
        mine = {i: r["excerpt"] for i, r in evidence.items() if r["event_id"] == ev["id"]}
        assert highlighted == mine
    for f in rows("source_furniture"):
        if f["kind"] == "related_headline":
            assert f["excerpt"] not in embedded  # other articles' headlines are not embedded
    assert len(set(embedded)) and len(embedded) < 3 * sum(len(t) for t in text_of.values())


def test_page_escapes_markup_in_the_data(edit_csv: EditCsv, pkg: Path, tmp_path: Path) -> None:
    evil = "</script><script>alert(1)</script><b>x</b>"

    def change(table: list[list[str]]) -> None:
        table[1][table[0].index("title")] = evil

    edit_csv(pkg, "events", change)
    written = write_all(pkg, tmp_path / "out")
    html = (tmp_path / "out" / "timeline.html").read_text(encoding="utf-8")
    refs = _Refs()
    refs.feed(html)
    assert refs.scripts == 3
    assert evil in [e["title"] for e in _page_json(html)["events"]]
    assert written


# --- command line --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_export_default_name(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["export", fmt]) == 0
    version = DataPackage(ROOT).version
    (written,) = list(tmp_path.iterdir())
    assert written.name.startswith(f"belarus-timeline-{version}.")
    assert capsys.readouterr().out.strip() == str(written)


def test_cli_export_out_and_usage(tmp_path: Path) -> None:
    out = tmp_path / "x" / "events.geojson"
    assert cli.main(["export", "geojson", "--out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["type"] == "FeatureCollection"
    # A usage error exits 2 through the CLI's one error boundary (no SystemExit escapes).
    assert cli.main(["export", "kml"]) == 2


def test_cli_export_version(
    pkg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asked: list[str | None] = []

    def fake(version: str | None, root: Any) -> DataPackage:
        if root is not None:  # reading a package folder, as the loader does
            return DataPackage(root)
        asked.append(version)
        if version == "0.0.404":
            raise DownloadError("no release 0.0.404 is published")
        return DataPackage(pkg)

    # where run_export looks `package_for` up (it imports it from belarus_timeline.load)
    monkeypatch.setattr(sys.modules["belarus_timeline.outputs.formats"], "package_for", fake)
    out = run_export("jsonl", "1.0.0", tmp_path)
    assert asked == ["1.0.0"]
    # Named after the version of the package the release holds (here, the fake's).
    assert out == tmp_path / f"belarus-timeline-{DataPackage(pkg).version}.jsonl"
    assert cli.main(["export", "ics", "--version", "0.0.404", "--out", str(tmp_path)]) == 1
    assert "0.0.404" in capsys.readouterr().err


def test_chart_of_many_events_is_a_heat_strip_with_capped_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Above MAX_MARKED_EVENTS the chart counts events per place and time bin (drawing a
    million marks one by one takes minutes); the busiest places keep their rows."""
    from belarus_timeline.outputs import chart
    from belarus_timeline.outputs.views import build_view
    from belarus_timeline.package import bundled_root

    view = build_view(bundled_root())
    monkeypatch.setattr(chart, "MAX_MARKED_EVENTS", 3)
    monkeypatch.setattr(chart, "_MAX_DENSITY_ROWS", 3)
    fig = chart._draw(view)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    counts: dict[str, int] = {}
    for ev in view.events:
        label = ev.place.label if ev.place else "No place named"
        counts[label] = counts.get(label, 0) + 1
    busiest = sorted(counts, key=lambda k: (-counts[k], k))
    assert labels[:2] == [f"{k} ({counts[k]})" for k in busiest[:2]]
    rest = len(view.events) - counts[busiest[0]] - counts[busiest[1]]
    assert labels[-1] == f"{len(counts) - 2} other places ({rest})" and len(labels) == 3
    meshes = [c for ax in fig.axes for c in ax.collections]
    assert meshes and sum(float(m.get_array().sum()) for m in meshes) == len(view.events)
    assert chart.chart_bytes(view) == chart.chart_bytes(view)
