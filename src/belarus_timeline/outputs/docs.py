"""Generated documentation: the README's data dictionary, table of events, finding codes and
citation, and the repository's CITATION.cff and .zenodo.json, come from schema/, data/,
datapackage.json and the code, so they cannot drift from them (a test regenerates and
compares)."""

from __future__ import annotations

import re
from pathlib import Path

from belarus_timeline.load import load
from belarus_timeline.outputs.catalog import citation_cff, citation_text, zenodo_json
from belarus_timeline.outputs.views import build_view
from belarus_timeline.package import DataPackage
from belarus_timeline.validate.codes import catalogue_markdown

MARKERS = ("data-dictionary", "events-table", "finding-codes", "citation")


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
