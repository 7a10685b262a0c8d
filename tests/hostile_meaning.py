"""Hostile inputs, provenance and semantics: spans, archived texts, dates, links, places."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from hostile_base import (
    CLAIMS,
    EVENTS,
    EVIDENCE,
    LINKS,
    PLACES,
    QUOTES,
    SOURCE,
    SOURCES,
    VC,
    Mutation,
    Rows,
    V,
    cell,
    cells,
    raw,
    row_where,
    rows,
    unlink,
)

# --- provenance --------------------------------------------------------------------------------


def _span(table: str, row: int, start: int, end: int, text_field: str, text: str) -> Mutation:
    return cells(
        cell(table, row, "char_start", str(start)),
        cell(table, row, "char_end", str(end)),
        cell(table, row, text_field, text),
    )


def _archive(change: Callable[[bytes], bytes]) -> Mutation:
    return raw(SOURCE, change)


def _rehash(root: Path) -> None:

    digest = hashlib.sha256((root / SOURCE).read_bytes()).hexdigest()
    cell("sources", 2, "sha256", digest)(root)


PROVENANCE_CASES = [
    VC(
        "excerpt-one-character-off",
        "quotes",
        2,
        "text",
        "“By the way, I watched your news conference yesterday.”",
        "excerpt-mismatch",
        family="provenance",
    ),
    VC(
        "excerpt-straight-quotes",
        "quotes",
        2,
        "text",
        '"By the way, I watched your news conference yesterday,"',
        "excerpt-mismatch",
        family="provenance",
    ),
    VC(
        "excerpt-trailing-space",
        "evidence",
        2,
        "excerpt",
        "A year ago, Putin used Russian forces stationed in Belarus to launch his ultimately "
        "catastrophic attempt to conquer Kyiv, the Ukrainian capital. ",
        "excerpt-mismatch",
        family="provenance",
    ),
    VC(
        "claim-excerpt-edited",
        "claims",
        2,
        "excerpt",
        "Putin said that bilateral trade between the countries was on the rise and hit a record "
        "of more than $44 billion last year.",
        "excerpt-mismatch",
        family="provenance",
    ),
    V(
        "offsets-shifted",
        "provenance",
        cell("quotes", 2, "char_start", "903"),
        "excerpt-mismatch",
        QUOTES,
        2,
        "text",
    ),
    VC(
        "span-beyond-text",
        "evidence",
        2,
        "char_end",
        "999999",
        "span-out-of-range",
        family="provenance",
    ),
    VC("span-empty", "evidence", 2, "char_end", "470", "empty-span", family="provenance"),
    VC("span-reversed", "quotes", 2, "char_end", "900", "empty-span", family="provenance"),
    V(
        "span-on-breadcrumb",
        "provenance",
        _span("evidence", 2, 0, 9, "excerpt", "Home News"),
        "span-on-furniture",
        EVIDENCE,
        2,
        "char_start",
    ),
    V(
        "span-on-comment-count",
        "provenance",
        _span("quotes", 2, 166, 168, "text", "25"),
        "span-on-furniture",
        QUOTES,
        2,
        "char_start",
    ),
    V(
        "span-on-related-headline",
        "provenance",
        _span(
            "claims",
            2,
            1575,
            1650,
            "excerpt",
            "Lukashenko, before meeting Putin, says Belarus to join war only if attacked",
        ),
        "span-on-furniture",
        CLAIMS,
        2,
        "char_start",
    ),
    V(
        "span-on-site-tag",
        "provenance",
        _span("link_evidence", 2, 3620, 3634, "excerpt", "washingtonpost"),
        "span-on-furniture",
        "data/link_evidence.csv",
        2,
        "char_start",
    ),
    V(
        "archive-tampered",
        "provenance",
        _archive(lambda d: d.replace(b"$43 billion", b"$44 billion")),
        "hash-mismatch",
        SOURCES,
        2,
        "sha256",
    ),
    V(
        "archive-tampered-and-rehashed",
        "provenance",
        cells(_archive(lambda d: d.replace(b"$43 billion", b"$44 billion")), _rehash),
        "excerpt-mismatch",
        CLAIMS,
        2,
        "excerpt",
    ),
    V(
        "archive-missing",
        "provenance",
        unlink(SOURCE),
        "missing-source-text",
        SOURCES,
        2,
        "archive_path",
    ),
    V(
        "archive-a-folder",
        "provenance",
        lambda root: (unlink(SOURCE)(root), (root / SOURCE).mkdir()),
        "missing-source-text",
        SOURCES,
        2,
        "archive_path",
    ),
    V(
        "archive-links-outside",
        "provenance",
        lambda root: (unlink(SOURCE)(root), (root / SOURCE).symlink_to("/etc/hostname")),
        "unsafe-path",
        SOURCES,
        2,
        "archive_path",
    ),
    V(
        "archive-not-utf8",
        "provenance",
        cells(_archive(lambda d: d + b"\xff"), _rehash),
        "encoding-error",
        SOURCE,
    ),
    VC("archive-sha-wrong", "sources", 2, "sha256", "0" * 64, "hash-mismatch", family="provenance"),
]


# --- semantics ---------------------------------------------------------------------------------


def _link(frm: str, relation: str, to: str) -> Mutation:
    def change(r: Rows) -> None:
        row = list(r[2])
        row[0], row[1], row[2] = frm, relation, to
        r.append(row)

    return rows("event_links", change)


SEMANTIC_CASES = [
    VC(
        "end-before-start",
        "events",
        4,
        "end_date",
        "2023-02-15",
        "end-before-start",
        family="semantics",
    ),
    V(
        "month-precision-misaligned",
        "semantics",
        cell("events", 2, "date_precision", "month"),
        "precision-mismatch",
        EVENTS,
        2,
        "date_precision",
    ),
    V(
        "year-precision-misaligned",
        "semantics",
        cell("events", 2, "date_precision", "year"),
        "precision-mismatch",
        EVENTS,
        2,
        "date_precision",
    ),
    VC("edtf-disagrees", "events", 2, "edtf", "2022-02-25", "edtf-mismatch", family="semantics"),
    VC("edtf-month-13", "events", 2, "edtf", "2022-13", "edtf-mismatch", family="semantics"),
    VC(
        "timezone-unknown",
        "events",
        2,
        "timezone",
        "Europe/Atlantis",
        "unknown-timezone",
        family="semantics",
    ),
    VC(
        "timezone-abbreviation",
        "events",
        2,
        "timezone",
        "MSK",
        "unknown-timezone",
        family="semantics",
    ),
    V(
        "timezone-kiev",
        "semantics",
        cell("events", 2, "timezone", "Europe/Kiev"),
        "deprecated-timezone",
        EVENTS,
        2,
        "timezone",
        says="Europe/Kyiv",
    ),
    V(
        "timezone-us-eastern",
        "semantics",
        cell("events", 2, "timezone", "US/Eastern"),
        "deprecated-timezone",
        EVENTS,
        2,
        "timezone",
        says="America/New_York",
    ),
    VC(
        "resolved-without-words",
        "evidence",
        row_where("evidence", "date_basis", "resolved"),
        "date_expression",
        "",
        "resolved-without-expression",
        family="semantics",
    ),
    VC(
        "quote-outside-event",
        "quotes",
        2,
        "said_on",
        "2023-02-18",
        "outside-event",
        family="semantics",
    ),
    VC(
        "claim-outside-event",
        "claims",
        2,
        "stated_on",
        "2023-02-16",
        "outside-event",
        family="semantics",
    ),
    VC(
        "speaker-not-participant",
        "quotes",
        2,
        "speaker_id",
        "svetlana-tikhanovskaya",
        "not-a-participant",
        family="semantics",
    ),
    VC(
        "claimant-not-participant",
        "claims",
        2,
        "claimant_id",
        "svetlana-tikhanovskaya",
        "not-a-participant",
        family="semantics",
    ),
    V(
        "latitude-only",
        "semantics",
        cell("places", 2, "longitude", ""),
        "half-coordinates",
        PLACES,
        2,
    ),
    VC(
        "precision-none-with-point",
        "places",
        2,
        "coordinate_precision",
        "none",
        "coordinate-precision",
        family="semantics",
    ),
    VC(
        "precision-city-without-point",
        "places",
        6,
        "coordinate_precision",
        "city",
        "coordinate-precision",
        family="semantics",
    ),
    V(
        "self-link",
        "semantics",
        _link("invasion-first-anniversary", "refers_to", "invasion-first-anniversary"),
        "self-link",
        LINKS,
        8,
        "to_event_id",
    ),
    V(
        "part-of-cycle",
        "semantics",
        _link("putin-lukashenko-moscow-meeting", "part_of", "lukashenko-su-25-production-offer"),
        "cycle",
        LINKS,
        8,
        "to_event_id",
    ),
    V(
        "part-of-three-cycle",
        "semantics",
        cells(
            _link(
                "putin-lukashenko-moscow-meeting",
                "part_of",
                "tikhanovskaya-munich-security-conference-appeal",
            ),
            _link(
                "tikhanovskaya-munich-security-conference-appeal",
                "part_of",
                "lukashenko-su-25-production-offer",
            ),
        ),
        "cycle",
        LINKS,
        8,
        "to_event_id",
    ),
    VC(
        "within-place-itself",
        "places",
        6,
        "within_place_id",
        "belarus",
        "cycle",
        family="semantics",
    ),
    VC("within-place-cycle", "places", 6, "within_place_id", "minsk", "cycle", family="semantics"),
    V(
        "precedes-against-dates",
        "semantics",
        _link("invasion-first-anniversary", "precedes", "lukashenko-minsk-news-conference"),
        "link-contradicts-dates",
        LINKS,
        8,
        "relation",
    ),
    V(
        "prelude-against-dates",
        "semantics",
        _link("putin-lukashenko-moscow-meeting", "prelude_to", "lukashenko-minsk-news-conference"),
        "link-contradicts-dates",
        LINKS,
        8,
        "relation",
    ),
    V(
        "event-without-evidence",
        "semantics",
        rows(
            "evidence",
            lambda r: r.__setitem__(
                slice(1, None), [x for x in r[1:] if x[1] != "lukashenko-minsk-news-conference"]
            ),
        ),
        "no-evidence",
        EVENTS,
        3,
        "event_id",
    ),
]
