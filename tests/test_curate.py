"""The curation commands on bad input and on their edge cases: add-source refuses what it must
and writes nothing then; locate matches straight and curly quotes alike and finds the closest
passage; validate --fix-offsets changes only the offsets it can be sure of, byte for byte."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from belarus_timeline.cli import main
from belarus_timeline.curate import csv_cells, fix_offsets, locate
from helpers import ROOT, tree_digest

SEED = "wapo-2023-02-17-putin-lukashenko-moscow"
FIXTURE = ROOT / "tests" / "fixtures" / "second-source.txt"
GOOD = ["--title", "T", "--publisher", "Fixture Wire", "--published", "2023-02-17"]


def add(pkg: Path, file: Path, *extra: str, sid: str = "fixture-wire") -> int:
    return main(["add-source", str(file), "--id", sid, *GOOD, "--root", str(pkg), *extra])


def test_add_source_archives_byte_for_byte_and_appends_one_row(
    pkg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (pkg / "data" / "sources.csv").read_bytes()
    assert add(pkg, FIXTURE, "--url", "https://example.org/wire", "--json") == 0
    out = json.loads(capsys.readouterr().out)
    assert (pkg / "sources" / "fixture-wire.txt").read_bytes() == FIXTURE.read_bytes()
    after = (pkg / "data" / "sources.csv").read_bytes()
    assert after.startswith(before) and after.count(b"\n") == before.count(b"\n") + 1
    with (pkg / "data" / "sources.csv").open(encoding="utf-8", newline="") as fh:
        row = list(csv.DictReader(fh))[-1]
    assert row["sha256"] == out["sha256"] and row["url"] == "https://example.org/wire"
    assert row["archive_path"] == "sources/fixture-wire.txt" and "Fixture Wire" in row["rights"]
    assert main(["validate", str(pkg)]) == 0  # a source no record cites yet is valid


def _latin1(tmp: Path) -> Path:
    p = tmp / "latin1.txt"
    p.write_bytes("Lukashenko sagte: «Nein». Mäßig.".encode("latin-1"))
    return p


def _crlf(tmp: Path) -> Path:
    p = tmp / "crlf.txt"
    p.write_bytes(b"Line one.\r\nLine two.\r\n")
    return p


# (id, how to make the bad call, exit code, words the message must hold)
REFUSALS: list[tuple[str, Callable[[Path, Path], int], int, str]] = [
    ("not-utf8", lambda pkg, tmp: add(pkg, _latin1(tmp)), 1, "not UTF-8"),
    ("carriage-returns", lambda pkg, tmp: add(pkg, _crlf(tmp)), 1, "carriage returns"),
    ("id-taken", lambda pkg, tmp: add(pkg, FIXTURE, sid=SEED), 1, "already in"),
    ("bad-id", lambda pkg, tmp: add(pkg, FIXTURE, sid="Fixture Wire"), 2, "source_id"),
    (
        "bad-date",
        lambda pkg, tmp: main(
            [
                *("add-source", str(FIXTURE), "--id", "x", "--title", "T", "--publisher", "P"),
                *("--published", "17/02/2023", "--root", str(pkg)),
            ]
        ),
        2,
        "published",
    ),
    ("bad-url", lambda pkg, tmp: add(pkg, FIXTURE, "--url", "not a url"), 2, "url"),
    ("no-such-file", lambda pkg, tmp: add(pkg, tmp / "missing.txt"), 2, "missing.txt"),
    (
        "same-text-twice",
        lambda pkg, tmp: add(pkg, pkg / "sources" / f"{SEED}.txt", sid="again"),
        1,
        "already archived",
    ),
]


@pytest.mark.parametrize("case", REFUSALS, ids=[c[0] for c in REFUSALS])
def test_add_source_refuses_and_writes_nothing(
    case: tuple[str, Callable[[Path, Path], int], int, str],
    pkg: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, call, code, words = case
    before = tree_digest(pkg)
    assert call(pkg, tmp_path) == code
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1, err
    assert tree_digest(pkg) == before


def test_locate_matches_straight_and_curly_quotes_alike(pkg: Path) -> None:
    text = (pkg / "sources" / f"{SEED}.txt").read_text(encoding="utf-8")
    found = locate(pkg, SEED, "\"It would be better if you didn't watch it.")
    ((start, end, exact),) = found.matches
    assert exact == "\u201cIt would be better if you didn\u2019t watch it." == text[start:end]


def test_locate_lists_every_occurrence(pkg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (pkg / "sources" / f"{SEED}.txt").read_text(encoding="utf-8")
    assert main(["locate", SEED, "Lukashenko said", "--root", str(pkg), "--json"]) == 0
    matches = json.loads(capsys.readouterr().out)["matches"]
    assert len(matches) == text.count("Lukashenko said") > 1
    for m in matches:
        assert text[m["char_start"] : m["char_end"]] == m["text"] == "Lukashenko said"
    assert main(["locate", SEED, "Lukashenko said", "--root", str(pkg)]) == 0
    assert "more than once" in capsys.readouterr().out


def test_locate_shows_the_closest_passage_when_nothing_matches(
    pkg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["locate", SEED, "Belarus should not be overlooked", "--root", str(pkg)]) == 1
    out = capsys.readouterr().out
    assert "no match" in out and "\u201cBelarus shouldn\u2019t be overlooked,\u201d" in out
    assert main(["locate", SEED, "nothing like it", "--root", str(pkg), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["matches"] == [] and set(data["closest"]) >= {"char_start", "text", "similarity"}


def test_locate_unknown_source_is_a_usage_error(
    pkg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["locate", "no-such-source", "words", "--root", str(pkg), "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"]["kind"] == "usage"


def test_locate_refuses_a_changed_text(pkg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = pkg / "sources" / f"{SEED}.txt"
    path.write_bytes(path.read_bytes() + b"\n")
    assert main(["locate", SEED, "Minsk", "--root", str(pkg)]) == 1
    assert "sha256" in capsys.readouterr().err


def _shift(pkg: Path, table: str, ident: str, by: int) -> None:
    path = pkg / "data" / f"{table}.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    h = rows[0]
    (row,) = [r for r in rows if r[0] == ident]
    for f in ("char_start", "char_end"):
        row[h.index(f)] = str(int(row[h.index(f)]) + by)
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def test_fix_offsets_rewrites_only_the_offsets_it_can_be_sure_of(
    pkg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    quotes = (pkg / "data" / "quotes.csv").read_bytes()
    _shift(pkg, "quotes", "putin-why-no", 7)
    # In evidence.csv: a span shifted by 3, written with quotes the csv module would not write
    # (they must stay), and an excerpt that occurs three times (left as it is, with why).
    path = pkg / "data" / "evidence.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    (i,) = [k for k, line in enumerate(lines) if line.startswith("su-25-sukhoi,")]
    good = lines[i].replace(",supports,", ',"supports",')
    start, end = (int(x) for x in good.rsplit(",", 2)[1:])
    lines[i] = good.rsplit(",", 2)[0] + f",{start - 3},{end - 3}"
    meeting = "putin-lukashenko-moscow-meeting"
    ambiguous = f'"extra",{meeting},occurrence,,supports,,,,Lukashenko said,{SEED},1,16'
    lines.insert(len(lines) - 1, ambiguous)
    path.write_text("\n".join(lines), encoding="utf-8")
    lines[i] = good
    expected = "\n".join(lines).encode("utf-8")

    assert main(["validate", str(pkg), "--fix-offsets", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    fixed = {(f["file"], f["record"]) for f in report["offsets"]["fixed"]}
    assert fixed == {("data/quotes.csv", "putin-why-no"), ("data/evidence.csv", "su-25-sukhoi")}
    (left,) = report["offsets"]["left"]
    assert left["record"] == "extra" and "occurs 3 times" in left["reason"]
    assert (pkg / "data" / "quotes.csv").read_bytes() == quotes
    assert path.read_bytes() == expected  # only the two offset cells changed
    assert {e["code"] for e in report["errors"]} == {"excerpt-mismatch", "span-on-furniture"}
    assert main(["validate", str(pkg), "--fix-offsets"]) == 1
    assert "left data/evidence.csv" in capsys.readouterr().out


def test_fix_offsets_leaves_a_changed_text_and_a_release_alone(pkg: Path) -> None:
    _shift(pkg, "quotes", "putin-why-no", 7)
    text = pkg / "sources" / f"{SEED}.txt"
    text.write_bytes(text.read_bytes() + b" ")
    before = tree_digest(pkg)
    assert fix_offsets(pkg).fixed == []
    assert tree_digest(pkg) == before
    (pkg / "manifest.json").write_text("{}")
    assert main(["validate", str(pkg), "--fix-offsets"]) == 2


@pytest.mark.parametrize("table", sorted(p.stem for p in (ROOT / "data").glob("*.csv")))
def test_csv_cells_reads_every_table_as_the_csv_module_does(table: str) -> None:
    raw = (ROOT / "data" / f"{table}.csv").read_text(encoding="utf-8")
    with (ROOT / "data" / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        expected = list(csv.reader(fh))
    cells = [
        [raw[a:b][1:-1].replace('""', '"') if raw[a:b].startswith('"') else raw[a:b] for a, b in r]
        for r in csv_cells(raw)
    ]
    assert cells == expected


def test_csv_cells_on_awkward_input() -> None:
    text = 'a,"b,""c""",\r\n"",x\n\n'
    got = [[text[a:b] for a, b in r] for r in csv_cells(text)]
    assert got == [["a", '"b,""c"""', ""], ['""', "x"], [""]]
