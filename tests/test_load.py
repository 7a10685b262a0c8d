"""The pandas loader, the bundled data, the derived models and the generated docs."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
import types
import typing
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

import belarus_timeline as bt
from belarus_timeline.load import Timeline
from belarus_timeline.models import row_model
from belarus_timeline.outputs.docs import readme_chart, render_descriptor, render_readme
from belarus_timeline.package import DataPackage
from helpers import ROOT, copy_package

PKG = DataPackage(ROOT)


def test_load_gives_one_frame_per_table_with_every_row() -> None:
    tl = bt.load()
    assert list(tl) == PKG.table_names
    for name in PKG.table_names:
        with (ROOT / "data" / f"{name}.csv").open(encoding="utf-8") as fh:
            n = sum(1 for _ in csv.DictReader(fh))
        assert len(tl[name]) == n
        assert list(tl[name].columns) == PKG.schema(name).field_names
    assert tl.events is tl["events"]
    assert tl.version == PKG.version


def test_dtypes_follow_the_schema() -> None:
    ev = bt.load_table("events")
    assert ev["start_date"].dtype == "datetime64[ns]"
    assert isinstance(ev["event_type"].dtype, pd.CategoricalDtype)
    assert list(ev["event_type"].dtype.categories) == list(
        PKG.schema("events").field("event_type").enum or ()
    )
    assert ev["title"].dtype == pd.StringDtype()
    q = bt.load_table("quotes")
    assert q["char_start"].dtype == pd.Int64Dtype()
    places = bt.load_table("places")
    assert places["geonames_id"].dtype == pd.Int64Dtype() and places["geonames_id"].isna().any()
    assert places["latitude"].dtype == "float64"
    meeting = ev.set_index("event_id").loc["putin-lukashenko-moscow-meeting"]
    assert meeting["start_date"] == pd.Timestamp("2023-02-17")
    # Empty cells are missing values, not empty strings.
    assert pd.isna(ev.set_index("event_id").loc["invasion-first-anniversary", "place_id"])


def test_values_round_trip_exactly() -> None:
    q = bt.load_table("quotes").set_index("quote_id")
    with (ROOT / "data" / "quotes.csv").open(encoding="utf-8") as fh:
        first = next(csv.DictReader(fh))
    assert q.loc[first["quote_id"], "text"] == first["text"]
    assert int(q.loc[first["quote_id"], "char_end"]) == int(first["char_end"])


def test_unknown_table_lists_the_valid_names() -> None:
    with pytest.raises(bt.UnknownTableError, match="The tables are: sources, source_furniture"):
        bt.load_table("event")
    with pytest.raises(AttributeError, match="No table named 'evnts'"):
        _ = bt.load().evnts


def test_timeline_docstring_lists_each_tables_columns() -> None:
    """The loader's docstring repeats the columns for users; it must agree with the schemas."""
    doc = Timeline.__doc__ or ""
    for name in PKG.table_names:
        line = doc.split(f"``{name}``: ", 1)[1].split("\n    - ", 1)[0]
        listed = [c.strip() for c in " ".join(line.split()).split(",")]
        listed[-1] = listed[-1].split("\n")[0].split(" Dtypes")[0].strip()
        assert listed == PKG.schema(name).field_names, name


def _unwrap(ann: typing.Any) -> tuple[typing.Any, list[typing.Any]]:
    """(base type, constraint metadata) of Optional[Annotated[T, FieldInfo]] and friends."""
    if typing.get_origin(ann) in (typing.Union, types.UnionType):
        ann = next(a for a in typing.get_args(ann) if a is not type(None))
    if typing.get_origin(ann) is typing.Annotated:
        base, *extra = typing.get_args(ann)
        return base, [m for e in extra for m in getattr(e, "metadata", [e])]
    return ann, []


@pytest.mark.parametrize("table", PKG.table_names)
def test_row_models_agree_with_the_schema(table: str) -> None:
    model = row_model(table)
    schema = PKG.schema(table)
    assert list(model.model_fields) == schema.field_names
    types = {"string": str, "integer": int, "number": float, "date": dt.date}
    for f in schema.fields:
        info = model.model_fields[f.name]
        assert info.is_required() == f.required, f.name
        assert info.description == f.description
        base, metadata = _unwrap(info.annotation)
        metadata += list(info.metadata)
        if f.enum is not None:
            assert typing.get_args(base) == f.enum
        else:
            assert base is types[f.type]
        found = {
            k: getattr(m, k)
            for m in metadata
            for k in ("pattern", "ge", "le")
            if getattr(m, k, None) is not None
        }
        wanted = {
            "pattern": f.pattern if f.type == "string" else None,
            "ge": f.minimum,
            "le": f.maximum,
        }
        assert found == {k: v for k, v in wanted.items() if v is not None}, f.name
    # Every row of the data passes its model: the vectorised validator and pydantic agree.
    with (ROOT / "data" / f"{table}.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            model.model_validate({k: (v if v != "" else None) for k, v in row.items()})


def test_row_model_rejects_what_the_schema_rejects() -> None:
    Event = row_model("events")
    good = bt.load_table("events").iloc[0].to_dict()
    good = {k: (None if pd.isna(v) else v) for k, v in good.items()}
    good["start_date"] = good["start_date"].date()
    good["end_date"] = good["end_date"].date()
    Event.model_validate(good)
    with pytest.raises(ValidationError):
        Event.model_validate({**good, "event_type": "riot"})
    with pytest.raises(ValidationError):
        Event.model_validate({**good, "event_id": "Not A Slug"})
    with pytest.raises(ValidationError):
        Event.model_validate({**good, "surprise": 1})


def test_readme_generated_sections_are_fresh() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert render_readme(readme, ROOT) == readme, "README is stale: run `make docs`"


def test_datapackage_description_sources_and_coverage_are_fresh() -> None:
    """datapackage.json's description, sources and coverage are generated from the tables."""
    descriptor = (ROOT / "datapackage.json").read_bytes()
    assert render_descriptor(ROOT) == descriptor, "datapackage.json is stale: run `make docs`"


def test_a_stale_descriptor_is_noticed(tmp_path: Path) -> None:
    """The freshness test above can fail: one more source changes what is generated."""
    pkg = copy_package(tmp_path / "pkg")
    before = render_descriptor(pkg)
    with (pkg / "data" / "events.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[1][rows[0].index("start_date")] = "2021-02-24"
    rows[1][rows[0].index("edtf")] = "2021-02-24/2022-02-24"
    with (pkg / "data" / "events.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    after = json.loads(render_descriptor(pkg))
    assert render_descriptor(pkg) != before
    assert after["temporalCoverage"].startswith("2021-02-24/")
    assert "from 24 February 2021" in after["description"]


def test_readme_chart_is_fresh() -> None:
    assert (ROOT / "docs" / "chart.png").read_bytes() == readme_chart(ROOT), "run `make docs`"


def test_readme_first_block_is_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```", 2)[1]
    commands = [ln.split("#")[0].strip() for ln in block.splitlines()[1:] if ln.strip()]
    assert commands == ["make release", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_wheel_bundles_the_data_and_loads_without_the_repository(tmp_path: Path) -> None:
    """Build the wheel, unpack it somewhere else and load from it: no checkout, no network."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("belarus_timeline-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "belarus_timeline/_bundled/datapackage.json" in names
    assert "belarus_timeline/py.typed" in names
    assert not any(n.startswith("belarus_timeline/_bundled/sources") for n in names)
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import belarus_timeline as bt, belarus_timeline.package as p; "
        "tl = bt.load(); assert 'site' in str(p.bundled_root()); print(len(tl.events))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    with (ROOT / "data" / "events.csv").open(encoding="utf-8") as fh:
        assert out.stdout.strip() == str(sum(1 for _ in csv.DictReader(fh)))


def test_sort_by_key_skips_only_tables_already_in_order() -> None:
    """The loader's one row order: a table already in key order is returned as it is, any other
    is sorted; the shortcut agrees with Python's sort on random keys (ties and nulls included)."""
    import random

    import pyarrow as pa

    from belarus_timeline.canonical import sort_by_key
    from belarus_timeline.package import TableSchema

    schema = TableSchema.from_descriptor(
        {
            "fields": [{"name": "x"}, {"name": "y", "type": "integer"}, {"name": "z"}],
            "primaryKey": ["x", "y"],
        }
    )
    rng = random.Random(7)
    for _ in range(500):
        n = rng.randint(0, 7)
        xs = [rng.choice(["a", "b", "c", None]) for _ in range(n)]
        ys = [rng.randint(0, 2) for _ in range(n)]
        table = pa.table({"x": pa.array(xs, pa.string()), "y": ys, "z": [str(i) for i in range(n)]})
        out = sort_by_key(table, schema)
        keyed = [((x is None, x or ""), y) for x, y in zip(xs, ys, strict=True)]
        order = sorted(range(n), key=lambda i: keyed[i])  # stable, nulls last as Arrow does
        assert out.column("z").to_pylist() == [str(i) for i in order]
