"""Tables read and checked one by one, each slimmed to the columns the checks across tables
declare they read: the same report as with every table kept whole, and a check that reads an
undeclared column fails loudly instead of skipping."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from belarus_timeline.package import TableSchema
from belarus_timeline.tables import RawTable
from belarus_timeline.validate import runner, semantic, validate_package
from belarus_timeline.validate.columns import DroppedColumn, Table
from belarus_timeline.validate.report import Collector, Report
from helpers import copy_package, edit_table

Rows = list[list[str]]


@pytest.fixture(autouse=True)
def _in_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    """Packages of any size read in turn (by default only those above WHOLE_MAX_BYTES)."""
    monkeypatch.setattr(runner, "WHOLE_MAX_BYTES", 0)


def _set(table: str, row: int, column: str, value: str) -> Any:
    def change(rows: Rows) -> None:
        rows[row][rows[0].index(column)] = value

    return table, change


# Cells in dropped columns (checked with their table) and in kept ones (checked across tables).
EDITS = [
    _set("events", 1, "title", "=HYPERLINK()"),
    _set("events", 2, "summary", "a\x07bell"),
    _set("events", 2, "event_type", "not-a-type"),
    _set("events", 3, "start_date", "2023-02-30"),
    _set("events", 3, "timezone", "Europe/Kiev"),
    _set("events", 4, "place_id", "nowhere"),
    _set("evidence", 1, "excerpt", "not the text"),
    _set("evidence", 2, "evidence_id", "+dup"),
    _set("participants", 1, "role", "bystander"),
    _set("participants", 2, "actor_id", "nobody"),
    _set("quotes", 1, "text", "\u202eevil"),
    _set("quotes", 2, "quote_id", ""),
    _set("claims", 1, "subject", " "),
    _set("sources", 1, "title", "-1"),
    _set("evidence", 3, "date_expression", "on no day"),
    _set("claims", 1, "excerpt", "misquoted"),
    _set("link_evidence", 1, "char_end", "99999999"),
    _set("source_furniture", 1, "excerpt", "elsewhere"),
    # Empty spans: their order is checked with the table (char_start and char_end not kept).
    _set("evidence", 4, "char_end", "0"),
    _set("claims", 2, "char_end", "1"),
]


@pytest.mark.parametrize(
    ("workers", "reverse", "unreadable", "in_turn"),
    [
        (1, False, False, False),
        (2, False, False, False),
        (2, True, False, False),
        (2, False, True, False),
        (2, False, False, True),
    ],
)
def test_streamed_reports_equal_whole_reports(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    workers: int,
    reverse: bool,
    unreadable: bool,
    in_turn: bool,
) -> None:
    """Reversed, the resources list the span tables before sources: the spans are checked
    once every table is read, not as each is. Tables are read largest first, not in the
    resource order: the findings (those of files that cannot be read too) are not. In turn:
    the layers across tables run one after the other (as for a very large package)."""
    if in_turn:
        monkeypatch.setattr(runner, "_LAYERS_IN_TURN_BYTES", 0)
    pkg = copy_package(tmp_path / "pkg")
    for table, change in EDITS:
        edit_table(pkg, table, change)
    if unreadable:
        # evidence, the largest, is read first; actors, listed before it, last.
        (pkg / "data" / "actors.csv").unlink()
        with (pkg / "data" / "evidence.csv").open("ab") as fh:
            fh.write(b"\xff\n")
    if reverse:
        d = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
        d["resources"].reverse()
        (pkg / "datapackage.json").write_text(json.dumps(d), encoding="utf-8")
    monkeypatch.setattr(runner, "_WORKERS", workers)
    streamed = []
    real = runner._read_in_turn
    monkeypatch.setattr(runner, "_read_in_turn", lambda *a: streamed.append(1) or real(*a))
    for limit in (1, 2, None):
        whole = validate_package(pkg, limit=limit, tables_out={})  # tables handed out whole
        assert not streamed
        report = validate_package(pkg, limit=limit)
        assert streamed
        streamed.clear()
        assert report.to_dict() == whole.to_dict()
        codes = {f.code for f in report.findings}
        assert len(codes) >= 10, codes  # the edits are found, by checks of every layer


def test_a_check_reading_an_undeclared_column_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = copy_package(tmp_path / "pkg")
    assert validate_package(pkg).valid
    monkeypatch.setitem(semantic.READS, "events", semantic.READS["events"] - {"timezone"})
    with pytest.raises(DroppedColumn, match="timezone"):
        validate_package(pkg)


def test_a_slimmed_table_keeps_its_columns_and_refuses_the_others() -> None:
    schema = TableSchema.from_descriptor(
        {"fields": [{"name": n, "type": "string"} for n in ("a", "b", "c")]}
    )
    columns = {n: pa.chunked_array([pa.array(["x", ""])]) for n in ("a", "b", "c")}
    t = Table("t", "data/t.csv", schema, RawTable(["a", "b", "c"], pa.table(columns)))
    t.slim({"a", "c"})
    assert t.raw.table.column_names == ["a", "c"]
    assert t.col("a").to_pylist() == ["x", ""] and t.has("c")
    assert t.typed["c"].missing.tolist() == [False, True]
    for read in (lambda: t.col("b"), lambda: t.has("b"), lambda: "b" in t.typed):
        with pytest.raises(DroppedColumn):
            read()


@pytest.mark.parametrize("first", [None, [2, 0], [3, 1, 0, 2], [9, 1], [1, 1, 0]])
def test_jobs_started_in_any_order_each_run_once_and_come_back_in_job_order(
    first: list[int] | None,
) -> None:
    """``_run`` starts its jobs longest first when told, runs each once (an order that leaves
    one out or names one too many included) and hands back the collectors in job order."""
    ran: list[int] = []

    def job(i: int) -> Any:
        return lambda sub: (ran.append(i), sub.report.notes.append(str(i)))

    out = Collector(Report("x"), None)
    with ThreadPoolExecutor(1) as pool:
        subs = runner._run(pool, out, [job(i) for i in range(4)], first)
    assert sorted(ran) == [0, 1, 2, 3]  # each once
    started = [i for i in dict.fromkeys(first or []) if i < 4]
    assert ran[: len(started)] == started
    assert [s.report.notes[-1] for s in subs] == ["0", "1", "2", "3"]


def test_packages_up_to_whole_max_bytes_are_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The size of the tables' files decides: up to WHOLE_MAX_BYTES read whole, above it in
    turn; a build's tables are handed out whole whatever the size."""
    pkg = copy_package(tmp_path / "pkg")
    size = sum(p.stat().st_size for p in (pkg / "data").glob("*.csv"))
    streamed: list[int] = []
    real = runner._read_in_turn
    monkeypatch.setattr(runner, "_read_in_turn", lambda *a: streamed.append(1) or real(*a))
    for limit, expected in [(size, []), (size - 1, [1])]:
        monkeypatch.setattr(runner, "WHOLE_MAX_BYTES", limit)
        assert validate_package(pkg).valid
        assert streamed == expected
        streamed.clear()
        assert validate_package(pkg, tables_out={}).valid
        assert not streamed
