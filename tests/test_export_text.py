"""Exports written straight as text against the same exports built as dicts and serialised by
the generic writers, on the bundled events and on events made tricky: quotes, backslashes,
control characters, non-ASCII and emoji, empty values, missing places and points."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
from typing import Any

import pytest

from belarus_timeline.files import json_bytes
from belarus_timeline.outputs.attribution import evidence_by_event, evidence_of, in_source_order
from belarus_timeline.outputs.chart import _num, _nums
from belarus_timeline.outputs.featuretext import FEATURE_LEVEL, feature_text
from belarus_timeline.outputs.formats import (
    _feature,
    _feature_texts,
    _fold,
    _slide,
    _slide_texts,
    _ymd,
    geojson,
    plover_record,
    render,
    timelinejs,
)
from belarus_timeline.outputs.jsontext import Unknown, item_text
from belarus_timeline.outputs.rows import columns, grouped_pairs, grouped_rows, records
from belarus_timeline.outputs.views import EventView, TimelineView, build_view
from belarus_timeline.package import DataPackage
from helpers import ROOT
from test_export_fast import _fold_per_char

_NASTY = ['say "hi"\\ there', "tab\tnew\nline\r\x00\x1f\x7f", "Лукашенко — «ок» 😀\u2028", ""]


class _F(float):
    """A float of another type: json.dumps writes it; the fast text does not know it."""


@pytest.fixture(scope="module")
def view() -> TimelineView:
    return build_view(ROOT)


def _statement(s: Any, i: int) -> Any:
    text = _NASTY[i % len(_NASTY)]
    return dataclasses.replace(s, label=text, value=text + s.value, rank_reason=text or None)


def _variants(ev: EventView, i: int) -> list[EventView]:
    text = _NASTY[i % len(_NASTY)]
    place = ev.place
    out = [
        dataclasses.replace(ev, title=text + ev.title, end=None, timezone=None),
        dataclasses.replace(ev, summary=text, precision="month", event_type=text + "_a_b"),
        dataclasses.replace(ev, precision="year", end=ev.start, links=(), quotes=()),
        dataclasses.replace(ev, place=None, statements=()),
        dataclasses.replace(
            ev, edtf=text, statements=tuple(_statement(s, i) for s in ev.statements)
        ),
    ]
    if place is not None:
        out += [
            dataclasses.replace(
                ev, place=dataclasses.replace(place, name=text, latitude=None, geonames_id=None)
            ),
            dataclasses.replace(
                ev,
                place=dataclasses.replace(
                    place, longitude=-0.0, latitude=1e-300, wikidata_qid=None, country=text
                ),
            ),
        ]
    return out


def test_feature_text_equals_the_feature_dict_written(view: TimelineView) -> None:
    events = [v for i, ev in enumerate(view.events) for v in (ev, *_variants(ev, i))]
    assert len(events) > 5 * len(view.events)
    for ev in events:
        assert feature_text(ev) == item_text(_feature(ev, view), FEATURE_LEVEL), ev.event_id


def test_a_value_of_another_type_is_written_the_generic_way(view: TimelineView) -> None:
    ev = next(ev for ev in view.events if ev.place is not None and ev.place.has_point)
    assert ev.place is not None and ev.place.latitude is not None
    odd = dataclasses.replace(ev, place=dataclasses.replace(ev.place, latitude=_F(0.5)))
    with pytest.raises(Unknown):
        feature_text(odd)
    strange = dataclasses.replace(view, events=(odd, *view.events))
    expected = [item_text(_feature(e, strange), FEATURE_LEVEL) for e in strange.events]
    assert list(_feature_texts(strange)) == expected


def test_geojson_export_equals_the_dict_dumped(view: TimelineView) -> None:
    assert render("geojson", view) == json_bytes(geojson(view))


def test_slide_text_equals_the_slide_dict_written(view: TimelineView) -> None:
    events = tuple(v for i, ev in enumerate(view.events) for v in (ev, *_variants(ev, i)))
    tricky = dataclasses.replace(view, events=events)
    titles = tricky.titles
    expected = [item_text(_slide(ev, tricky, titles), FEATURE_LEVEL) for ev in events]
    assert list(_slide_texts(tricky)) == expected


def test_timelinejs_export_equals_the_dict_dumped(view: TimelineView) -> None:
    assert render("timelinejs", view) == json_bytes(timelinejs(view))


def test_chart_dates_at_once_equal_date2num_per_date() -> None:
    rng = random.Random(3)
    days = [dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(1969, 12, 31), dt.date(1970, 1, 1)]
    days += [dt.date.fromordinal(rng.randrange(1, 3_652_059)) for _ in range(5000)]
    assert _nums(days).tolist() == [_num(d) for d in days]
    assert _nums([]).tolist() == []


def test_ics_dates_equal_strftime() -> None:
    days = [dt.date(1, 1, 1), dt.date(999, 12, 31), dt.date(1000, 1, 1), dt.date(9999, 12, 31)]
    days += [dt.date(2023, 2, 17), dt.date(1970, 10, 5)]
    assert [_ymd(d) for d in days] == [d.strftime("%Y%m%d") for d in days]


def test_fold_of_ascii_lines_equals_folding_per_character() -> None:
    rng = random.Random(5)
    lines = ["a" * n for n in (0, 18, 19, 74, 75, 76, 148, 149, 150, 223, 224, 1000)]
    lines += ["".join(rng.choice("ab ,;\\") for _ in range(rng.randrange(400))) for _ in range(300)]
    lines += [line + "é" for line in lines[:40]]  # the same lengths, not ASCII
    for line in lines:
        assert _fold(line) == _fold_per_char(line), line


def _evidence_cases() -> list[dict[str, list[Any]]]:
    """The bundled evidence as columns, and made tricky: empty and NaN cells, unsorted spans,
    a table without its optional columns."""
    cols = columns(DataPackage(ROOT), "evidence")
    n = len(cols["event_id"])
    tricky = dict(cols)
    tricky["statement_id"] = ["", float("nan"), None, *cols["statement_id"][3:]]
    tricky["date_basis"] = [float("nan")] * n
    tricky["char_start"] = list(reversed(cols["char_start"]))
    tricky["event_id"] = [cols["event_id"][i % 3] for i in range(n)]
    bare = {k: v for k, v in cols.items() if k not in ("aspect", "date_anchor", "statement_id")}
    return [cols, tricky, bare]


@pytest.mark.parametrize("cols", _evidence_cases())
def test_evidence_from_columns_equals_evidence_from_rows(cols: dict[str, list[Any]]) -> None:
    rows = [dict(zip(cols, row, strict=True)) for row in zip(*cols.values(), strict=True)]
    by_rows = {k: evidence_of(v) for k, v in grouped_rows(rows, "event_id").items()}
    by_cols = {k: in_source_order(v) for k, v in evidence_by_event(cols).items()}
    assert by_cols == by_rows
    assert [type(e.statement_id) for v in by_cols.values() for e in v] == [
        type(e.statement_id) for v in by_rows.values() for e in v
    ]


def test_participants_from_columns_equal_those_from_rows() -> None:
    cols = columns(DataPackage(ROOT), "participants")
    rows = records(DataPackage(ROOT), "participants")
    expected = {
        k: [(str(r["actor_id"]), str(r["role"])) for r in v]
        for k, v in grouped_rows(rows, "event_id").items()
    }
    assert grouped_pairs(cols, "actor_id", "role") == expected


def test_jsonl_with_shared_source_records_equals_records_made_one_by_one(
    view: TimelineView,
) -> None:
    lines = [
        json.dumps(plover_record(ev, view), ensure_ascii=False, separators=(",", ":")) + "\n"
        for ev in view.events
    ]
    assert render("jsonl", view) == "".join(lines).encode("utf-8")
