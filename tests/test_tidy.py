"""Tidy frames: joined views with plain names, every base row once, in the one row order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import belarus_timeline as bt
from belarus_timeline.release import build_release
from helpers import copy_with_history

TL = bt.load()
FRAMES: dict[str, tuple[Callable[..., pd.DataFrame], str]] = {
    "events": (bt.tidy.events, "events"),
    "participants": (bt.tidy.participants, "participants"),
    "quotes": (bt.tidy.quotes, "quotes"),
    "claims": (bt.tidy.claims, "claims"),
    "event_links": (bt.tidy.event_links, "event_links"),
}


@pytest.mark.parametrize("name", FRAMES)
def test_a_tidy_frame_keeps_its_base_table_and_adds_plainly_named_columns(name: str) -> None:
    make, base = FRAMES[name]
    frame = make(TL)
    assert frame.columns.is_unique
    assert not [c for c in frame.columns if c.endswith(("_x", "_y"))]
    # The base table's columns first, unchanged, row for row and in the same order.
    pd.testing.assert_frame_equal(frame[list(TL[base].columns)], TL[base], check_exact=True)
    pd.testing.assert_frame_equal(make(), frame)  # the default is the bundled data


def test_names_are_the_actors_names() -> None:
    q = bt.tidy.quotes()
    names = TL.actors.set_index("actor_id")["name"]
    assert (q["speaker_name"] == q["speaker_id"].map(names)).all()
    has = q["addressee_id"].notna()
    assert (q.loc[has, "addressee_name"] == q.loc[has, "addressee_id"].map(names)).all()
    assert q.loc[~has, "addressee_name"].isna().all()
    titles = TL.sources.set_index("source_id")["title"]
    assert (q["source_title"] == q["source_id"].map(titles)).all()
    c = bt.tidy.claims()
    assert (c["claimant_name"] == c["claimant_id"].map(names)).all()


def test_event_counts_and_lists_match_the_tables() -> None:
    ev = bt.tidy.events().set_index("event_id")
    for table, column in (
        ("quotes", "n_quotes"),
        ("claims", "n_claims"),
        ("evidence", "n_evidence"),
    ):
        counts = TL[table]["event_id"].value_counts()
        assert (ev[column] == counts.reindex(ev.index, fill_value=0)).all(), column
    links = pd.concat([TL.event_links["from_event_id"], TL.event_links["to_event_id"]])
    assert (ev["n_links"] == links.value_counts().reindex(ev.index, fill_value=0)).all()
    actors = TL.participants.groupby("event_id")["actor_id"].nunique()
    assert (ev["n_participants"] == actors.reindex(ev.index, fill_value=0)).all()
    for eid, row in ev.iterrows():
        ids = sorted(set(TL.participants.loc[TL.participants.event_id == eid, "actor_id"]))
        assert row["participant_ids"] == "; ".join(ids)
        assert row["n_sources"] == len(row["source_ids"].split("; "))
    places = TL.places.set_index("place_id")
    has = ev["place_id"].notna()
    assert (ev.loc[has, "place_name"] == ev.loc[has, "place_id"].map(places["name"])).all()
    assert ev.loc[~has, ["place_name", "latitude"]].isna().all().all()


def test_participants_read_name_and_roles_in_schema_order() -> None:
    ev = bt.tidy.events().set_index("event_id")
    meeting = ev.loc["putin-lukashenko-moscow-meeting", "participants"]
    assert "Alexander Lukashenko (visitor, speaker)" in meeting  # visitor before speaker
    assert "Vladimir Putin (host" in meeting


def test_tidy_frames_of_a_release_equal_those_of_the_bundled_data(tmp_path: Path) -> None:
    built = build_release(copy_with_history(tmp_path / "pkg"), tmp_path / "dist", record=False)
    released = bt.load(path=built.path)
    for make, _ in FRAMES.values():
        pd.testing.assert_frame_equal(make(released), make(TL), check_exact=True)
