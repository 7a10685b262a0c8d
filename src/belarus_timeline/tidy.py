"""Tidy frames: the tables joined the way pandas users ask for them, with plain column names.

Each function takes a :class:`~belarus_timeline.load.Timeline` (default: ``load()``, the
bundled data) and returns a new DataFrame; the rows are those of the base table, in the
project's one row order (primary key). Joined columns get a prefix naming where they come from
(``place_name``, ``speaker_name``, ``actor_kind``), so no join leaves ``_x``/``_y`` columns, and
a join never adds or drops a row (each is checked many-to-one).

>>> import belarus_timeline as bt
>>> ev = bt.tidy.events()            # one row per event, with its place and counts
>>> ev[["event_id", "start_date", "place_name", "n_quotes", "participants"]]
>>> q = bt.tidy.quotes(bt.load(version="1.0.0"))   # quotes with speaker and addressee names
>>> q.groupby("speaker_name").size()
>>> p = bt.tidy.participants()       # one row per event, actor and role, with the actor's name
>>> p.pivot_table(index="actor_name", columns="role", values="event_id", aggfunc="count")
"""

from __future__ import annotations

import pandas as pd

from belarus_timeline.load import Timeline, load

__all__ = ["claims", "event_links", "events", "participants", "quotes"]


def _tl(tl: Timeline | None) -> Timeline:
    return tl if tl is not None else load()


def _join(left: pd.DataFrame, right: pd.DataFrame, on: str) -> pd.DataFrame:
    """A left join that keeps every left row once and refuses overlapping column names."""
    overlap = (set(left.columns) & set(right.columns)) - {on}
    if overlap:
        raise ValueError(f"columns {sorted(overlap)} would collide; prefix them first")
    return left.merge(right, on=on, how="left", validate="many_to_one")


def _prefixed(frame: pd.DataFrame, key: str, columns: dict[str, str], new_key: str) -> pd.DataFrame:
    """``frame[[key, *columns]]`` renamed: ``key`` to ``new_key``, the others by ``columns``."""
    return frame[[key, *columns]].rename(columns={key: new_key, **columns})


def _names(tl: Timeline, key: str, prefix: str) -> pd.DataFrame:
    return _prefixed(tl.actors, "actor_id", {"name": f"{prefix}_name"}, key)


def _event_titles(tl: Timeline, key: str = "event_id", prefix: str = "event") -> pd.DataFrame:
    cols = {"title": f"{prefix}_title", "start_date": f"{prefix}_start_date"}
    return _prefixed(tl.events, "event_id", cols, key)


def _source_titles(tl: Timeline) -> pd.DataFrame:
    return _prefixed(tl.sources, "source_id", {"title": "source_title"}, "source_id")


def participants(tl: Timeline | None = None) -> pd.DataFrame:
    """One row per event, actor and role: ``participants`` with ``event_title``,
    ``event_start_date``, and the actor's ``actor_name``, ``actor_kind``, ``actor_country`` and
    ``actor_title`` (the actor's role or title at the time, ``actors.role``)."""
    tl = _tl(tl)
    actors = _prefixed(
        tl.actors,
        "actor_id",
        {
            "name": "actor_name",
            "kind": "actor_kind",
            "country": "actor_country",
            "role": "actor_title",
        },
        "actor_id",
    )
    return _join(_join(tl.participants, _event_titles(tl), "event_id"), actors, "actor_id")


def quotes(tl: Timeline | None = None) -> pd.DataFrame:
    """One row per quote: ``quotes`` with ``event_title``, ``event_start_date``,
    ``speaker_name``, ``addressee_name`` (missing when the source names nobody) and
    ``source_title``."""
    tl = _tl(tl)
    out = _join(tl.quotes, _event_titles(tl), "event_id")
    out = _join(out, _names(tl, "speaker_id", "speaker"), "speaker_id")
    out = _join(out, _names(tl, "addressee_id", "addressee"), "addressee_id")
    return _join(out, _source_titles(tl), "source_id")


def claims(tl: Timeline | None = None) -> pd.DataFrame:
    """One row per claim: ``claims`` with ``event_title``, ``event_start_date``,
    ``claimant_name`` and ``source_title``."""
    tl = _tl(tl)
    out = _join(tl.claims, _event_titles(tl), "event_id")
    out = _join(out, _names(tl, "claimant_id", "claimant"), "claimant_id")
    return _join(out, _source_titles(tl), "source_id")


def event_links(tl: Timeline | None = None) -> pd.DataFrame:
    """One row per link: ``event_links`` with ``from_title``, ``from_start_date``, ``to_title``
    and ``to_start_date``."""
    tl = _tl(tl)
    out = _join(tl.event_links, _event_titles(tl, "from_event_id", "from"), "from_event_id")
    return _join(out, _event_titles(tl, "to_event_id", "to"), "to_event_id")


def _per_event(frame: pd.DataFrame, name: str, column: str = "event_id") -> pd.Series:
    return frame.groupby(column, observed=True).size().rename(name)


def _participant_labels(tl: Timeline) -> pd.DataFrame:
    """Per event: ``participants`` ("Name (role, role); …", roles in schema order, actors by
    id), ``participant_ids`` ("id; id") and ``n_participants`` (distinct actors)."""
    p = participants(tl)
    p = p.sort_values(["event_id", "actor_id", "role"])  # role: categorical, schema order
    roles = (
        p.assign(role=p["role"].astype("string").str.replace("_", " "))
        .groupby(["event_id", "actor_id"], sort=True)
        .agg(actor_name=("actor_name", "first"), roles=("role", ", ".join))
        .reset_index()
    )
    roles["label"] = roles["actor_name"].astype("string") + " (" + roles["roles"] + ")"
    per_event = roles.groupby("event_id").agg(
        participants=("label", "; ".join),
        participant_ids=("actor_id", "; ".join),
        n_participants=("actor_id", "size"),
    )
    return per_event


def _sources_per_event(tl: Timeline) -> pd.DataFrame:
    """Per event: the sources of its evidence, quotes and claims (``source_ids``,
    ``source_titles``, "; "-separated in id order) and ``n_sources``."""
    used = pd.concat(
        [tl[t][["event_id", "source_id"]] for t in ("evidence", "quotes", "claims")],
        ignore_index=True,
    ).drop_duplicates()
    used = _join(used.sort_values(["event_id", "source_id"]), _source_titles(tl), "source_id")
    return used.groupby("event_id").agg(
        source_ids=("source_id", "; ".join),
        source_titles=("source_title", "; ".join),
        n_sources=("source_id", "size"),
    )


def events(tl: Timeline | None = None) -> pd.DataFrame:
    """One row per event: ``events`` with its place (``place_name``, ``place_kind``,
    ``place_country``, ``latitude``, ``longitude``, ``coordinate_precision``), its participants
    (``participants`` as "Name (roles); …", ``participant_ids``), its sources
    (``source_ids``, ``source_titles``) and counts: ``n_participants``, ``n_quotes``,
    ``n_claims``, ``n_evidence``, ``n_sources``, ``n_links`` (either direction).

    Lists are "; "-separated text, one cell per event; for one row per participant use
    :func:`participants`."""
    tl = _tl(tl)
    place = _prefixed(
        tl.places,
        "place_id",
        {
            "name": "place_name",
            "kind": "place_kind",
            "country": "place_country",
            "latitude": "latitude",
            "longitude": "longitude",
            "coordinate_precision": "coordinate_precision",
        },
        "place_id",
    )
    out = _join(tl.events, place, "place_id")
    links = pd.concat(
        [tl.event_links["from_event_id"], tl.event_links["to_event_id"]], ignore_index=True
    )
    extra = pd.concat(
        [
            _participant_labels(tl),
            _sources_per_event(tl),
            _per_event(tl.quotes, "n_quotes"),
            _per_event(tl.claims, "n_claims"),
            _per_event(tl.evidence, "n_evidence"),
            links.value_counts().rename("n_links"),
        ],
        axis=1,
    )
    extra.index.name = "event_id"
    out = _join(out, extra.reset_index(), "event_id")
    for col in ("participants", "participant_ids", "source_ids", "source_titles"):
        out[col] = out[col].astype("string")
    for col in ("n_participants", "n_quotes", "n_claims", "n_evidence", "n_sources", "n_links"):
        out[col] = out[col].fillna(0).astype("int64")
    return out
