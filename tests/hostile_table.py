"""Hostile inputs, CSV bytes, values and references: broken files and cells of the package."""

from __future__ import annotations

from collections.abc import Callable

from hostile_base import (
    ACTORS,
    ALIASES,
    EVENTS,
    EVIDENCE,
    FURNITURE,
    PARTICIPANTS,
    PLACES,
    QUOTES,
    SOURCES,
    STATEMENTS,
    VC,
    Mutation,
    V,
    cell,
    cells,
    put,
    raw,
    replace,
    rows,
    unlink,
)

# --- CSV bytes ---------------------------------------------------------------------------------


def _lines(path: str, change: Callable[[list[bytes]], None]) -> Mutation:
    def edit(data: bytes) -> bytes:
        lines = data.split(b"\n")
        change(lines)
        return b"\n".join(lines)

    return raw(path, edit)


def _insert(at: int, line: bytes) -> Callable[[list[bytes]], None]:
    return lambda lines: lines.insert(at, line)


def _quote_field_open(lines: list[bytes]) -> None:
    # A stray opening quote at the start of a cell, closed by nothing on its line.
    lines[2] = lines[2].replace(b",Alexander Lukashenko,", b',"Alexander Lukashenko,', 1)


def _quote_swallow(lines: list[bytes]) -> None:
    # A stray quote opens a cell that a later quote closes: the lines between are swallowed.
    lines[2] = lines[2].replace(b",Alexander Lukashenko,", b',"Alexander Lukashenko,', 1)
    lines[4] = lines[4] + b'"'


def _quote_swallow_last(lines: list[bytes]) -> None:
    # The same in the last column: the row keeps its width, its cell holds the next lines.
    lines[2] = lines[2].replace(b",Q2866", b',"Q2866', 1)
    lines[4] = lines[4] + b'"'


CSV_CASES = [
    V("blank-line", "csv", _lines(ACTORS, _insert(3, b"")), "blank-row", ACTORS, 4),
    V(
        "blank-lines-at-end",
        "csv",
        raw(ACTORS, lambda d: d + b"\n\n"),
        "blank-row",
        ACTORS,
        None,
    ),
    V("only-commas-line", "csv", _lines(ACTORS, _insert(2, b",,,,,")), "blank-row", ACTORS, 3),
    V(
        "spaces-line",
        "csv",
        _lines(ACTORS, _insert(2, b"   ")),
        "missing-cell",
        ACTORS,
        3,
    ),
    V("blank-line-events", "csv", _lines(EVENTS, _insert(2, b"")), "blank-row", EVENTS, 3),
    V(
        "row-after-blank-line-keeps-its-number",
        "csv",
        cells(cell("actors", 4, "country", "XX"), _lines(ACTORS, _insert(2, b""))),
        "constraint-error",
        ACTORS,
        5,
        "country",
    ),
    V(
        "row-after-short-row-keeps-its-number",
        "csv",
        cells(
            cell("places", 5, "latitude", "999"),
            rows("places", lambda r: r.__setitem__(1, r[1][:-1])),
        ),
        "constraint-error",
        PLACES,
        5,
        "latitude",
    ),
    V(
        "duplicate-header",
        "csv",
        _lines(ACTORS, lambda ls: ls.__setitem__(0, ls[0].replace(b"role", b"name"))),
        "duplicate-label",
        ACTORS,
        1,
        "name",
    ),
    V(
        "empty-header-cell",
        "csv",
        _lines(ACTORS, lambda ls: ls.__setitem__(0, ls[0].replace(b"role", b""))),
        "extra-label",
        ACTORS,
        1,
        "",
    ),
    V(
        "header-case",
        "csv",
        _lines(ACTORS, lambda ls: ls.__setitem__(0, ls[0].replace(b"actor_id", b"Actor_ID"))),
        "missing-label",
        ACTORS,
        1,
        "actor_id",
    ),
    V(
        "header-space",
        "csv",
        _lines(ACTORS, lambda ls: ls.__setitem__(0, ls[0].replace(b"kind", b" kind"))),
        "extra-label",
        ACTORS,
        1,
        " kind",
    ),
    V(
        "header-only",
        "csv",
        _lines(ACTORS, lambda ls: ls.__delitem__(slice(1, None))),
        "empty-table",
        ACTORS,
    ),
    V("empty-file", "csv", put(ACTORS, b""), "source-error", ACTORS),
    V("unterminated-quote", "csv", _lines(ACTORS, _quote_field_open), "source-error", ACTORS),
    V(
        "stray-quote-swallows-lines",
        "csv",
        _lines(ACTORS, _quote_swallow),
        "missing-cell",
        ACTORS,
        3,
    ),
    V(
        "stray-quote-swallows-last-cells",
        "csv",
        _lines(ACTORS, _quote_swallow_last),
        "control-character",
        ACTORS,
        3,
        "wikidata_qid",
    ),
    V(
        "bare-quote-in-cell",
        "csv",
        replace(ACTORS, b"Vladimir Putin", b'Vladimir "Putin'),
        "source-error",
        ACTORS,
    ),
    V("row-too-long", "csv", rows("actors", lambda r: r[2].append("x")), "extra-cell", ACTORS, 3),
    V(
        "row-too-short",
        "csv",
        rows("actors", lambda r: r.__setitem__(2, r[2][:3])),
        "missing-cell",
        ACTORS,
        3,
        "role",
    ),
    V(
        "trailing-comma-everywhere",
        "csv",
        raw(ACTORS, lambda d: d.replace(b"\n", b",\n")),
        "extra-label",
        ACTORS,
        1,
        "",
    ),
    V(
        "nul-in-cell",
        "csv",
        replace(ACTORS, b"Vladimir Putin", b"Vladimir\x00Putin"),
        "control-character",
        ACTORS,
        2,
        "name",
    ),
    V(
        "nul-in-header",
        "csv",
        replace(ACTORS, b"actor_id", b"actor\x00id"),
        "missing-label",
        ACTORS,
        1,
        "actor_id",
    ),
    V(
        "latin-1",
        "csv",
        replace(ACTORS, b"Vladimir", "Vl\xe4dimir".encode("latin-1")),
        "encoding-error",
        ACTORS,
    ),
    V(
        "utf-16",
        "csv",
        raw(ACTORS, lambda d: d.decode("utf-8").encode("utf-16")),
        "encoding-error",
        ACTORS,
    ),
    V(
        "encoded-surrogate",
        "csv",
        replace(ACTORS, b"Vladimir", b"Vl\xed\xa0\x80dimir"),
        "encoding-error",
        ACTORS,
    ),
    V(
        "overlong-utf8",
        "csv",
        replace(ACTORS, b"Vladimir", b"Vl\xc0\xafdimir"),
        "encoding-error",
        ACTORS,
    ),
    V(
        "truncated-utf8",
        "csv",
        raw(ACTORS, lambda d: d + "Ж".encode()[:1]),
        "encoding-error",
        ACTORS,
    ),
    V(
        "tab-delimited",
        "csv",
        raw(ACTORS, lambda d: d.replace(b",", b"\t")),
        "missing-label",
        ACTORS,
        1,
        "name",
    ),
    V(
        "semicolon-delimited",
        "csv",
        raw(ACTORS, lambda d: d.replace(b",", b";")),
        "missing-label",
        ACTORS,
        1,
        "name",
    ),
    V(
        "line-break-in-title",
        "csv",
        cell("events", 3, "title", "Lukashenko news\nconference"),
        "control-character",
        EVENTS,
        3,
        "title",
    ),
    V(
        "carriage-return-in-quoted-cell",
        "csv",
        replace(ACTORS, b"leader of Russia", b'"leader\rof Russia"'),
        "control-character",
        ACTORS,
        2,
        "role",
    ),
    V(
        "bare-carriage-return-ends-the-row",
        "csv",
        replace(ACTORS, b"leader of Russia", b"leader\rof Russia"),
        "missing-cell",
        ACTORS,
        2,
        "wikidata_qid",
    ),
    V(
        "data-file-is-a-folder",
        "csv",
        lambda root: (unlink(ACTORS)(root), (root / ACTORS).mkdir()),
        "missing-file",
        ACTORS,
    ),
    V("data-file-missing", "csv", unlink(ACTORS), "missing-file", ACTORS),
    V(
        "data-file-links-outside",
        "csv",
        lambda root: (unlink(ACTORS)(root), (root / ACTORS).symlink_to("/etc/hostname")),
        "unsafe-path",
        "datapackage.json",
        None,
        "path",
    ),
    # Line ends and a BOM the reader honours: the same table, read the same.
    V("crlf-line-ends", "csv", raw(ACTORS, lambda d: d.replace(b"\n", b"\r\n")), None, exit=0),
    V("cr-line-ends", "csv", raw(ACTORS, lambda d: d.replace(b"\n", b"\r")), None, exit=0),
    V(
        "cr-line-ends-everywhere",
        "csv",
        lambda root: [
            raw(f"data/{p.name}", lambda d: d.replace(b"\n", b"\r"))(root)
            for p in (root / "data").iterdir()
        ],
        None,
        exit=0,
    ),
    V("utf8-bom", "csv", raw(ACTORS, lambda d: b"\xef\xbb\xbf" + d), None, exit=0),
    V("no-final-newline", "csv", raw(ACTORS, lambda d: d.rstrip(b"\n")), None, exit=0),
]


# --- values ------------------------------------------------------------------------------------


VALUE_CASES = [
    VC("date-slashes", "events", 3, "start_date", "2023/02/16", "type-error"),
    VC("date-european", "events", 3, "start_date", "16.02.2023", "type-error"),
    VC("date-unpadded", "events", 3, "start_date", "2023-2-16", "type-error"),
    VC("date-not-leap", "events", 3, "end_date", "2023-02-29", "type-error"),
    VC("date-year-zero", "events", 3, "start_date", "0000-01-01", "type-error"),
    VC("date-with-time", "events", 3, "start_date", "2023-02-16T00:00:00", "type-error"),
    VC("date-month-13", "quotes", 2, "said_on", "2023-13-01", "type-error"),
    VC("date-words", "claims", 2, "stated_on", "yesterday", "type-error"),
    # Real dates the loader's datetime64[ns] cannot hold: validated, they failed to load.
    VC("date-before-pandas-range", "sources", 2, "published", "1677-09-21", "constraint-error"),
    VC("date-after-pandas-range", "events", 3, "end_date", "2262-04-12", "constraint-error"),
    VC("integer-decimal", "quotes", 2, "char_start", "902.0", "type-error"),
    VC("integer-exponent", "quotes", 2, "char_start", "9e2", "type-error"),
    VC("integer-above-int64", "quotes", 2, "char_end", "99999999999999999999", "type-error"),
    VC("integer-below-int64", "places", 2, "geonames_id", "-99999999999999999999", "type-error"),
    VC("integer-arabic-digits", "quotes", 2, "char_start", "٩٠٢", "type-error"),
    VC("integer-hex", "quotes", 2, "char_start", "0x386", "type-error"),
    VC("integer-sign-only", "quotes", 2, "char_start", "+", "type-error"),
    VC("integer-below-minimum", "quotes", 2, "char_start", "-1", "constraint-error"),
    VC("integer-geonames-zero", "places", 2, "geonames_id", "0", "constraint-error"),
    VC("number-nan", "places", 2, "latitude", "NaN", "type-error"),
    VC("number-infinity", "places", 2, "latitude", "inf", "type-error"),
    VC("number-overflows-to-infinity", "claims", 2, "value", "1e999", "type-error"),
    VC("number-decimal-comma", "places", 2, "latitude", "53,9", "type-error"),
    VC("latitude-above-90", "places", 2, "latitude", "90.5", "constraint-error"),
    VC("latitude-below-minus-90", "places", 2, "latitude", "-91", "constraint-error"),
    VC("longitude-above-180", "places", 2, "longitude", "180.01", "constraint-error"),
    VC("uri-without-scheme", "sources", 2, "url", "www.washingtonpost.com/x", "type-error"),
    VC("uri-with-space", "sources", 2, "url", "https://example.org/a b", "type-error"),
    VC("enum-wrong-case", "events", 2, "status", "Occurred", "constraint-error"),
    VC("enum-trailing-space", "events", 2, "status", "occurred ", "constraint-error"),
    VC("enum-homoglyph", "events", 2, "status", "\u043eccurred", "constraint-error"),
    VC("enum-unknown-role", "participants", 2, "role", "bystander", "constraint-error"),
    VC("pattern-country-two-letters", "actors", 2, "country", "RU", "constraint-error"),
    VC("pattern-country-lowercase", "actors", 2, "country", "rus", "constraint-error"),
    VC("pattern-id-uppercase", "actors", 2, "actor_id", "Vladimir-Putin", "constraint-error"),
    VC(
        "pattern-id-zero-width-space",
        "actors",
        2,
        "actor_id",
        "vladimir\u200b-putin",
        "constraint-error",
    ),
    VC("pattern-id-homoglyph", "actors", 2, "actor_id", "vl\u0430dimir-putin", "constraint-error"),
    VC("pattern-qid-zero", "actors", 2, "wikidata_qid", "Q0", "constraint-error"),
    VC("pattern-qid-lowercase", "actors", 2, "wikidata_qid", "q7747", "constraint-error"),
    VC("pattern-language", "sources", 2, "language", "EN", "constraint-error"),
    VC("pattern-script", "actor_aliases", 2, "script", "latn", "constraint-error"),
    VC("pattern-sha256-uppercase", "sources", 2, "sha256", "D" * 64, "constraint-error"),
    VC(
        "pattern-archive-path-escapes",
        "sources",
        2,
        "archive_path",
        "../etc/passwd",
        "constraint-error",
    ),
    VC("pattern-cameo-letters", "events", 2, "cameo_code", "abc", "constraint-error"),
    VC("pattern-edtf-garbage", "events", 2, "edtf", "Feb 2022", "constraint-error"),
    # A key column whose target is read (and coded) before it: in batches, its pattern is
    # checked on the batch's cells, not looked up in the target's key (both must find it).
    VC("pattern-statement-event", "statements", 2, "event_id", "No-Event", "constraint-error"),
    VC("pattern-participant-event", "participants", 3, "event_id", "Ev 1", "constraint-error"),
    VC("required-empty", "events", 2, "title", "", "constraint-error"),
    VC("required-id-empty", "actors", 3, "actor_id", "", "constraint-error"),
    VC("whitespace-only-required", "events", 2, "summary", "   ", "whitespace-only"),
    VC("nbsp-only", "actors", 2, "role", "\u00a0", "whitespace-only"),
    VC("tab-only", "actors", 2, "role", "\t", "control-character"),
    VC("formula-equals", "events", 2, "summary", "=1+1", "formula-injection"),
    VC("formula-plus", "actors", 2, "role", "+7 leader", "formula-injection"),
    VC("formula-minus", "actors", 2, "role", "-leader", "formula-injection"),
    VC("formula-at", "actors", 2, "role", "@SUM(A1)", "formula-injection"),
    VC("formula-tab", "actors", 2, "role", "\tleader", "formula-injection"),
    VC("control-escape", "actors", 2, "name", "Vladimir \x1b[31mPutin", "control-character"),
    VC("control-bell", "events", 2, "title", "Invasion\x07", "control-character"),
    VC("control-delete", "events", 2, "summary", "Putin used\x7f forces", "control-character"),
    VC("control-c1-next-line", "actors", 2, "role", "leader\u0085of Russia", "control-character"),
    VC("control-in-excerpt", "evidence", 2, "excerpt", "A year ago\x00", "control-character"),
    VC("bidi-override", "actors", 2, "name", "Vladimir \u202eniktuP", "bidi-control"),
    VC("bidi-embedding", "events", 2, "title", "\u202aRussia launches", "bidi-control"),
    VC("bidi-isolate", "actors", 2, "role", "leader \u2066of\u2069 Russia", "bidi-control"),
    VC("bidi-first-strong-isolate", "places", 2, "name", "Minsk\u2068", "bidi-control"),
    VC(
        "bidi-in-quote",
        "quotes",
        2,
        "text",
        "\u202e“By the way, I watched your news conference yesterday,”",
        "bidi-control",
    ),
    VC("period-month-13", "claims", 2, "period", "2022-13", "invalid-edtf"),
    VC("period-month-zero", "claims", 2, "period", "2022-00", "invalid-edtf"),
    VC("period-february-30", "claims", 2, "period", "2023-02-30", "invalid-edtf"),
    VC("period-not-edtf", "claims", 2, "period", "last year", "constraint-error"),
]


# --- references ------------------------------------------------------------------------------


def _dup(table: str, row: int) -> Mutation:
    return rows(table, lambda r: r.append(list(r[row - 1])))


REFERENCE_CASES = [
    VC(
        "fk-participant-event",
        "participants",
        2,
        "event_id",
        "no-such-event",
        "foreign-key",
        family="references",
    ),
    VC(
        "fk-participant-actor",
        "participants",
        2,
        "actor_id",
        "nobody",
        "foreign-key",
        family="references",
    ),
    VC(
        "fk-quote-event",
        "quotes",
        2,
        "event_id",
        "no-such-event",
        "foreign-key",
        family="references",
    ),
    VC("fk-quote-speaker", "quotes", 2, "speaker_id", "nobody", "foreign-key", family="references"),
    VC(
        "fk-quote-addressee",
        "quotes",
        2,
        "addressee_id",
        "nobody",
        "foreign-key",
        family="references",
    ),
    VC(
        "fk-quote-source", "quotes", 2, "source_id", "no-source", "foreign-key", family="references"
    ),
    VC(
        "fk-claim-claimant",
        "claims",
        2,
        "claimant_id",
        "nobody",
        "foreign-key",
        family="references",
    ),
    VC(
        "fk-claim-event",
        "claims",
        2,
        "event_id",
        "no-such-event",
        "foreign-key",
        family="references",
    ),
    VC(
        "fk-link-from",
        "event_links",
        2,
        "from_event_id",
        "no-such-event",
        "foreign-key",
        family="references",
    ),
    VC(
        "fk-link-to",
        "event_links",
        2,
        "to_event_id",
        "no-such-event",
        "foreign-key",
        family="references",
    ),
    VC(
        "fk-evidence-event",
        "evidence",
        2,
        "event_id",
        "no-such-event",
        "foreign-key",
        family="references",
    ),
    VC(
        "fk-evidence-source",
        "evidence",
        2,
        "source_id",
        "no-source",
        "foreign-key",
        family="references",
    ),
    VC("fk-event-place", "events", 3, "place_id", "atlantis", "foreign-key", family="references"),
    VC(
        "fk-place-within",
        "places",
        2,
        "within_place_id",
        "atlantis",
        "foreign-key",
        family="references",
    ),
    VC(
        "fk-alias-actor",
        "actor_aliases",
        2,
        "actor_id",
        "nobody",
        "foreign-key",
        family="references",
    ),
    VC(
        "fk-furniture-source",
        "source_furniture",
        2,
        "source_id",
        "no-source",
        "foreign-key",
        family="references",
    ),
    VC(
        "fk-case-differs",
        "participants",
        2,
        "actor_id",
        "Vladimir-putin",
        "foreign-key",
        family="references",
    ),
    V("pk-events-repeated", "references", _dup("events", 3), "primary-key", EVENTS, 8, "event_id"),
    V(
        "unique-quote-id-repeated",
        "references",
        _dup("quotes", 2),
        "unique-error",
        QUOTES,
        None,
        "quote_id",
    ),
    V(
        "pk-composite-participants",
        "references",
        _dup("participants", 2),
        "primary-key",
        PARTICIPANTS,
        None,
        "event_id, actor_id, role",
    ),
    V(
        "pk-composite-aliases",
        "references",
        _dup("actor_aliases", 3),
        "primary-key",
        ALIASES,
        None,
        "actor_id, alias",
    ),
    V("pk-furniture", "references", _dup("source_furniture", 2), "primary-key", FURNITURE, None),
    V("pk-sources", "references", _dup("sources", 2), "primary-key", SOURCES, 3, "source_id"),
    # Read in batches, evidence's key is held as hashes and statements' as codes: a repeat
    # must still be found (and confirmed on the cells) there.
    V("pk-evidence-repeated", "references", _dup("evidence", 2), "primary-key", EVIDENCE, None),
    V("pk-statements", "references", _dup("statements", 2), "primary-key", STATEMENTS, None),
]
