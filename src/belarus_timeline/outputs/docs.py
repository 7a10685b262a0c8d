"""Generated documentation: the README's data dictionary, table of events, finding codes and
citation, the repository's CITATION.cff and .zenodo.json, and the description, sources and
coverage of ``datapackage.json`` come from schema/, data/, datapackage.json and the code, so they
cannot drift from them (tests regenerate and compare; ``make docs`` writes them)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from belarus_timeline.files import json_bytes
from belarus_timeline.load import Timeline, load
from belarus_timeline.outputs.catalog import citation_cff, citation_text, zenodo_json
from belarus_timeline.outputs.dates import format_day
from belarus_timeline.outputs.views import build_view
from belarus_timeline.package import DataPackage
from belarus_timeline.validate.codes import catalogue_markdown

MARKERS = ("data-dictionary", "events-table", "finding-codes", "citation")
#: Where the generated part of the package description begins; the words before it are the
#: curators' and are kept as they are.
GENERATED_FROM = " This version draws on "


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def data_dictionary(pkg: DataPackage) -> str:
    """Markdown: one section per table, one row per field, from the Table Schemas."""
    out: list[str] = []
    for r in pkg.resources:
        schema = pkg.schema(r.name)
        out.append(f"### `{r.name}` ({r.path})\n")
        out.append(_cell(r.descriptor.get("description", "")) + "\n")
        out.append(f"Primary key: `{', '.join(schema.primary_key)}`.")
        for fk in schema.foreign_keys:
            ref = fk.resource or r.name
            out.append(f" `{', '.join(fk.fields)}` → `{ref}.{', '.join(fk.reference_fields)}`.")
        out.append("\n\n| field | type | required | constraints | description |\n")
        out.append("|---|---|---|---|---|\n")
        for f in schema.fields:
            cons = []
            if f.unique:
                cons.append("unique")
            if f.enum:
                cons.append("one of " + ", ".join(f"`{v}`" for v in f.enum))
            if f.pattern:
                cons.append(f"pattern `{f.pattern}`")
            if f.minimum is not None:
                cons.append(f"≥ {f.minimum}")
            if f.maximum is not None:
                cons.append(f"≤ {f.maximum}")
            if f.format:
                cons.append(f"format {f.format}")
            out.append(
                f"| `{f.name}` | {f.type} | {'yes' if f.required else ''} | "
                f"{_cell('; '.join(cons))} | {_cell(f.description)} |\n"
            )
        out.append("\n")
    return "".join(out).rstrip() + "\n"


def events_table(root: Path) -> str:
    """Markdown table of the events, in date order."""
    ev = load(root=root).events.sort_values(["start_date", "event_id"])
    rows = ["| date | precision | event | place | status |\n", "|---|---|---|---|---|\n"]
    for e in ev.fillna({"place_id": ""}).to_dict("records"):
        rows.append(
            f"| {e['edtf']} | {e['date_precision']} | {_cell(str(e['title']))} "
            f"(`{e['event_id']}`) | {e['place_id']} | {e['status']} |\n"
        )
    return "".join(rows)


def readme_chart(root: Path) -> bytes:
    """The chart the README shows (docs/chart.png): the release chart of the current data."""
    # matplotlib is an optional, heavy dependency: import the chart only when drawing it.
    from belarus_timeline.outputs.chart import chart_bytes

    png, _svg = chart_bytes(build_view(root))
    return png


def render_readme(readme: str, root: Path) -> str:
    """The README with its generated sections replaced by fresh ones."""
    pkg = DataPackage(root)
    parts = {
        "data-dictionary": data_dictionary(pkg),
        "events-table": events_table(root),
        "finding-codes": catalogue_markdown(),
        "citation": citation_text(pkg),
    }
    for name in MARKERS:
        pattern = re.compile(
            rf"(<!-- {name}:start[^>]*-->\n).*?(<!-- {name}:end -->)", flags=re.DOTALL
        )
        match = pattern.search(readme)
        if match is None:
            raise ValueError(f"README.md has no <!-- {name}:start --> … <!-- {name}:end --> block")
        readme = (
            readme[: match.start()]
            + match.group(1)
            + parts[name]
            + match.group(2)
            + readme[match.end() :]
        )
    return readme


def citation_files(root: Path) -> dict[str, str]:
    """The repository's citation metadata files, by name: ``CITATION.cff``, ``.zenodo.json``."""
    pkg = DataPackage(root)
    return {"CITATION.cff": citation_cff(pkg), ".zenodo.json": zenodo_json(pkg)}


def _sources_metadata(tl: Timeline) -> list[dict[str, str]]:
    """One Data Package ``sources`` entry per source, oldest first: title, publisher, and the
    URL as ``path`` where it is known."""
    out = []
    for s in tl.sources.sort_values(["published", "source_id"]).to_dict("records"):
        entry = {"title": str(s["title"]), "publisher": str(s["publisher"])}
        if isinstance(s["url"], str) and s["url"]:
            entry["path"] = s["url"]
        out.append(entry)
    return out


def _coverage(tl: Timeline) -> tuple[str, list[str], list[str]]:
    """The events' time span as an EDTF interval (open when an event's end is), the ISO
    3166-1 alpha-3 codes of the countries of their places, and those countries' names."""
    ev = tl.events
    start = ev["start_date"].min()
    end = ".." if ev["end_date"].isna().any() else ev["end_date"].max().date().isoformat()
    temporal = f"{start.date().isoformat()}/{end}"
    places = tl.places.set_index("place_id")
    codes = sorted({str(places.loc[p, "country"]) for p in ev["place_id"].dropna()})
    names = {
        str(r["country"]): str(r["name"])
        for r in tl.places.to_dict("records")
        if r["kind"] == "country"
    }
    return temporal, codes, sorted(names.get(c, c) for c in codes)


def _and(words: list[str]) -> str:
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)


def render_descriptor(root: Path) -> bytes:
    """``datapackage.json`` with its description, ``sources`` and coverage generated from the
    tables; every other property is kept as it is (as the project writes JSON)."""
    pkg = DataPackage(root)
    tl = load(root=root)
    d = dict(pkg.descriptor)
    temporal, codes, countries = _coverage(tl)
    lead = str(d.get("description", "")).split(GENERATED_FROM)[0]
    sources = tl.sources.sort_values(["published", "source_id"]).to_dict("records")
    cited = [f"{s['publisher']}, {format_day(s['published'].date())}" for s in sources]
    n = len(tl.events)
    first, last = temporal.split("/")
    until = "with an open end" if last == ".." else f"to {format_day(_date(last))}"
    where = f", in {_and(countries)}" if countries else ""
    d["description"] = (
        f"{lead}{GENERATED_FROM}{len(sources)} source{'s' if len(sources) != 1 else ''} "
        f"({'; '.join(cited)}): {n} event{'s' if n != 1 else ''} from "
        f"{format_day(_date(first))} {until}{where}."
    )
    d["sources"] = _sources_metadata(tl)
    d["temporalCoverage"] = temporal
    d["spatialCoverage"] = codes
    # Coverage before the resources: the descriptor reads metadata first, then the tables.
    resources = d.pop("resources")
    d["resources"] = resources
    return json_bytes(d)


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)
