"""Regenerate the README's generated sections, the chart it shows, CITATION.cff, .zenodo.json,
and the description, sources and coverage of datapackage.json (``make docs``)."""

from pathlib import Path

from belarus_timeline.outputs.docs import (
    citation_files,
    readme_chart,
    render_descriptor,
    render_readme,
)

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    descriptor = ROOT / "datapackage.json"
    descriptor.write_bytes(render_descriptor(ROOT))
    readme = ROOT / "README.md"
    readme.write_text(render_readme(readme.read_text(encoding="utf-8"), ROOT), encoding="utf-8")
    chart = ROOT / "docs" / "chart.png"
    chart.parent.mkdir(exist_ok=True)
    chart.write_bytes(readme_chart(ROOT))
    for name, text in citation_files(ROOT).items():
        (ROOT / name).write_text(text, encoding="utf-8")
    print(
        f"updated {descriptor.name}, {readme.relative_to(ROOT)}, {chart.relative_to(ROOT)} "
        "and the citation files"
    )
