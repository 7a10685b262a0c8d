"""The validator on the repository and on a corpus of broken copies of the package.

Each broken copy must give exit 1, a finding that names the file, row, field and value, and must
leave every file of the package exactly as it was.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from belarus_timeline.cli import main
from belarus_timeline.validate import validate_package
from helpers import ROOT, frictionless_validate, tree_digest

Rows = list[list[str]]
SRC = "sources/wapo-2023-02-17-putin-lukashenko-moscow.txt"


def _count(table: str, root: Path = ROOT) -> int:
    with (root / "data" / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.DictReader(fh))


def test_repository_package_is_valid() -> None:
    report = validate_package(ROOT)
    assert report.valid, report.to_text()
    assert report.rows["events"] == _count("events")


def test_frictionless_cli_accepts_the_repository() -> None:
    done = frictionless_validate(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["valid"] is True


def col(rows: Rows, name: str) -> int:
    return rows[0].index(name)


def set_cell(table_row: int, field: str, value: str) -> Callable[[Rows], None]:
    def change(rows: Rows) -> None:
        rows[table_row - 1][col(rows, field)] = value

    return change


def _replace_in(path: str, old: str, new: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        p = root / path
        p.write_text(p.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")

    return change


def _duplicate_row(rows: Rows) -> None:
    rows.insert(4, list(rows[3]))


def _insert(at: int, cells: dict[str, str]) -> Callable[[Rows], None]:
    """Insert a row as data row ``at`` (frictionless numbering), empty where not given."""

    def change(rows: Rows) -> None:
        rows.insert(at - 1, [cells.get(h, "") for h in rows[0]])

    return change


def _copy_row(row: int, at: int, **cells: str) -> Callable[[Rows], None]:
    """Insert a copy of data row ``row`` as data row ``at``, with some cells changed."""

    def change(rows: Rows) -> None:
        new = list(rows[row - 1])
        for k, v in cells.items():
            new[col(rows, k)] = v
        rows.insert(at - 1, new)

    return change


def _set_version(version: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        p = root / "datapackage.json"
        d = json.loads(p.read_text(encoding="utf-8"))
        d["version"] = version
        p.write_text(json.dumps(d, indent=2, ensure_ascii=False), encoding="utf-8")

    return change


def _drop_column(name: str) -> Callable[[Rows], None]:
    def change(rows: Rows) -> None:
        i = col(rows, name)
        for r in rows:
            del r[i]

    return change


def _add_column(rows: Rows) -> None:
    rows[0].append("comment")
    for r in rows[1:]:
        r.append("x")


def _shift_span(rows: Rows) -> None:
    s, e = col(rows, "char_start"), col(rows, "char_end")
    rows[1][s] = str(int(rows[1][s]) + 1)
    rows[1][e] = str(int(rows[1][e]) + 1)


def _latin1(root: Path) -> None:
    p = root / "data" / "actors.csv"
    p.write_bytes(p.read_bytes().replace(b"Vladimir", "Vl\xe4dimir".encode("latin-1")))


def _tamper_source(root: Path) -> None:
    p = root / SRC
    p.write_bytes(p.read_bytes().replace(b"$43 billion", b"$44 billion"))


def _escape_path(root: Path) -> None:
    p = root / "datapackage.json"
    d = json.loads(p.read_text(encoding="utf-8"))
    d["resources"][5]["path"] = "../outside/events.csv"
    p.write_text(json.dumps(d), encoding="utf-8")


def _span_on_breadcrumb(rows: Rows) -> None:
    for field, value in (("char_start", "0"), ("char_end", "9"), ("excerpt", "Home News")):
        set_cell(2, field, value)(rows)


def _empty_table(rows: Rows) -> None:
    del rows[1:]


# (id, table or None, change, expected (code, file, row, field, value-or-None))
CORPUS: list[
    tuple[str, str | None, Callable, tuple[str, str, int | None, str | None, str | None]]
] = [
    (
        "malformed-date",
        "events",
        set_cell(3, "start_date", "16/02/2023"),
        ("type-error", "data/events.csv", 3, "start_date", "16/02/2023"),
    ),
    (
        "impossible-date",
        "events",
        set_cell(3, "end_date", "2023-02-30"),
        ("type-error", "data/events.csv", 3, "end_date", "2023-02-30"),
    ),
    (
        "end-before-start",
        "events",
        set_cell(4, "end_date", "2023-02-15"),
        ("end-before-start", "data/events.csv", 4, "end_date", "2023-02-15"),
    ),
    (
        "dangling-foreign-key",
        "participants",
        set_cell(2, "actor_id", "nobody"),
        ("foreign-key", "data/participants.csv", 2, "actor_id", "nobody"),
    ),
    (
        "duplicate-primary-key",
        "actors",
        _duplicate_row,
        ("primary-key", "data/actors.csv", 5, "actor_id", "svetlana-tikhanovskaya"),
    ),
    (
        "unknown-vocabulary",
        "events",
        set_cell(2, "event_type", "riot"),
        ("constraint-error", "data/events.csv", 2, "event_type", "riot"),
    ),
    (
        "quote-changed-by-one-character",
        "quotes",
        set_cell(2, "text", "“By the way, I watched your news conference yesterday.”"),
        ("excerpt-mismatch", "data/quotes.csv", 2, "text", None),
    ),
    (
        "offsets-shifted-by-one",
        "quotes",
        _shift_span,
        ("excerpt-mismatch", "data/quotes.csv", 2, "text", None),
    ),
    (
        "tampered-archived-text",
        None,
        _tamper_source,
        ("hash-mismatch", "data/sources.csv", 2, "sha256", None),
    ),
    (
        "formula-like-cell",
        "events",
        set_cell(2, "summary", '=HYPERLINK("http://x")'),
        ("formula-injection", "data/events.csv", 2, "summary", '=HYPERLINK("http://x")'),
    ),
    ("non-utf8-file", None, _latin1, ("encoding-error", "data/actors.csv", None, None, None)),
    (
        "missing-required-column",
        "events",
        _drop_column("status"),
        ("missing-label", "data/events.csv", 1, "status", None),
    ),
    (
        "unexpected-column",
        "actors",
        _add_column,
        ("extra-label", "data/actors.csv", 1, "comment", "comment"),
    ),
    (
        "empty-required-table",
        "evidence",
        _empty_table,
        ("empty-table", "data/evidence.csv", None, None, None),
    ),
    (
        "resource-path-escapes",
        None,
        _escape_path,
        ("unsafe-path", "datapackage.json", None, "path", "../outside/events.csv"),
    ),
    (
        "speaker-not-a-participant",
        "quotes",
        set_cell(2, "speaker_id", "svetlana-tikhanovskaya"),
        ("not-a-participant", "data/quotes.csv", 2, "speaker_id", "svetlana-tikhanovskaya"),
    ),
    (
        "quote-outside-its-event",
        "quotes",
        set_cell(2, "said_on", "2023-02-18"),
        ("outside-event", "data/quotes.csv", 2, "said_on", "2023-02-18"),
    ),
    (
        "edtf-disagrees",
        "events",
        set_cell(2, "edtf", "2022-02"),
        ("edtf-mismatch", "data/events.csv", 2, "edtf", "2022-02"),
    ),
    (
        "month-precision-with-a-day",
        "events",
        set_cell(2, "date_precision", "month"),
        ("precision-mismatch", "data/events.csv", 2, "date_precision", "month"),
    ),
    (
        "unknown-time-zone",
        "events",
        set_cell(2, "timezone", "Europe/Atlantis"),
        ("unknown-timezone", "data/events.csv", 2, "timezone", "Europe/Atlantis"),
    ),
    (
        "latitude-out-of-range",
        "places",
        set_cell(2, "latitude", "93.9"),
        ("constraint-error", "data/places.csv", 2, "latitude", "93.9"),
    ),
    (
        "bad-pattern",
        "actors",
        set_cell(2, "country", "RU"),
        ("constraint-error", "data/actors.csv", 2, "country", "RU"),
    ),
    (
        "required-cell-empty",
        "events",
        set_cell(2, "title", ""),
        ("constraint-error", "data/events.csv", 2, "title", ""),
    ),
    (
        "span-on-furniture",
        "evidence",
        _span_on_breadcrumb,
        ("span-on-furniture", "data/evidence.csv", 2, "char_start", "0"),
    ),
    (
        "version-not-semver",
        None,
        _set_version("1.0"),
        ("metadata-error", "datapackage.json", None, "version", "1.0"),
    ),
    (
        "unspecified-day-with-a-day-s-dates",
        "events",
        set_cell(2, "edtf", "2022-02-XX"),
        ("edtf-mismatch", "data/events.csv", 2, "edtf", "2022-02-XX"),
    ),
    (
        "open-end-with-an-end-date",
        "events",
        set_cell(2, "edtf", "2022-02-24/.."),
        ("edtf-mismatch", "data/events.csv", 2, "edtf", "2022-02-24/.."),
    ),
    (
        "place-statement-with-a-date",
        "statements",
        _copy_row(3, 3, statement_id="place-with-date", edtf="2022-02-24", rank="normal"),
        ("statement-value", "data/statements.csv", 3, "edtf", None),
    ),
    (
        "alternative-date-that-is-no-date",
        "statements",
        _copy_row(2, 3, statement_id="no-date", edtf="2022-02-30", rank="normal"),
        ("statement-value", "data/statements.csv", 3, "edtf", "2022-02-30"),
    ),
    (
        "same-value-stated-twice",
        "statements",
        _copy_row(2, 3, statement_id="same-again", rank="normal"),
        ("duplicate-statement", "data/statements.csv", 3, "statement_id", "same-again"),
    ),
    (
        "two-preferred-dates",
        "statements",
        _copy_row(2, 3, statement_id="also-preferred", edtf="2022-02", rank_reason="x"),
        ("preferred-not-unique", "data/statements.csv", 3, "rank", "preferred"),
    ),
    (
        "event-shows-another-place",
        "events",
        set_cell(2, "place_id", "kyiv"),
        ("preferred-mismatch", "data/events.csv", 2, "place_id", "kyiv"),
    ),
    (
        "deprecated-without-reason",
        "statements",
        set_cell(2, "rank", "deprecated"),
        ("rank-without-reason", "data/statements.csv", 2, "rank_reason", ""),
    ),
    (
        "alternative-nobody-supports",
        "statements",
        _insert(
            3,
            {
                "statement_id": "unsourced",
                "event_id": "russian-full-scale-invasion-of-ukraine",
                "property": "date",
                "edtf": "2021",
                "rank": "normal",
            },
        ),
        ("unsupported-statement", "data/statements.csv", 3, "statement_id", "unsourced"),
    ),
    (
        "date-span-names-another-events-date",
        "evidence",
        set_cell(3, "statement_id", "invasion-first-anniversary-date"),
        ("statement-mismatch", "data/evidence.csv", 3, "statement_id", None),
    ),
    (
        "derivation-on-an-occurrence-span",
        "evidence",
        set_cell(2, "date_basis", "stated"),
        ("derivation-mismatch", "data/evidence.csv", 2, "date_basis", "stated"),
    ),
    (
        "resolved-date-without-words",
        "evidence",
        set_cell(3, "date_expression", ""),
        ("resolved-without-expression", "data/evidence.csv", 3, "date_expression", ""),
    ),
    (
        "expression-not-in-the-span",
        "evidence",
        set_cell(3, "date_expression", "on Saturday"),
        ("expression-not-in-excerpt", "data/evidence.csv", 3, "date_expression", "on Saturday"),
    ),
    (
        "renderings-of-one-utterance-by-two-speakers",
        "quotes",
        set_cell(3, "utterance_id", "putin-watched-news-conference"),
        ("utterance-mismatch", "data/quotes.csv", 3, "utterance_id", None),
    ),
    (
        "link-only-contradicted",
        "link_evidence",
        set_cell(2, "stance", "contradicts"),
        ("no-evidence", "data/event_links.csv", 2, "relation", None),
    ),
    (
        "unknown-stance",
        "evidence",
        set_cell(2, "stance", "agrees"),
        ("constraint-error", "data/evidence.csv", 2, "stance", "agrees"),
    ),
    (
        "link-evidence-for-no-link",
        "link_evidence",
        set_cell(2, "relation", "part_of"),
        ("foreign-key", "data/link_evidence.csv", 2, "from_event_id, relation, to_event_id", None),
    ),
]


@pytest.mark.parametrize("case", CORPUS, ids=[c[0] for c in CORPUS])
def test_bad_input_is_reported_precisely_and_nothing_is_modified(
    case: tuple, pkg: Path, edit_csv: Callable, capsys: pytest.CaptureFixture[str]
) -> None:
    _, table, change, (code, file, row, field, value) = case
    if table is None:
        change(pkg)
    else:
        edit_csv(pkg, table, change)
    before = tree_digest(pkg.parent)

    assert main(["validate", str(pkg), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert tree_digest(pkg.parent) == before, "validation modified a file"

    hits = [e for e in report["errors"] if e["code"] == code and e["file"] == file]
    assert hits, json.dumps(report["errors"], indent=1, ensure_ascii=False)
    hit = hits[0]
    assert (hit["row"], hit["field"]) == (row, field)
    if value is not None:
        assert hit["value"] == value
    assert hit["message"] and hit["fix"]

    # The readable report names the same place.
    assert main(["validate", str(pkg)]) == 1
    text = capsys.readouterr().out
    assert text.startswith("INVALID") and file in text


def test_shifted_offsets_get_the_right_offsets_as_the_fix(pkg: Path, edit_csv: Callable) -> None:
    original: Rows = []
    edit_csv(pkg, "quotes", original.extend)  # read the rows, unchanged
    start, end = original[1][col(original, "char_start")], original[1][col(original, "char_end")]
    edit_csv(pkg, "quotes", _shift_span)
    report = validate_package(pkg)
    (hit,) = [f for f in report.findings if f.code == "excerpt-mismatch"]
    assert f"set char_start={start}, char_end={end}" in hit.fix


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "missing")]) == 2
    # A usage error exits 2 through the CLI's one error boundary (no SystemExit escapes).
    assert main(["validate", "--no-such-option"]) == 2


def test_a_folder_without_a_descriptor_is_invalid(tmp_path: Path) -> None:
    report = validate_package(tmp_path)
    assert not report.valid and report.findings[0].code == "package-error"


def test_limit_truncates_but_counts(pkg: Path, edit_csv: Callable) -> None:
    def all_bad(rows: Rows) -> None:
        for r in rows[1:]:
            r[col(rows, "role")] = "bystander"

    edit_csv(pkg, "participants", all_bad)
    full = validate_package(pkg, limit=None)
    capped = validate_package(pkg, limit=3)
    assert len([f for f in full.findings if f.field == "role"]) == _count("participants", pkg)
    assert len([f for f in capped.findings if f.field == "role"]) == 3
    assert capped.to_dict()["error_count"] == full.to_dict()["error_count"]


def test_frictionless_also_rejects_the_structural_cases(pkg: Path, edit_csv: Callable) -> None:
    """The structural corpus is broken by the standard's own reading, not just ours."""
    edit_csv(pkg, "participants", set_cell(2, "actor_id", "nobody"))
    edit_csv(pkg, "events", set_cell(3, "end_date", "2023-02-30"))
    done = frictionless_validate(pkg)
    assert done.returncode == 1 and done.stdout
    found = {
        (task["name"], e["type"], e.get("rowNumber"), e.get("fieldName"))
        for task in json.loads(done.stdout)["tasks"]
        for e in task["errors"]
    }
    assert ("events", "type-error", 3, "end_date") in found
    assert any(
        name == "participants" and kind == "foreign-key" and row == 2
        for name, kind, row, _ in found
    )
    shutil.rmtree(pkg)


def test_dates_as_precise_as_the_sources_allow_are_valid(pkg: Path, edit_csv: Callable) -> None:
    """A day not given (2022-02-XX: the dates span the month, precision month) and an open
    end (no end_date) validate; the event's preferred statement carries the same EDTF."""

    def unknown_day(rows: Rows) -> None:
        for name, value in (
            ("start_date", "2022-02-01"),
            ("end_date", "2022-02-28"),
            ("date_precision", "month"),
            ("edtf", "2022-02-XX"),
        ):
            set_cell(2, name, value)(rows)

    def open_end(rows: Rows) -> None:
        set_cell(3, "end_date", "")(rows)
        set_cell(3, "edtf", "2023-02-16/..")(rows)
        set_cell(3, "status", "planned")(rows)

    def statements(rows: Rows) -> None:
        for r in rows[1:]:
            if r[col(rows, "statement_id")] == "russian-full-scale-invasion-of-ukraine-date":
                r[col(rows, "edtf")] = "2022-02-XX"
            if r[col(rows, "statement_id")] == "lukashenko-minsk-news-conference-date":
                r[col(rows, "edtf")] = "2023-02-16/.."

    edit_csv(pkg, "events", unknown_day)
    edit_csv(pkg, "events", open_end)
    edit_csv(pkg, "statements", statements)
    report = validate_package(pkg)
    assert report.valid, report.to_text()


def test_the_offset_hint_warns_when_the_phrase_occurs_more_than_once(
    pkg: Path, edit_csv: Callable
) -> None:
    text = (pkg / SRC).read_text(encoding="utf-8")
    phrase = "Lukashenko said"
    at = [i for i in range(len(text)) if text.startswith(phrase, i)]
    assert len(at) > 1
    edit_csv(pkg, "evidence", set_cell(2, "excerpt", phrase))
    (hit,) = [f for f in validate_package(pkg).findings if f.code == "excerpt-mismatch"]
    assert f"occurs {len(at)} times" in hit.fix
    for i in at:
        assert f"{i}..{i + len(phrase)}" in hit.fix


def test_the_tables_of_the_data_model_are_one_fact() -> None:
    """package.TABLES (what the validator requires) is exactly what the descriptor lists, in its
    order; dropping one is refused, however the descriptor is edited."""
    from belarus_timeline.package import TABLES, DataPackage

    assert DataPackage(ROOT).table_names == list(TABLES)


def test_a_dropped_table_is_refused(pkg: Path) -> None:
    p = pkg / "datapackage.json"
    d = json.loads(p.read_text(encoding="utf-8"))
    d["resources"] = [r for r in d["resources"] if r["name"] != "evidence"]
    p.write_text(json.dumps(d), encoding="utf-8")
    report = validate_package(pkg)
    assert [(f.code, f.value) for f in report.findings] == [("missing-table", "evidence")]
