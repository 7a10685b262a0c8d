"""Tables written from their files in batches, their rows put in order on disk (tablespill): the
same release, byte for byte, as from whole tables."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from belarus_timeline import release as rel
from belarus_timeline import tablefiles, tablespill
from belarus_timeline.errors import PackageError
from belarus_timeline.package import DataPackage
from belarus_timeline.validate import runner
from helpers import copy_package, tree_digest


def _reverse_rows(pkg: Path) -> None:
    """Every table's rows in reverse order (still valid: the order of rows means nothing)."""
    p = DataPackage(pkg)
    for name in p.table_names:
        path = p.path_of(p.resource(name).path)
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows([rows[0], *reversed(rows[1:])])


@pytest.mark.parametrize("order", ["in order", "reversed"])
def test_tables_written_from_disk_make_the_same_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, order: str
) -> None:
    """Row groups of 5 rows, batches of a few KB: many buckets and batches even for the seed's
    tables, each bucket filled from several batches when the rows are out of order."""
    pkg = copy_package(tmp_path / "pkg")
    if order == "reversed":
        _reverse_rows(pkg)
    monkeypatch.setitem(rel.PARQUET_OPTIONS, "row_group_size", 5)
    whole = rel.build_release(pkg, tmp_path / "whole", registry=tmp_path / "r1", record=False)
    spilled: list[str] = []
    write = tablespill.write_spilled

    def spy(path: Path, *args: object, **kw: object) -> object:
        spilled.append(path.name)
        return write(path, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(tablefiles, "write_spilled", spy)
    monkeypatch.setattr(runner, "WHOLE_MAX_BYTES", 0)
    monkeypatch.setattr(tablefiles, "SPILL_MIN_BYTES", 0)
    monkeypatch.setattr(tablespill, "_BLOCK", 1 << 14)
    monkeypatch.setattr(tablespill, "_BATCH", 1 << 15)
    disk = rel.build_release(pkg, tmp_path / "disk", registry=tmp_path / "r2", record=False)
    assert sorted(spilled) == sorted(f"{t}.csv" for t in DataPackage(pkg).table_names)
    assert tree_digest(whole.path) == tree_digest(disk.path)
    assert whole.zip_path.read_bytes() == disk.zip_path.read_bytes()


def test_parquet_groups_bytes_do_not_depend_on_the_chunks(tmp_path: Path) -> None:
    """The same rows given whole, in uneven batches or in small chunks: the same file (small
    chunks, written as they are, cut the data pages elsewhere: other bytes)."""
    n = 120_000
    ids = pa.array([f"key-{i}-{'x' * (i % 37)}" for i in range(n)])
    table = pa.table({"id": ids, "x": pa.array(range(n))})
    options = {**rel.PARQUET_OPTIONS, "row_group_size": 50_000}
    files = []
    for k, cuts in enumerate([[n], [7, 49_993, 50_000, 20_000], [1] * 50 + [n - 50]]):
        path = tmp_path / f"{k}.parquet"
        groups = tablespill.ParquetGroups(path, table.schema, options)
        start = 0
        for size in cuts:
            part = table.slice(start, size)
            groups.write(pa.Table.from_batches(part.to_batches(max_chunksize=777)))
            start += size
        groups.close()
        files.append(path.read_bytes())
    assert files[0] == files[1] == files[2]
    meta = pq.ParquetFile(tmp_path / "0.parquet").metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert sizes == [50_000, 50_000, 20_000]
    assert pq.read_table(tmp_path / "1.parquet").equals(table)


@pytest.mark.parametrize(
    "written",
    [b"a,b\n1,2\n\xff,3\n", b"a,b\n1,2\n3,\xe2\x80", b'a,b\n1,"2\n'],
    ids=["not UTF-8", "ends inside a character", "a quote never closed"],
)
def test_a_file_changed_since_it_was_validated_is_not_written(
    tmp_path: Path, written: bytes
) -> None:
    """Read again to be written, a file that is no longer clean: an error naming it, nothing
    written in place of its cells."""
    path = tmp_path / "t.csv"
    path.write_bytes(written)
    with pytest.raises(PackageError, match="t.csv"):
        list(tablespill._batches(path, ["a", "b"]))
